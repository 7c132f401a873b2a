// Authentication: OAuth2 tokens cached and refreshed, API keys, refused credentials as FATAL, and
// secrets kept out of every message and description.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "fixtures.h"

using namespace la_portal_test;

TEST(Auth, OAuthTokenIsFetchedOnceAndReused) {
  auto sim = StartSim();
  Adapter a(OAuthConfig(*sim));
  ASSERT_TRUE(a.ok()) << a.open_error();
  EXPECT_EQ(a.WriteOne(ReferralRecord(), ReadyContext(), "k1")["result"], "applied");
  EXPECT_EQ(a.WriteOne(ReferralRecord("REF-2"), ReadyContext(), "k2")["result"], "applied");
  EXPECT_EQ(a.Call("read", {{"kind", "referral"}, {"cursor", ""}}).status, 0);
  EXPECT_EQ(sim->Counters()["tokens_issued"], 1);
  EXPECT_EQ(sim->Counters()["unauthorized"], 0);
}

TEST(Auth, RevokedTokenIsRefreshedOnceOn401) {
  auto sim = StartSim();
  Adapter a(OAuthConfig(*sim));
  EXPECT_EQ(a.Call("read", {{"kind", "referral"}, {"cursor", ""}}).status, 0);
  sim->RevokeTokens();
  auto r = a.Call("read", {{"kind", "referral"}, {"cursor", ""}});
  EXPECT_EQ(r.status, 0) << r.body.dump();
  EXPECT_EQ(sim->Counters()["tokens_issued"], 2);
  EXPECT_EQ(sim->Counters()["unauthorized"], 1);
}

TEST(Auth, ExpiringTokenIsReplacedBeforeItExpires) {
  auto sim = StartSim();
  Adapter a(OAuthConfig(*sim, /*token_ttl_seconds=*/2));
  EXPECT_EQ(a.Call("read", {{"kind", "referral"}, {"cursor", ""}}).status, 0);
  EXPECT_EQ(a.Call("read", {{"kind", "referral"}, {"cursor", ""}}).status, 0);
  EXPECT_EQ(sim->Counters()["tokens_issued"], 1) << "a fresh token was not reused";
  // A two-second token is used for four fifths of its life, then replaced without a 401.
  std::this_thread::sleep_for(std::chrono::milliseconds(1700));
  EXPECT_EQ(a.Call("read", {{"kind", "referral"}, {"cursor", ""}}).status, 0);
  EXPECT_EQ(sim->Counters()["tokens_issued"], 2);
  EXPECT_EQ(sim->Counters()["unauthorized"], 0);
}

TEST(Auth, WrongClientSecretIsFatalAndDoesNotLeakIt) {
  auto sim = StartSim();
  json config = OAuthConfig(*sim);
  config["auth"]["client_secret"] = "wrong-secret-value-123";
  Adapter a(config);
  ASSERT_TRUE(a.ok());
  auto r = a.Call("read", {{"kind", "referral"}, {"cursor", ""}});
  EXPECT_EQ(r.status, 2) << r.body.dump();
  const std::string msg = r.body.value("message", "");
  EXPECT_NE(msg.find("invalid_client"), std::string::npos) << msg;
  EXPECT_NE(msg.find("client_secret"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("wrong-secret-value-123"), std::string::npos);
  auto w = a.Write(ReferralRecord(), ReadyContext(), "k1");
  EXPECT_EQ(w.status, 2) << "a refused credential fails the whole call";
  EXPECT_EQ(w.body.dump().find("wrong-secret-value-123"), std::string::npos);
}

TEST(Auth, TokenEndpointOutageIsRetry) {
  auto sim = StartSim();
  Adapter a(OAuthConfig(*sim));
  sendsync::sims::FaultConfig f;
  f.fail_next = 1;
  sim->api_server().SetFaults(f);
  auto r = a.Call("read", {{"kind", "referral"}, {"cursor", ""}});
  EXPECT_EQ(r.status, 1) << r.body.dump();
  EXPECT_EQ(a.Call("read", {{"kind", "referral"}, {"cursor", ""}}).status, 0);
}

TEST(Auth, ApiKeyIsSentInTheConfiguredHeader) {
  auto sim = StartSim();
  sendsync::sims::LaPortalAuth auth;
  auth.mode = "api_key";
  auth.api_key_header = "X-LA-Key";
  auth.api_key = "la-key-42";
  sim->SetAuth(auth);
  json config = {{"base_url", sim->base_url()},
                 {"la", "820"},
                 {"auth", {{"type", "api_key"}, {"header", "X-LA-Key"}, {"key", "la-key-42"}}}};
  Adapter a(config);
  EXPECT_EQ(a.Call("read", {{"kind", "referral"}, {"cursor", ""}}).status, 0);
  config["auth"]["header"] = "X-API-Key";
  Adapter wrong(config);
  auto r = wrong.Call("read", {{"kind", "referral"}, {"cursor", ""}});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.body.value("message", "").find("401"), std::string::npos) << r.body.dump();
  EXPECT_EQ(r.body.dump().find("la-key-42"), std::string::npos);
}

TEST(Auth, DescribeNamesTheSchemeButNoSecret) {
  auto sim = StartSim();
  Adapter a(OAuthConfig(*sim));
  auto d = a.Call("describe", json::object());
  ASSERT_EQ(d.status, 0);
  EXPECT_EQ(d.body["auth"]["type"], "oauth2");
  EXPECT_EQ(d.body["auth"]["client_id"], "school-100001");
  EXPECT_EQ(d.body.dump().find("s3cr3t-client-value-xyz"), std::string::npos);
  Adapter k(ApiKeyConfig(*sim));
  auto dk = k.Call("describe", json::object());
  EXPECT_EQ(dk.body["auth"]["header"], "X-API-Key");
  EXPECT_EQ(dk.body.dump().find("test-api-key-0123456789"), std::string::npos);
}

TEST(Auth, CheckReachesTheApiWithTheCredential) {
  auto sim = StartSim();
  Adapter a(OAuthConfig(*sim));
  EXPECT_EQ(a.Call("check", json::object()).status, 0);
  sim->Stop();
  EXPECT_EQ(a.Call("check", json::object()).status, 1) << "an unreachable LA is transient";
}

TEST(Config, RefusesPlainHttpOffLoopbackAndNamesTheKey) {
  json config = {{"base_url", "http://portal.la.example/referral-api"},
                 {"la", "820"},
                 {"auth", {{"type", "api_key"}, {"key", "k"}}}};
  Adapter a(config);
  EXPECT_FALSE(a.ok());
  EXPECT_NE(a.open_error().find("base_url"), std::string::npos) << a.open_error();
}

TEST(Config, RefusesIncompleteOAuthWithoutEchoingSecrets) {
  json config = {
      {"base_url", "https://portal.la.example/referral-api"},
      {"la", "820"},
      {"auth", {{"type", "oauth2"}, {"client_id", "x"}, {"client_secret", "topsecret"}}}};
  Adapter a(config);
  EXPECT_FALSE(a.ok());
  EXPECT_NE(a.open_error().find("auth.token_url"), std::string::npos) << a.open_error();
  EXPECT_EQ(a.open_error().find("topsecret"), std::string::npos);
}

TEST(Config, RefusesABadLaCode) {
  Adapter a({{"base_url", "https://portal.la.example"},
             {"la", "82"},
             {"auth", {{"type", "api_key"}, {"key", "k"}}}});
  EXPECT_FALSE(a.ok());
  EXPECT_NE(a.open_error().find("la "), std::string::npos) << a.open_error();
}
