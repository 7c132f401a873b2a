// Two API hosts on one PostgreSQL store (issue 16, item 3): what one host caches (checked tokens,
// pupils' summaries, the dashboard's pupil lines) is kept only for the store's hub generation it
// was built at, so a change made through the other host, or by `sendsync token revoke` anywhere,
// shows at this host's next request.
#include <fstream>

#include "core/server/auth.h"
#include "core/server/scheduler.h"
#include "server_fixture.h"

namespace sendsync::server_test {
namespace {

class TwoApiHosts : public ServerTest {
 protected:
  TwoApiHosts() { postgres_ = true; }

  void TearDown() override {
    if (b_) b_->Stop();
    b_.reset();
    ServerTest::TearDown();
  }

  // Host A is the fixture's service; host B a second one on the same store.
  void StartBoth() {
    auto a = Options(false);
    a.engine.host_id = "host-a";
    Start(a);
    auto b = Options(false);
    b.engine.host_id = "host-b";
    auto s = server::Service::Start(b);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    b_ = std::move(*s);
  }
  uint16_t a() const { return port(); }
  uint16_t b() const { return b_->port(); }

  // The pupil's surname as host `port` shows it, in the pupil's page and in the pupil list.
  std::pair<std::string, std::string> Surnames(uint16_t port, const std::string& token, int n) {
    Response one = Http(port, "GET", "/api/v1/pupils/" + Upn(n), token);
    Response list = Http(port, "GET", "/api/v1/pupils", token);
    std::string in_list;
    for (const json& p : list.Json().value("items", json::array()))
      if (p.value("upn", "") == Upn(n)) in_list = p.value("surname", "");
    json body = one.Json();
    std::string in_page;
    if (body.is_object() && body.contains("pupil") && body["pupil"].is_object())
      in_page = body["pupil"].value("legal_surname", "");
    return {in_page, in_list};
  }

  std::unique_ptr<server::Service> b_;
};

TEST_F(TwoApiHosts, ATokenRevokedAnywhereIsRefusedByEveryHostAtItsNextRequest) {
  StartBoth();
  auto token = server::CreateToken(*store_, "ops-a", server::Role::kOperator, "", "test");
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  for (int i = 0; i < 2; ++i) {  // the second request on each host is answered from its cache
    ASSERT_EQ(Http(a(), "GET", "/api/v1/links", *token).status, 200);
    ASSERT_EQ(Http(b(), "GET", "/api/v1/links", *token).status, 200);
  }
  ASSERT_TRUE(server::RevokeToken(*store_, "ops-a", "test").ok());  // `sendsync token revoke`
  EXPECT_EQ(Http(b(), "GET", "/api/v1/links", *token).status, 401);
  EXPECT_EQ(Http(a(), "GET", "/api/v1/links", *token).status, 401);
}

TEST_F(TwoApiHosts, AChangeMadeThroughOneHostShowsOnTheOther) {
  WritePupils("mis", 1, 2);
  AddLink("mis", "mis");
  StartBoth();
  const std::string admin = Token(server::Role::kAdmin);
  ASSERT_EQ(Http(a(), "POST", "/api/v1/links/mis/run?wait=true", admin).status, 200);
  // Host B reads the pupil twice: the second answer comes from its caches.
  for (int i = 0; i < 2; ++i) {
    auto [page, list] = Surnames(b(), admin, 1);
    ASSERT_EQ(page, "Smith");
    ASSERT_EQ(list, "Smith");
  }

  // The MIS renames the pupil; the run that brings it in is asked for through host A.
  {
    std::ofstream f(dir_ / "mis" / "pupil.jsonl", std::ios::app);
    f << json{{"kind", "pupil"},
              {"id", "p1"},
              {"upn", Upn(1)},
              {"legal_surname", "Jones"},
              {"legal_forename", "Sam"},
              {"dob", "2014-03-02"},
              {"sex", "F"},
              {"nc_year", "6"},
              {"school_urn", "100000"}}
             .dump()
      << "\n";
  }
  ASSERT_EQ(Http(a(), "POST", "/api/v1/links/mis/run?wait=true", admin).status, 200);
  auto [page, list] = Surnames(b(), admin, 1);
  EXPECT_EQ(page, "Jones") << "host B served its cached summary";
  EXPECT_EQ(list, "Jones") << "host B served its cached pupil list";

  // A school named through host A is named on host B.
  ASSERT_EQ(
      Http(a(), "POST", "/api/v1/schools/100000/name", admin, R"({"name":"Brookside"})").status,
      200);
  std::string named;
  for (const json& s :
       Http(b(), "GET", "/api/v1/schools", admin).Json().value("items", json::array()))
    if (s.value("urn", "") == "100000") named = s.value("name", "");
  EXPECT_EQ(named, "Brookside");
}

// A link that one host is running shows as running on every host (the API used to ask only its
// own scheduler, so host B said "not running" while host A ran the link).
TEST_F(TwoApiHosts, ALinkRunningOnOneHostShowsAsRunningOnTheOther) {
  WritePupils("slow", 1, 40);
  AddLink("slow", "slow", "100000", "manual", "slow-source", {{"delay_ms", 150}, {"page", 10}});
  StartBoth();
  const std::string admin = Token(server::Role::kAdmin);
  ASSERT_EQ(Http(a(), "POST", "/api/v1/links/slow/run", admin).status, 202);
  ASSERT_TRUE(WaitFor([&] {
    auto l = store::GetLink(*Conn(), "slow");
    auto lease = store::GetLease(*Conn(), l->id);
    return lease.ok() && lease->has_value();
  }));
  json on_b = Http(b(), "GET", "/api/v1/links/slow", admin).Json();
  EXPECT_EQ(on_b["running"], true) << on_b.dump();
  int running = -1;
  for (const json& s :
       Http(b(), "GET", "/api/v1/schools", admin).Json().value("items", json::array()))
    if (s.value("urn", "") == "100000") running = s.value("running", -1);
  EXPECT_EQ(running, 1);
  ASSERT_TRUE(
      WaitFor([&] { return !svc_->scheduler().Running("slow"); }, std::chrono::seconds(30)));
  EXPECT_EQ(Http(b(), "GET", "/api/v1/links/slow", admin).Json()["running"], false);
}

}  // namespace
}  // namespace sendsync::server_test
