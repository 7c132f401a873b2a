// Every route of the admin API, taken from the same table the server dispatches from, refuses a
// missing or wrong token (401), a role that may not make the call (403) and a token limited to
// another school (403), with problem+json bodies that carry no personal data. A new route is in
// this test the moment it is in the table.
#include <regex>

#include "core/audit/audit.h"
#include "core/server/api.h"
#include "openapi_contract.h"
#include "server_fixture.h"

namespace sendsync::server_test {
namespace {

class AccessTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    WritePupils("mis", 1, 3);
    link_id_ = AddLink("mis", "mis");
    Start();
    auto run = svc_->scheduler().RunNow("mis", sync::RunMode::kSync);
    ASSERT_TRUE(run.ok()) << run.status().ToString();
    run_id_ = run->run_id;
    auto c = Conn();
    auto pupil = store::PupilsByUpn(*c, {Upn(1)});
    ASSERT_TRUE(pupil.ok() && pupil->size() == 1);
    const int64_t pupil_id = (*pupil)[0].id;

    std::vector<store::Conflict> conflicts(1);
    conflicts[0].link_id = link_id_;
    conflicts[0].kind = "pupil";
    conflicts[0].record_id = pupil_id;
    conflicts[0].external_id = "p1";
    conflicts[0].field = "legal_surname";
    conflicts[0].base = "\"Smith\"";
    conflicts[0].ours = "\"Smith\"";
    conflicts[0].theirs = "\"Smyth\"";
    ASSERT_TRUE(store::InsertConflicts(*c, conflicts).ok());
    std::vector<store::QuarantineItem> q(1);
    q[0].link_id = link_id_;
    q[0].kind = "pupil";
    q[0].external_id = "p9";
    q[0].upn = Upn(9);
    q[0].raw = R"({"kind":"pupil","id":"p9","upn":")" + Upn(9) + R"(","legal_surname":"Jones"})";
    q[0].reasons =
        json::array({{{"code", "missing"}, {"path", "/dob"}, {"message", "dob is required"}}});
    ASSERT_TRUE(store::InsertQuarantine(*c, q).ok());
    std::vector<store::MatchItem> m(1);
    m[0].link_id = link_id_;
    m[0].kind = "pupil";
    m[0].external_id = "p8";
    m[0].upn = Upn(8);
    m[0].raw = "{}";
    m[0].candidates = json::array();
    m[0].reason = "same name and date of birth, different UPN";
    ASSERT_TRUE(store::InsertMatches(*c, m).ok());
    std::vector<store::OutboxItem> o(1);
    o[0].link_id = link_id_;
    o[0].kind = "pupil";
    o[0].record_id = pupil_id;
    o[0].op = sendsync::ChangeOp::kUpsert;
    o[0].payload = "{}";
    o[0].idem_key = "k1";
    o[0].status = sendsync::store::OutboxStatus::kDead;
    ASSERT_TRUE(store::InsertOutbox(*c, o).ok());
    values_ = {{"name", "mis"},
               {"run_id", std::to_string(run_id_)},
               {"conflict_id", std::to_string(conflicts[0].id)},
               {"quarantine_id", std::to_string(q[0].id)},
               {"match_id", std::to_string(m[0].id)},
               {"outbox_id", std::to_string(o[0].id)},
               {"upn", Upn(1)},
               {"urn", "100000"}};
  }

  // The route's pattern with real ids; a route about no one resource asks for school 100000.
  std::string PathOf(const server::Route& r) {
    std::string path = r.pattern;
    bool resource = false;
    static const std::regex param(R"(\{([a-z_]+)\})");
    std::smatch m;
    while (std::regex_search(path, m, param)) {
      auto it = values_.find(m[1].str());
      if (it == values_.end()) {
        ADD_FAILURE() << r.pattern << ": this test has no value for {" << m[1].str()
                      << "}; add one";
        return path;
      }
      path.replace(static_cast<size_t>(m.position(0)), static_cast<size_t>(m.length(0)),
                   it->second);
      resource = true;
    }
    return resource ? path : path + "?school=100000";
  }

  void ExpectRefused(const Response& res, int status, const server::Route& r,
                     const std::string& why) {
    EXPECT_EQ(res.status, status) << r.method << " " << r.pattern << " (" << why
                                  << "): " << res.body;
    EXPECT_EQ(res.content_type, "application/problem+json") << r.pattern;
    json body = res.Json();
    EXPECT_EQ(body.value("status", 0), status) << r.pattern;
    // No personal data: neither the pupil's UPN nor a name appears in a refusal.
    EXPECT_EQ(res.body.find(Upn(1)), std::string::npos) << r.pattern;
    EXPECT_EQ(res.body.find("Smith"), std::string::npos) << r.pattern;
  }

  Response Call(const server::Route& r, const std::string& token) {
    return Http(port(), r.method, PathOf(r), token, std::string(r.method) == "POST" ? "{}" : "");
  }

  // Checks one exchange against docs/api/admin-api.yaml.
  void ExpectDocumented(const std::string& method, const std::string& path, const Response& res) {
    static auto contract =
        sims::OpenApiContract::Load(std::string(SOURCE_DIR) + "/docs/api/admin-api.yaml");
    ASSERT_TRUE(contract.ok()) << contract.status().ToString();
    sims::HttpExchange x;
    x.status = res.status;
    x.content_type = res.content_type.substr(0, res.content_type.find(';'));
    x.body = res.body;
    const std::string bare = path.substr(0, path.find('?'));
    for (const auto& v : (*contract)->CheckResponse(method, bare, x))
      ADD_FAILURE() << method << " " << path << " -> " << res.status << ": " << v.path << ": "
                    << v.message << "\n"
                    << res.body.substr(0, 400);
  }

  int64_t link_id_ = 0, run_id_ = 0;
  std::map<std::string, std::string> values_;
};

TEST_F(AccessTest, EveryRouteRefusesAMissingToken) {
  for (const auto& r : server::Routes()) ExpectRefused(Call(r, ""), 401, r, "no token");
}

TEST_F(AccessTest, EveryRouteRefusesAnUnknownToken) {
  for (const auto& r : server::Routes())
    ExpectRefused(Call(r, "sst_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), 401, r,
                  "unknown token");
}

TEST_F(AccessTest, EveryRouteRefusesARevokedToken) {
  const std::string token = Token(server::Role::kAdmin);
  ASSERT_TRUE(server::RevokeToken(*store_, "admin-1", "test").ok());
  for (const auto& r : server::Routes()) ExpectRefused(Call(r, token), 401, r, "revoked token");
}

TEST_F(AccessTest, EveryRouteRefusesRolesTheMatrixDoesNotAllow) {
  std::map<server::Role, std::string> tokens;
  for (server::Role role : server::AllRoles()) tokens[role] = Token(role);
  int refused = 0;
  for (const auto& r : server::Routes())
    for (server::Role role : server::AllRoles())
      if (!server::RoleAllows(role, r.perm)) {
        ExpectRefused(Call(r, tokens[role]), 403, r, std::string("role ") + server::RoleName(role));
        ++refused;
      }
  EXPECT_GT(refused, 40);  // the matrix really does refuse most roles most routes
}

TEST_F(AccessTest, EveryRouteRefusesATokenOfAnotherSchool) {
  std::map<server::Role, std::string> tokens;
  for (server::Role role : server::AllRoles()) tokens[role] = Token(role, "999999");
  for (const auto& r : server::Routes())
    for (server::Role role : server::AllRoles())
      if (server::RoleAllows(role, r.perm)) {
        // A pupil of another school is not found, exactly as a UPN that exists nowhere: a 403
        // would tell the token that the UPN exists.
        const bool about_a_pupil = std::string(r.pattern).find("{upn}") != std::string::npos;
        ExpectRefused(Call(r, tokens[role]), about_a_pupil ? 404 : 403, r,
                      std::string("another school, role ") + server::RoleName(role));
      }
}

TEST_F(AccessTest, EveryReadRouteAnswersAnAllowedTokenOfTheRightSchool) {
  // The control for the refusals above: the same calls succeed with the right token.
  const std::string admin = Token(server::Role::kAdmin);
  const std::string school_admin = Token(server::Role::kAdmin, "100000");
  for (const auto& r : server::Routes()) {
    if (std::string(r.method) != "GET") continue;
    const std::string token = r.scope == server::Scope::kGlobal ? admin : school_admin;
    Response res = Call(r, token);
    EXPECT_EQ(res.status, 200) << r.pattern << ": " << res.body;
  }
}

TEST_F(AccessTest, EveryReadAndRefusalKeepsToTheApiDocument) {
  const std::string admin = Token(server::Role::kAdmin);
  for (const auto& r : server::Routes()) {
    ExpectDocumented(r.method, PathOf(r), Call(r, ""));
    if (std::string(r.method) == "GET") ExpectDocumented(r.method, PathOf(r), Call(r, admin));
  }
}

TEST_F(AccessTest, EveryChangeKeepsToTheApiDocument) {
  // A body for each POST route that the route accepts; a new POST route must be given one here.
  std::map<std::string, std::string> bodies = {
      {"/api/v1/links", json{{"name", "tool"},
                             {"school_urn", "100000"},
                             {"adapter", "jsonl-folder"},
                             {"config", {{"folder", (dir_ / "mis").string()}}}}
                            .dump()},
      {"/api/v1/links/{name}/test", ""},
      {"/api/v1/links/{name}/dry-run", ""},
      {"/api/v1/links/{name}/run", ""},
      {"/api/v1/links/{name}/disable", ""},
      {"/api/v1/links/{name}/enable", ""},
      {"/api/v1/conflicts/{conflict_id}/resolve", R"({"take": "ours"})"},
      {"/api/v1/quarantine/{quarantine_id}/retry", ""},
      {"/api/v1/quarantine/{quarantine_id}/discard", R"({"reason": "test"})"},
      {"/api/v1/schools/{urn}/name", R"({"name": "Oak Tree Primary"})"},
      {"/api/v1/quarantine/bulk",
       json{{"action", "retry"}, {"ids", {std::stoll(values_["quarantine_id"])}}}.dump()},
      {"/api/v1/matches/{match_id}/resolve", R"({"to": "discard"})"},
      {"/api/v1/outbox/{outbox_id}/retry", ""},
      {"/api/v1/outbox/retry", R"({"status": "dead"})"},
      {"/api/v1/pupils/{upn}/referral/submit", R"({"wait_seconds": 0})"},
  };
  const std::string admin = Token(server::Role::kAdmin);
  for (const auto& r : server::Routes()) {
    if (std::string(r.method) != "POST") continue;
    auto b = bodies.find(r.pattern);
    if (b == bodies.end()) {
      ADD_FAILURE() << r.pattern << ": give this test a body for it";
      continue;
    }
    std::string path = PathOf(r);
    path = path.substr(0, path.find('?'));
    if (std::string(r.pattern) == "/api/v1/links/{name}/run") path += "?wait=true";
    Response res = Http(port(), "POST", path, admin, b->second);
    EXPECT_LT(res.status, 500) << path << ": " << res.body;
    ExpectDocumented("POST", path, res);
    // The same call with a body that is not an object is a documented 400 (or ignored when the
    // route takes no body, then refused as a repeat or answered as before).
    ExpectDocumented("POST", path, Http(port(), "POST", path, admin, "[1]"));
  }
}

TEST_F(AccessTest, RefusalsAreAuditedNowhereAndChangeNothing) {
  const std::string auditor = Token(server::Role::kAuditor);
  auto before = audit::List(*Conn(), {});
  for (const auto& r : server::Routes())
    if (std::string(r.method) == "POST") Call(r, auditor);
  auto after = audit::List(*Conn(), {});
  ASSERT_TRUE(before.ok() && after.ok());
  EXPECT_EQ(before->size(), after->size());
  auto c = store::GetConflict(*Conn(), std::stoll(values_["conflict_id"]));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->status, sendsync::store::ReviewStatus::kOpen);
}

}  // namespace
}  // namespace sendsync::server_test
