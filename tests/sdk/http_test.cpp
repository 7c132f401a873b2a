// The SDK's HTTP client against the simulator server: outcomes become the right Status, dropped
// connections are retried only when that is safe, and TLS verification is on by default.
#include <gtest/gtest.h>

#include <atomic>

#include "sendsync/sdk/http.h"
#include "sim_server.h"

using namespace sendsync;
using namespace sendsync::sdk::http;
using nlohmann::json;
using sims::FaultConfig;
using sims::SimRequest;
using sims::SimResponse;
using sims::SimServer;

namespace {

// Echoes what it was sent, counts POSTs, and answers fixed statuses on /status/<code>.
class Echo {
 public:
  Echo()
      : server_([this](const SimRequest& rq, SimResponse& rs) { Handle(rq, rs); }) {}
  Status Start(bool tls = false) {
    return tls ? server_.Start(0, TEST_CERT, TEST_KEY) : server_.Start();
  }
  SimServer& server() { return server_; }
  int posts() const { return posts_; }

 private:
  void Handle(const SimRequest& rq, SimResponse& rs) {
    if (rq.method == "POST") ++posts_;
    if (rq.path.rfind("/status/", 0) == 0) {
      int code = std::stoi(rq.path.substr(8));
      if (code == 422) {
        rs.Problem(422, "Unprocessable", "sen.needs[0].type: unknown need type 'XYZ'");
      } else {
        rs.Json(code, {{"message", "status " + std::to_string(code)}});
        if (code == 429) rs.headers.push_back({"Retry-After", "7"});
      }
      return;
    }
    rs.Json(200, {{"method", rq.method},
                  {"path", rq.path},
                  {"query", rq.query},
                  {"auth", rq.Header("authorization")},
                  {"body", rq.body}});
  }
  std::atomic<int> posts_{0};
  SimServer server_;
};

std::unique_ptr<Client> MakeClient(const std::string& base, ClientOptions o = {}) {
  o.base_url = base;
  auto c = Client::Create(o);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(*c) : nullptr;
}

}  // namespace

TEST(Http, GetJoinsTheBasePathAndSendsHeaders) {
  Echo echo;
  ASSERT_TRUE(echo.Start().ok());
  auto c = MakeClient(echo.server().base_url() + "/v1.0/");
  Request r;
  r.target = "schools/123/students?page=2";
  r.headers = {{"Authorization", "Bearer abc"}};
  auto resp = c->Send(r);
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->status, 200);
  json j = *resp->Json();
  EXPECT_EQ(j["path"], "/v1.0/schools/123/students");
  EXPECT_EQ(j["query"], "page=2");
  EXPECT_EQ(j["auth"], "Bearer abc");
  EXPECT_TRUE(Classify(*resp, "GET students").ok());
}

TEST(Http, ServerErrorsAndRateLimitsAreTransient) {
  Echo echo;
  ASSERT_TRUE(echo.Start().ok());
  auto c = MakeClient(echo.server().base_url());
  for (int code : {500, 502, 503, 504, 408}) {
    auto resp = c->Send({"GET", "/status/" + std::to_string(code), {}, "", ""});
    ASSERT_TRUE(resp.ok());
    Status st = Classify(*resp, "GET thing");
    EXPECT_EQ(st.code(), Status::Code::kUnavailable) << code;
    EXPECT_TRUE(st.transient());
  }
  auto rl = c->Send({"GET", "/status/429", {}, "", ""});
  ASSERT_TRUE(rl.ok());
  EXPECT_EQ(RetryAfter(*rl), std::chrono::seconds(7));
  Status st = Classify(*rl, "GET thing");
  EXPECT_TRUE(st.transient());
  EXPECT_NE(st.message().find("retry after 7 s"), std::string::npos) << st.message();
}

TEST(Http, CredentialProblemsAreFatalWithAdviceForTheAdmin) {
  Echo echo;
  ASSERT_TRUE(echo.Start().ok());
  auto c = MakeClient(echo.server().base_url());
  Status s401 = Classify(*c->Send({"GET", "/status/401", {}, "", ""}), "GET students");
  EXPECT_EQ(s401.code(), Status::Code::kUnauthenticated);
  EXPECT_NE(s401.message().find("check the token"), std::string::npos);
  Status s403 = Classify(*c->Send({"GET", "/status/403", {}, "", ""}), "GET students");
  EXPECT_EQ(s403.code(), Status::Code::kPermissionDenied);
  EXPECT_NE(s403.message().find("approved"), std::string::npos);
  EXPECT_FALSE(s401.transient() || s403.transient());
}

TEST(Http, ValidationErrorsCarryTheProblemDetail) {
  Echo echo;
  ASSERT_TRUE(echo.Start().ok());
  auto c = MakeClient(echo.server().base_url());
  Status st = Classify(*c->Send({"POST", "/status/422", {}, "{}", ""}), "POST sen");
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("unknown need type 'XYZ'"), std::string::npos) << st.message();
}

TEST(Http, ConnectionDroppedBeforeHandlingIsRetriedOnceForGet) {
  Echo echo;
  ASSERT_TRUE(echo.Start().ok());
  FaultConfig f;
  f.drop_next = 1;
  echo.server().SetFaults(f);
  auto c = MakeClient(echo.server().base_url());
  auto resp = c->Send({"GET", "/anything", {}, "", ""});
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(echo.server().stats().dropped_before, 1u);
}

TEST(Http, PostWithoutIdempotencyKeyIsNotRepeatedAfterADrop) {
  Echo echo;
  ASSERT_TRUE(echo.Start().ok());
  FaultConfig f;
  f.drop_after_handling_next = 1;
  echo.server().SetFaults(f);
  auto c = MakeClient(echo.server().base_url());
  auto resp = c->Send({"POST", "/things", {}, "{\"a\":1}", ""});
  ASSERT_FALSE(resp.ok());
  EXPECT_TRUE(resp.status().transient());
  EXPECT_NE(resp.status().message().find("connection dropped"), std::string::npos);
  EXPECT_EQ(echo.posts(), 1) << "the client must not repeat a POST it cannot prove is safe";
}

TEST(Http, PostWithIdempotencyKeyIsRepeatedOnceAfterADrop) {
  Echo echo;
  ASSERT_TRUE(echo.Start().ok());
  FaultConfig f;
  f.drop_after_handling_next = 1;
  echo.server().SetFaults(f);
  auto c = MakeClient(echo.server().base_url());
  auto resp = c->Send({"POST", "/things", {{"Idempotency-Key", "k1"}}, "{\"a\":1}", ""});
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(echo.posts(), 2) << "handled, dropped, repeated: the server must dedupe by key";
}

TEST(Http, ConnectionRefusedAndTimeoutAreTransient) {
  auto dead = MakeClient("http://127.0.0.1:1");
  auto r = dead->Send({"GET", "/", {}, "", ""});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().transient());
  EXPECT_NE(r.status().message().find("refused"), std::string::npos) << r.status().message();

  Echo echo;
  ASSERT_TRUE(echo.Start().ok());
  FaultConfig f;
  f.latency_ms = 400;
  echo.server().SetFaults(f);
  ClientOptions o;
  o.timeout = std::chrono::milliseconds(100);
  auto slow = MakeClient(echo.server().base_url(), o);
  auto t = slow->Send({"GET", "/", {}, "", ""});
  ASSERT_FALSE(t.ok());
  EXPECT_TRUE(t.status().transient());
  EXPECT_NE(t.status().message().find("timed out"), std::string::npos) << t.status().message();
}

TEST(Http, RefusesToFollowALinkToAnotherHost) {
  Echo echo;
  ASSERT_TRUE(echo.Start().ok());
  auto c = MakeClient(echo.server().base_url());
  auto r = c->Send({"GET", "https://attacker.example/steal", {}, "", ""});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("another host"), std::string::npos);
  auto same = c->Send({"GET", echo.server().base_url() + "/next?page=3", {}, "", ""});
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_EQ((*same->Json())["query"], "page=3");
}

TEST(Http, UntrustedCertificateIsRefusedByDefault) {
  Echo echo;
  ASSERT_TRUE(echo.Start(/*tls=*/true).ok());
  auto c = MakeClient(echo.server().base_url());
  auto r = c->Send({"GET", "/", {}, "", ""});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kFailedPrecondition) << r.status().ToString();
  EXPECT_NE(r.status().message().find("certificate"), std::string::npos);
}

TEST(Http, ConfiguredCaFileIsTrusted) {
  Echo echo;
  ASSERT_TRUE(echo.Start(/*tls=*/true).ok());
  ClientOptions o;
  o.ca_file = TEST_CERT;
  auto c = MakeClient(echo.server().base_url(), o);
  auto r = c->Send({"GET", "/secure", {}, "", ""});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r->Json())["path"], "/secure");
}

TEST(Http, BadOptionsAreRefusedUpFront) {
  ClientOptions o;
  o.base_url = "ftp://x";
  EXPECT_FALSE(Client::Create(o).ok());
  o.base_url = "https://x";
  o.ca_file = "/nonexistent/ca.pem";
  auto c = Client::Create(o);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("CA file"), std::string::npos);
}
