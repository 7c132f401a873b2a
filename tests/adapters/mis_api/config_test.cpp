// Configuring the mis-api adapter: bad settings are refused naming the key, describe() shows the
// link for a person, and the token never appears in anything the adapter says.
#include <gtest/gtest.h>

#include "test_support.h"

using namespace mis_test;
using sendsync::sims::FaultConfig;

namespace {

// Opens the adapter expecting a refusal; returns its message.
std::string Refusal(const json& config) {
  std::string error;
  auto c = sendsync::testkit::OpenInProcess(PluginPath(), config.dump(), &error);
  EXPECT_EQ(c, nullptr) << "accepted: " << config.dump();
  return error;
}

json Valid() {
  return {{"base_url", "https://mis.example.org/v1.0"}, {"school_id", "SCH-1"}, {"token", kToken}};
}

}  // namespace

TEST(MisApiConfig, Configure_RefusesPlainHttpToARemoteHost) {
  json c = Valid();
  c["base_url"] = "http://mis.example.org/v1.0";
  std::string e = Refusal(c);
  EXPECT_NE(e.find("base_url"), std::string::npos) << e;
  EXPECT_NE(e.find("https://"), std::string::npos) << e;
}

TEST(MisApiConfig, Configure_AcceptsPlainHttpToLoopback) {
  MisApiSim sim(kToken);
  ASSERT_TRUE(sim.Start().ok());
  EXPECT_NE(Open(AdapterConfig(sim)), nullptr);
}

TEST(MisApiConfig, Configure_RefusesCredentialsInTheUrl) {
  json c = Valid();
  c["base_url"] = "https://user:pw@mis.example.org/v1.0";
  std::string e = Refusal(c);
  EXPECT_NE(e.find("base_url"), std::string::npos) << e;
  EXPECT_EQ(e.find("pw@"), std::string::npos) << e;
}

TEST(MisApiConfig, Configure_RefusesAnUnknownKeyNamingIt) {
  json c = Valid();
  c["page_size"] = 10;
  std::string e = Refusal(c);
  EXPECT_NE(e.find("page_size"), std::string::npos) << e;
}

TEST(MisApiConfig, Configure_RefusesMissingRequiredKeysNamingThem) {
  for (const char* key : {"base_url", "school_id", "token"}) {
    json c = Valid();
    c.erase(key);
    std::string e = Refusal(c);
    EXPECT_NE(e.find(key), std::string::npos) << e;
  }
}

TEST(MisApiConfig, Configure_RefusesOutOfRangeNumbersNamingThem) {
  for (const char* key :
       {"per_page", "requests_in_flight", "timeout_seconds", "max_retry_after_seconds"}) {
    json c = Valid();
    c[key] = -1;
    std::string e = Refusal(c);
    EXPECT_NE(e.find(key), std::string::npos) << e;
  }
  json c = Valid();
  c["per_page"] = 5000;
  EXPECT_NE(Refusal(c).find("per_page"), std::string::npos);
  c = Valid();
  c["requests_in_flight"] = 17;  // more than the API is asked to bear at once
  EXPECT_NE(Refusal(c).find("requests_in_flight"), std::string::npos);
}

TEST(MisApiConfig, Configure_RefusesAnUnreadableCaFile) {
  json c = Valid();
  c["ca_file"] = "/nonexistent/ca.pem";
  std::string e = Refusal(c);
  EXPECT_NE(e.find("ca_file"), std::string::npos) << e;
}

TEST(MisApiConfig, Manifest_MarksTheTokenSecret) {
  json m = json::parse(sendsync::testkit::ReadManifest(PluginPath()));
  EXPECT_EQ(m["id"], "mis-api");
  EXPECT_EQ(m["config_schema"]["properties"]["token"]["secret"], true);
  EXPECT_EQ(m["config_schema"]["additionalProperties"], false);
  EXPECT_EQ(m["reads"], json({"pupil", "sen", "review"}));
  EXPECT_EQ(m["writes"], json({"sen", "review"}));
}

TEST(MisApiConfig, Describe_ShowsTheLinkWithoutTheToken) {
  MisApiSim sim(kToken);
  ASSERT_TRUE(sim.Start().ok());
  auto c = Open(AdapterConfig(sim, {{"per_page", 25}}));
  ASSERT_NE(c, nullptr);
  Reply r = Call(*c, "describe", json::object());
  ASSERT_EQ(r.status, 0);
  EXPECT_EQ(r.body["base_url"], sim.api_url());
  EXPECT_EQ(r.body["school_id"], "SCH-0001");
  EXPECT_EQ(r.body["per_page"], 25);
  EXPECT_EQ(r.body["verify_tls"], true);
  EXPECT_EQ(r.text.find(kToken), std::string::npos);
}

TEST(MisApiConfig, CheckAndDiscover_ReachTheSchool) {
  MisApiSim sim(kToken);
  ASSERT_TRUE(sim.Start().ok());
  ASSERT_TRUE(sim.LoadSchool(SchoolFixture(1)).ok());
  auto c = Open(AdapterConfig(sim));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(Call(*c, "check", json::object()).status, 0);
  Reply d = Call(*c, "discover", json::object());
  ASSERT_EQ(d.status, 0) << d.text;
  EXPECT_EQ(d.body["items"][0]["school"]["name"], "Test Primary");
}

// Every kind of failure the adapter reports, collected and searched for the token.
TEST(MisApiConfig, Token_NeverAppearsInAnyErrorOrOutput) {
  std::string seen;
  for (json c : {Valid(), Valid()}) {
    c["base_url"] = "http://mis.example.org/v1.0";
    seen += Refusal(c);
    c["base_url"] = "ftp://mis.example.org";
    seen += Refusal(c);
  }
  json bad_token = Valid();
  bad_token["token"] = std::string(kToken) + "\nX";
  seen += Refusal(bad_token);

  MisApiSim sim(kToken);
  ASSERT_TRUE(sim.Start().ok());
  ASSERT_TRUE(sim.LoadSchool(SchoolFixture(2)).ok());
  auto c = Open(AdapterConfig(sim, {{"timeout_seconds", 1}}));
  ASSERT_NE(c, nullptr);
  seen += Call(*c, "describe", json::object()).text;
  seen += Call(*c, "discover", json::object()).text;
  json bad = {{"kind", "sen"},
              {"pupil", {{"upn", FixtureUpn(1)}}},
              {"provision", "K"},
              {"needs", {{{"type", "XYZ"}, {"rank", 1}}}}};
  seen += Call(*c, "write",
               {{"kind", "sen"}, {"changes", json::array({{{"key", "t1"}, {"record", bad}}})}})
              .text;
  for (auto setup : std::vector<std::function<void()>>{[&] { sim.SetApproved(false); },
                                                       [&] {
                                                         sim.SetApproved(true);
                                                         FaultConfig f;
                                                         f.rate_limit_next = 1;
                                                         f.retry_after_seconds = 999;
                                                         sim.server().SetFaults(f);
                                                       },
                                                       [&] {
                                                         FaultConfig f;
                                                         f.error_rate = 1;
                                                         sim.server().SetFaults(f);
                                                       },
                                                       [&] {
                                                         FaultConfig f;
                                                         f.latency_ms = 1500;
                                                         sim.server().SetFaults(f);
                                                       }}) {
    setup();
    seen += Call(*c, "read", {{"kind", "pupil"}, {"cursor", ""}}).text;
    seen += Call(*c, "check", json::object()).text;
  }
  sim.server().SetFaults({});
  auto wrong = Open(AdapterConfig(sim, {{"token", "wrong-token"}}));
  ASSERT_NE(wrong, nullptr);
  seen += Call(*wrong, "read", {{"kind", "sen"}, {"cursor", ""}}).text;
  EXPECT_NE(seen.find("check the token"), std::string::npos) << "the failures did happen";
  EXPECT_EQ(seen.find(kToken), std::string::npos) << seen;
}
