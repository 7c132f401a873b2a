// The admin API's behaviour: pagination, problem+json input errors, size limits, changes audited
// with the token's name, school-limited lists, metrics after a run, the dashboard's static files.
#include "core/server/api.h"
#include <filesystem>
#include <fstream>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/StreamCopier.h>

#include "core/audit/audit.h"
#include "core/server/http_server.h"
#include "server_fixture.h"

namespace sendsync::server_test {
namespace {

class ApiTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    WritePupils("mis", 1, 5);
    link_id_ = AddLink("mis", "mis");
  }

  // Open conflicts on pupil 1's surname, one per call.
  std::vector<int64_t> AddConflicts(int n) {
    auto c = Conn();
    auto pupil = store::PupilsByUpn(*c, {Upn(1)});
    EXPECT_TRUE(pupil.ok() && pupil->size() == 1);
    std::vector<store::Conflict> items(static_cast<size_t>(n));
    for (auto& x : items) {
      x.link_id = link_id_;
      x.kind = "pupil";
      x.record_id = (*pupil)[0].id;
      x.external_id = "p1";
      x.field = "legal_surname";
      x.base = "\"Smith\"";
      x.ours = "\"Smith\"";
      x.theirs = "\"Smyth\"";
    }
    EXPECT_TRUE(store::InsertConflicts(*c, items).ok());
    std::vector<int64_t> ids;
    for (const auto& x : items) ids.push_back(x.id);
    return ids;
  }

  void RunMis() {
    auto r = svc_->scheduler().RunNow("mis", sync::RunMode::kSync);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  int64_t link_id_ = 0;
};

TEST_F(ApiTest, ListsArePagedWithLimitAndCursorUntilNextCursorIsNull) {
  Start();
  RunMis();
  auto ids = AddConflicts(7);
  const std::string token = Token(server::Role::kOperator);
  std::vector<int64_t> seen;
  std::string cursor;
  int pages = 0;
  do {
    Response r =
        Get("/api/v1/conflicts?limit=3" + (cursor.empty() ? "" : "&cursor=" + cursor), token);
    ASSERT_EQ(r.status, 200) << r.body;
    json j = r.Json();
    EXPECT_LE(j["items"].size(), 3u);
    for (const json& c : j["items"]) seen.push_back(c["id"].get<int64_t>());
    cursor = j["next_cursor"].is_null() ? "" : j["next_cursor"].get<std::string>();
    ++pages;
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, ids);
}

TEST_F(ApiTest, InMemoryListsArePagedToo) {
  for (int i = 0; i < 4; ++i) AddLink("extra" + std::to_string(i), "mis");
  Start();
  const std::string token = Token(server::Role::kAdmin);
  json first = Get("/api/v1/links?limit=2", token).Json();
  ASSERT_EQ(first["items"].size(), 2u);
  json second =
      Get("/api/v1/links?limit=2&cursor=" + first["next_cursor"].get<std::string>(), token).Json();
  json third =
      Get("/api/v1/links?limit=2&cursor=" + second["next_cursor"].get<std::string>(), token).Json();
  EXPECT_EQ(third["items"].size(), 1u);
  EXPECT_TRUE(third["next_cursor"].is_null());
  EXPECT_NE(first["items"][0]["name"], second["items"][0]["name"]);
}

TEST_F(ApiTest, BadPagingParametersAreProblemsNamingTheQueryParameter) {
  Start();
  const std::string token = Token(server::Role::kAdmin);
  Response r = Get("/api/v1/runs?limit=0&cursor=abc", token);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, "application/problem+json");
  json j = r.Json();
  ASSERT_EQ(j["errors"].size(), 2u);
  EXPECT_EQ(j["errors"][0]["path"], "query:limit");
  EXPECT_EQ(j["errors"][1]["path"], "query:cursor");
  EXPECT_EQ(Get("/api/v1/quarantine?status=nonsense", token).Json()["errors"][0]["path"],
            "query:status");
}

TEST_F(ApiTest, InvalidResolutionIsA400ListingEachFieldPath) {
  Start();
  RunMis();
  auto ids = AddConflicts(1);
  Response r = Post("/api/v1/conflicts/" + std::to_string(ids[0]) + "/resolve",
                    Token(server::Role::kSenco), R"({"take": "maybe", "colour": "red"})");
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.content_type, "application/problem+json");
  json j = r.Json();
  EXPECT_EQ(j["type"], "urn:sendsync:problem:invalid-input");
  std::set<std::string> paths;
  for (const json& e : j["errors"]) paths.insert(e["path"].get<std::string>());
  EXPECT_EQ(paths, (std::set<std::string>{"/take", "/colour"}));
  EXPECT_EQ(store::GetConflict(*Conn(), ids[0])->status, sendsync::store::ReviewStatus::kOpen);
}

// A conflict says whose record it is (the pupil's name as the hub holds it) and what kind of system
// the link is, so a page can put it in words.
TEST_F(ApiTest, ConflictNamesThePupilAndTheLinksAdapter) {
  Start();
  RunMis();
  auto ids = AddConflicts(1);
  json c = Get("/api/v1/conflicts/" + std::to_string(ids[0]), Token(server::Role::kSenco)).Json();
  EXPECT_EQ(c["name"], "Sam Smith") << c.dump();
  EXPECT_EQ(c["upn"], Upn(1));
  EXPECT_EQ(c["adapter"], "jsonl-folder");
  json list = Get("/api/v1/conflicts", Token(server::Role::kSenco)).Json();
  ASSERT_EQ(list["items"].size(), 1u) << list.dump();
  EXPECT_EQ(list["items"][0]["name"], "Sam Smith");
}

// Many quarantined records at once: every id is checked against the token's school first (one of
// another school changes nothing); then each is retried or discarded as one at a time would be,
// audited under the token, with those that cannot be done listed and the rest going ahead.
TEST_F(ApiTest, QuarantineBulkRetryAndDiscardWithinTheTokensSchool) {
  AddLink("other", "other", "200000");
  Start();
  RunMis();
  auto c = Conn();
  auto links = store::ListLinks(*c);
  ASSERT_TRUE(links.ok());
  int64_t other_id = 0;
  for (const auto& l : *links)
    if (l.name == "other") other_id = l.id;
  auto item = [&](int64_t link, int n, bool with_dob) {
    store::QuarantineItem q;
    q.link_id = link;
    q.kind = "pupil";
    q.external_id = "p" + std::to_string(n);
    q.upn = Upn(n);
    json raw = {{"kind", "pupil"},
                {"id", q.external_id},
                {"upn", Upn(n)},
                {"legal_surname", "Ng"},
                {"legal_forename", "Jo"},
                {"sex", "F"},
                {"school_urn", link == other_id ? "200000" : "100000"}};
    if (with_dob) raw["dob"] = "2014-03-02";
    q.raw = raw.dump();
    q.reasons =
        json::array({{{"code", "missing"}, {"path", "/dob"}, {"message", "dob is required"}}});
    return q;
  };
  std::vector<store::QuarantineItem> q = {item(link_id_, 21, true), item(link_id_, 22, false),
                                          item(link_id_, 23, false), item(other_id, 24, false)};
  ASSERT_TRUE(store::InsertQuarantine(*c, q).ok());
  const std::string senco = Token(server::Role::kSenco, "100000");
  auto body = [](const std::string& action, std::vector<int64_t> ids, const std::string& reason) {
    json b = {{"action", action}, {"ids", ids}};
    if (!reason.empty()) b["reason"] = reason;
    return b.dump();
  };
  auto status = [&](int64_t id) {
    return std::string(store::ReviewStatusName(store::GetQuarantine(*Conn(), id)->status));
  };

  Response r = Post("/api/v1/quarantine/bulk", senco, body("retry", {q[0].id, q[3].id}, ""));
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(status(q[0].id), "open") << "another school's id in the list changes nothing";

  r = Post("/api/v1/quarantine/bulk", senco, body("retry", {q[0].id, q[1].id}, ""));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["done"], json::array({q[0].id}));
  ASSERT_EQ(r.Json()["failed"].size(), 1u) << r.body;
  EXPECT_EQ(r.Json()["failed"][0]["id"], q[1].id);
  EXPECT_NE(r.Json()["failed"][0]["detail"].get<std::string>().find("still not valid"),
            std::string::npos);
  EXPECT_EQ(status(q[0].id), "applied");
  EXPECT_EQ(status(q[1].id), "open");

  r = Post("/api/v1/quarantine/bulk", senco, body("discard", {q[1].id, q[2].id}, ""));
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.Json()["errors"][0]["path"], "/reason");
  r = Post("/api/v1/quarantine/bulk", senco, body("discard", {q[1].id, q[1].id}, "x"));
  EXPECT_EQ(r.status, 400) << "an id twice: " << r.body;
  auto before = audit::List(*Conn(), {});
  ASSERT_TRUE(before.ok());
  r = Post("/api/v1/quarantine/bulk", senco, body("discard", {q[1].id, q[2].id}, "test data"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["done"], json::array({q[1].id, q[2].id}));
  EXPECT_EQ(status(q[1].id), "discarded");
  EXPECT_EQ(status(q[2].id), "discarded");
  EXPECT_EQ(status(q[3].id), "open");
  auto after = audit::List(*Conn(), {});
  ASSERT_TRUE(after.ok());
  int discards = 0;
  for (const auto& e : *after)
    if (e.action == "quarantine.discard" && e.actor.rfind("token:", 0) == 0) ++discards;
  EXPECT_EQ(discards, 2) << "each record audited under the token";
  EXPECT_EQ(after->size(), before->size() + 2);
}

TEST_F(ApiTest, BodyThatIsNotJsonIsA400) {
  Start();
  RunMis();
  auto ids = AddConflicts(1);
  Response r = Post("/api/v1/conflicts/" + std::to_string(ids[0]) + "/resolve",
                    Token(server::Role::kAdmin), "{take");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Json()["errors"][0]["message"], "not valid JSON");
}

TEST_F(ApiTest, BodyOverTheLimitIsA413) {
  auto o = Options();
  o.max_request_bytes = 1024;
  Start(o);
  Response r = Post("/api/v1/links", Token(server::Role::kAdmin), std::string(2000, ' '));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.content_type, "application/problem+json");
}

TEST_F(ApiTest, ResolvingAConflictIsAuditedWithTheTokensName) {
  Start();
  RunMis();
  auto ids = AddConflicts(1);
  const std::string token = Token(server::Role::kSenco, "100000");
  // Read first, so the summary the server keeps must give way to the resolution.
  const json before = Get("/api/v1/pupils/" + Upn(1), token).Json();
  EXPECT_NE(before["pupil"]["legal_surname"], "Smyth");
  Response r = Post("/api/v1/conflicts/" + std::to_string(ids[0]) + "/resolve", token,
                    R"({"take": "theirs"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["status"], "resolved");
  auto entries = audit::List(*Conn(), {0, 0, 0, 1000});
  ASSERT_TRUE(entries.ok());
  bool found = false;
  for (const auto& e : *entries) found |= e.actor == "token:senco-1";
  EXPECT_TRUE(found) << "no audit entry by token:senco-1";
  EXPECT_EQ(
      Get("/api/v1/pupils/" + Upn(1), Token(server::Role::kAdmin)).Json()["pupil"]["legal_surname"],
      "Smyth");
}

TEST_F(ApiTest, ResolvingTwiceIsAConflict) {
  Start();
  RunMis();
  auto ids = AddConflicts(1);
  const std::string token = Token(server::Role::kOperator);
  const std::string path = "/api/v1/conflicts/" + std::to_string(ids[0]) + "/resolve";
  ASSERT_EQ(Post(path, token, R"({"take": "ours"})").status, 200);
  EXPECT_EQ(Post(path, token, R"({"take": "ours"})").status, 409);
}

TEST_F(ApiTest, EnablingAndDisablingALinkIsAudited) {
  Start();
  const std::string token = Token(server::Role::kAdmin);
  Response r = Post("/api/v1/links/mis/disable", token);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(r.Json()["enabled"].get<bool>());
  EXPECT_EQ(Post("/api/v1/links/mis/run", token).status, 409);
  auto entries = audit::List(*Conn(), {0, 0, 0, 1000});
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ(entries->back().action, "link.disable");
  EXPECT_EQ(entries->back().actor, "token:admin-1");
}

TEST_F(ApiTest, RunThroughTheApiShowsItsCountsInMetrics) {
  Start();
  const std::string token = Token(server::Role::kOperator);
  Response r = Post("/api/v1/links/mis/run?wait=true", token);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["pulled"], 5);
  Response m = Http(port(), "GET", "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.content_type.rfind("text/plain", 0), 0u);
  EXPECT_NE(m.body.find("sendsync_runs_total{link=\"mis\",outcome=\"ok\"} 1\n"), std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("sendsync_records_total{link=\"mis\",what=\"pulled\"} 5\n"),
            std::string::npos);
  EXPECT_NE(m.body.find("sendsync_records_total{link=\"mis\",what=\"applied\"} 5\n"),
            std::string::npos);
  EXPECT_NE(m.body.find("sendsync_run_duration_seconds_count{link=\"mis\"} 1\n"),
            std::string::npos);
  EXPECT_NE(m.body.find("sendsync_queue_size{queue=\"conflicts\"} 0\n"), std::string::npos);
  EXPECT_NE(m.body.find("# TYPE sendsync_adapter_worker_restarts_total counter\n"),
            std::string::npos);
  EXPECT_NE(m.body.find("# TYPE sendsync_adapter_worker_failures_total counter\n"),
            std::string::npos);
  EXPECT_EQ(m.body.find(Upn(1)), std::string::npos);
  auto entries = audit::List(*Conn(), {0, 0, 0, 1000});
  bool requested = false;
  for (const auto& e : *entries)
    requested |= e.action == "link.run" && e.actor == "token:operator-1";
  EXPECT_TRUE(requested);
}

TEST_F(ApiTest, RunWithoutWaitStartsInTheBackgroundAndShowsUpInRuns) {
  Start();
  const std::string token = Token(server::Role::kAdmin);
  Response r = Post("/api/v1/links/mis/run", token);
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_TRUE(WaitFor([&] {
    json runs = Get("/api/v1/runs?link=mis", token).Json();
    return !runs["items"].empty() && runs["items"][0]["status"] == "ok";
  }));
}

TEST_F(ApiTest, DryRunReportsChangesAndWritesNothing) {
  Start();
  Response r = Post("/api/v1/links/mis/dry-run", Token(server::Role::kOperator));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["mode"], "dry-run");
  EXPECT_EQ(r.Json()["changes"].size(), 5u);
  EXPECT_TRUE(store::ListPupils(*Conn())->empty());
}

TEST_F(ApiTest, SchoolLimitedTokenSeesOnlyItsSchool) {
  WritePupils("other", 100, 2, "200000");
  AddLink("other-mis", "other", "200000");
  Start();
  RunMis();
  AddConflicts(2);
  json mine = Get("/api/v1/conflicts", Token(server::Role::kSenco, "100000")).Json();
  EXPECT_EQ(mine["items"].size(), 2u);
  json theirs = Get("/api/v1/conflicts", Token(server::Role::kSenco, "200000")).Json();
  EXPECT_EQ(theirs["items"].size(), 0u);
  json links = Get("/api/v1/links", Token(server::Role::kAuditor, "200000")).Json();
  ASSERT_EQ(links["items"].size(), 1u);
  EXPECT_EQ(links["items"][0]["name"], "other-mis");
  EXPECT_EQ(Get("/api/v1/schools", Token(server::Role::kAuditor, "200000")).Json()["items"].size(),
            1u);
  EXPECT_EQ(Get("/api/v1/schools", Token(server::Role::kAuditor)).Json()["items"].size(), 2u);
}

// Issue 21: dead letters are retried in bulk through the API, as `outbox retry --all` does:
// every one the caller's school may see, one link's, or those listed, each audited; all or
// nothing when a listed change may not be retried.
TEST_F(ApiTest, BulkRetryQueuesDeadLettersOfTheSchoolLinkOrIdsAndAuditsEach) {
  WritePupils("other", 100, 2, "200000");
  const int64_t other_link = AddLink("other-mis", "other", "200000");
  Start();
  RunMis();
  auto c = Conn();
  auto pupil = store::PupilsByUpn(*c, {Upn(1)});
  ASSERT_TRUE(pupil.ok() && pupil->size() == 1);
  // Three dead and one rejected change for "mis", two dead for the other school's link.
  std::vector<store::OutboxItem> items(6);
  for (size_t i = 0; i < items.size(); ++i) {
    items[i].link_id = i < 4 ? link_id_ : other_link;
    items[i].kind = "pupil";
    items[i].record_id = (*pupil)[0].id;
    items[i].op = sendsync::ChangeOp::kUpsert;
    items[i].payload = "{}";
    items[i].idem_key = "bulk-" + std::to_string(i);
    items[i].status = i == 3 ? store::OutboxStatus::kRejected : store::OutboxStatus::kDead;
    items[i].attempts = 8;
    items[i].last_error = "HTTP 500 from the target";
  }
  ASSERT_TRUE(store::InsertOutbox(*c, items).ok());
  auto status_of = [&](size_t i) {
    auto o = store::GetOutbox(*Conn(), items[i].id);
    EXPECT_TRUE(o.ok());
    return o.ok() ? std::string(store::OutboxStatusName(o->status)) : std::string();
  };
  const std::string school_operator = Token(server::Role::kOperator, "100000");

  // Bad input names every field at fault and changes nothing.
  Response bad =
      Post("/api/v1/outbox/retry", school_operator, R"({"status": "pending", "ids": [1, "x"]})");
  ASSERT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(bad.body.find("/status"), std::string::npos) << bad.body;
  EXPECT_NE(bad.body.find("/ids/1"), std::string::npos) << bad.body;
  // A listed change of another school: refused, none retried.
  Response other = Post("/api/v1/outbox/retry", school_operator,
                        json{{"ids", {items[0].id, items[4].id}}}.dump());
  EXPECT_EQ(other.status, 403) << other.body;
  // A listed change that is not dead: refused, none retried.
  Response not_dead = Post("/api/v1/outbox/retry", school_operator,
                           json{{"ids", {items[0].id, items[3].id}}}.dump());
  EXPECT_EQ(not_dead.status, 409) << not_dead.body;
  EXPECT_EQ(status_of(0), "dead");

  // No filter: every dead change of the token's school, and only those.
  Response all = Post("/api/v1/outbox/retry", school_operator, "");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.Json()["retried"], 3) << all.body;
  EXPECT_EQ(all.Json()["ids"], json({items[0].id, items[1].id, items[2].id})) << all.body;
  for (size_t i : {0, 1, 2}) EXPECT_EQ(status_of(i), "pending") << i;
  EXPECT_EQ(status_of(3), "rejected");
  EXPECT_EQ(status_of(4), "dead");
  EXPECT_EQ(status_of(5), "dead");
  auto o = store::GetOutbox(*Conn(), items[0].id);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->attempts, 0) << "a retried change starts its attempts again";

  // A link and listed ids, by an admin; then the rejected one by status.
  Response one = Post("/api/v1/outbox/retry", Token(server::Role::kAdmin),
                      json{{"link", "other-mis"}, {"ids", {items[5].id}}}.dump());
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.Json()["ids"], json({items[5].id}));
  EXPECT_EQ(status_of(4), "dead");
  EXPECT_EQ(status_of(5), "pending");
  Response rejected =
      Post("/api/v1/outbox/retry", school_operator, R"({"status": "rejected", "link": "mis"})");
  ASSERT_EQ(rejected.status, 200) << rejected.body;
  EXPECT_EQ(rejected.Json()["retried"], 1);
  EXPECT_EQ(status_of(3), "pending");

  // One audit entry per change retried, by the token that asked.
  auto entries = audit::List(*Conn(), {0, 0, 0, 1000});
  ASSERT_TRUE(entries.ok());
  std::map<std::string, int> by_actor;
  for (const auto& e : *entries)
    if (e.action == "outbox.retry") {
      by_actor[e.actor] += 1;
      EXPECT_TRUE(e.detail.value("bulk", false)) << e.detail.dump();
    }
  EXPECT_EQ(by_actor["token:operator-1"], 4);
  EXPECT_EQ(by_actor["token:admin-2"], 1);
  EXPECT_EQ(by_actor.size(), 2u);
}

TEST_F(ApiTest, PupilSummaryIsTheHubsViewAndUnknownUpnsSayNothingAboutThem) {
  Start();
  RunMis();
  const std::string token = Token(server::Role::kSenco, "100000");
  json j = Get("/api/v1/pupils/" + Upn(2), token).Json();
  EXPECT_EQ(j["pupil"]["upn"], Upn(2));
  EXPECT_EQ(j["system_ids"][0]["link"], "mis");
  // The second read is served from the summary cache: the school limit still holds.
  EXPECT_EQ(Get("/api/v1/pupils/" + Upn(2), token).Json(), j);
  Response missing = Get("/api/v1/pupils/" + Upn(77), token);
  EXPECT_EQ(missing.status, 404);
  // Another school's pupil looks exactly like one that does not exist.
  Response elsewhere = Get("/api/v1/pupils/" + Upn(2), Token(server::Role::kSenco, "200000"));
  EXPECT_EQ(elsewhere.status, 404);
  EXPECT_EQ(elsewhere.body, missing.body);
  EXPECT_EQ(missing.body.find(Upn(77)), std::string::npos);
  Response bad = Get("/api/v1/pupils/not-a-upn", token);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.Json()["errors"][0]["path"], "path:upn");
}

TEST_F(ApiTest, SubmittingAReferralGoesThroughTheEnginesSubmissionAndNamesNoPupil) {
  Start();
  RunMis();
  // The hub holds no request being prepared for this pupil: the engine refuses, and says so
  // without repeating the UPN.
  Response r = Post("/api/v1/pupils/" + Upn(2) + "/referral/submit",
                    Token(server::Role::kSenco, "100000"), R"({"wait_seconds": 0})");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.body.find(Upn(2)), std::string::npos) << r.body;
  EXPECT_FALSE(r.Json().value("detail", "").empty());
}

TEST_F(ApiTest, SubmittingAReferralChecksItsOptions) {
  Start();
  RunMis();
  Response r = Post("/api/v1/pupils/" + Upn(2) + "/referral/submit", Token(server::Role::kAdmin),
                    R"({"force": "yes", "wait_seconds": 900, "colour": 1})");
  ASSERT_EQ(r.status, 400) << r.body;
  const json problem = r.Json();
  std::set<std::string> paths;
  for (const json& e : problem["errors"]) paths.insert(e["path"].get<std::string>());
  EXPECT_EQ(paths, (std::set<std::string>{"/force", "/wait_seconds", "/colour"}));
  EXPECT_EQ(
      Post("/api/v1/pupils/" + Upn(2) + "/referral/submit", Token(server::Role::kOperator), "")
          .status,
      403);
}

TEST_F(ApiTest, AddingALinkChecksItsConfigAndNamesBadFields) {
  Start();
  const std::string token = Token(server::Role::kAdmin);
  Response bad =
      Post("/api/v1/links", token,
           R"({"name": "x y", "school_urn": "12", "adapter": "jsonl-folder", "config": 3})");
  ASSERT_EQ(bad.status, 400) << bad.body;
  const json problem = bad.Json();
  std::set<std::string> paths;
  for (const json& e : problem["errors"]) paths.insert(e["path"].get<std::string>());
  EXPECT_EQ(paths, (std::set<std::string>{"/name", "/school_urn", "/config"})) << bad.body;
  json body = {{"name", "tool"},
               {"school_urn", "100000"},
               {"adapter", "jsonl-folder"},
               {"schedule", "every 15m"},
               {"config", {{"folder", (dir_ / "mis").string()}}}};
  Response ok = Post("/api/v1/links", token, body.dump());
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(ok.Json()["schedule"], "every 15m");
  EXPECT_EQ(Post("/api/v1/links", token, body.dump()).status, 409);
}

TEST_F(ApiTest, PluginsListShowsRefusedPluginsWithTheirReason) {
  const fs::path plugins = dir_ / "plugins";
  fs::create_directories(plugins);
  fs::copy_file(fs::path(SERVER_PLUGIN_DIR) / "jsonl-folder.so", plugins / "jsonl-folder.so");
  std::ofstream(plugins / "broken.so") << "not a shared library";
  auto o = Options();
  o.plugin_dir = plugins.string();
  o.engine.plugin_dir = plugins.string();
  Start(o);
  const json list = Get("/api/v1/plugins", Token(server::Role::kOperator)).Json();
  ASSERT_EQ(list["items"].size(), 2u) << list.dump();
  std::map<std::string, json> by_file;
  for (const json& p : list["items"]) by_file[p["file"].get<std::string>()] = p;
  EXPECT_FALSE(by_file["broken.so"]["ok"].get<bool>());
  EXPECT_FALSE(by_file["broken.so"]["reason"].get<std::string>().empty());
  EXPECT_TRUE(by_file["jsonl-folder.so"]["ok"].get<bool>());
  EXPECT_EQ(by_file["jsonl-folder.so"]["id"], "jsonl-folder");
  EXPECT_EQ(Get("/api/v1/plugins", Token(server::Role::kOperator, "100000")).status, 403);
}

TEST_F(ApiTest, PluginsListShowsInstalledVersionsWithTheLinksUsingEach) {
  // An installed version is a folder <adapters>/ID/VERSION/ holding its library (what
  // `sendsync adapters install` leaves after verifying a package).
  const fs::path adapters = dir_ / "adapters";
  fs::create_directories(adapters / "jsonl-folder" / "1.0.0");
  fs::copy_file(fs::path(SERVER_PLUGIN_DIR) / "jsonl-folder.so",
                adapters / "jsonl-folder" / "1.0.0" / "jsonl-folder.so");
  auto o = Options();
  o.engine.runtime.adapters_dir = adapters.string();
  Start(o);
  const std::string token = Token(server::Role::kAdmin);
  json body = {{"name", "pinned"},
               {"school_urn", "100000"},
               {"adapter", "jsonl-folder@1.0.0"},
               {"config", {{"folder", (dir_ / "mis").string()}}}};
  Response added = Post("/api/v1/links", token, body.dump());
  ASSERT_EQ(added.status, 201) << added.body;
  EXPECT_EQ(added.Json()["adapter"], "jsonl-folder");
  EXPECT_EQ(added.Json()["adapter_version"], "1.0.0");
  body["name"] = "missing";
  body["adapter"] = "jsonl-folder@9.9";
  EXPECT_EQ(Post("/api/v1/links", token, body.dump()).status, 404);
  const json list = Get("/api/v1/plugins", token).Json();
  bool seen = false;
  for (const json& p : list["items"])
    if (p["installed"] == true) {
      seen = true;
      EXPECT_EQ(p["file"], "jsonl-folder/1.0.0/jsonl-folder.so");
      EXPECT_EQ(p["version"], "1.0.0");
      // "mis" (set up unpinned) follows the newest installed version; "pinned" names it
      EXPECT_EQ(p["links"], json({"mis", "pinned"}));
    }
  EXPECT_TRUE(seen) << list.dump();
}

TEST_F(ApiTest, WhoAmIListsTheTokensPermissions) {
  Start();
  json j = Get("/api/v1/whoami", Token(server::Role::kAuditor, "100000")).Json();
  EXPECT_EQ(j["role"], "auditor");
  EXPECT_EQ(j["school_urn"], "100000");
  EXPECT_EQ(j["permissions"], json({"whoami", "links.read", "runs.read", "audit.read"}));
}

TEST_F(ApiTest, HealthzNeedsNoTokenAndReportsStoreAndScheduler) {
  Start(true);
  Response r = Http(port(), "GET", "/healthz");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Json()["store"], "ok");
  EXPECT_EQ(r.Json()["scheduler"], "ok");
  EXPECT_TRUE(r.Json()["ok"].get<bool>());
}

TEST_F(ApiTest, DashboardFilesAreServedWithTheirTypesAndAStrictPolicy) {
  Start();
  Response index = Http(port(), "GET", "/");
  ASSERT_EQ(index.status, 200);
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_NE(index.headers["Content-Security-Policy"].find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(index.headers["Content-Security-Policy"].find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(index.headers["X-Content-Type-Options"], "nosniff");
  Response js = Http(port(), "GET", "/ui/app.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(Http(port(), "GET", "/ui/missing.js").status, 404);
}

TEST_F(ApiTest, StaticPathsCannotLeaveTheWebRoot) {
  Start();
  for (const char* p :
       {"/ui/../secret.txt", "/ui/%2e%2e/secret.txt", "/ui/..%2fsecret.txt", "/ui//etc/passwd"}) {
    Response r = Http(port(), "GET", p);
    EXPECT_EQ(r.status, 404) << p;
    EXPECT_EQ(r.body.find("outside the web root"), std::string::npos) << p;
  }
  EXPECT_EQ(server::SafeStaticPath((dir_ / "web").string(), "../secret.txt"), "");
  EXPECT_NE(server::SafeStaticPath((dir_ / "web").string(), "app.js"), "");
}

// The register page's chart library (Debian's libjs-chart.js) is served at one fixed path from
// the configured file; when it is missing the path says so and the rest of the dashboard is served.
TEST_F(ApiTest, ChartLibraryIsServedFromTheConfiguredFileAtOneFixedPath) {
  const fs::path lib = dir_ / "usr-share" / "chart.min.js";
  fs::create_directories(lib.parent_path());
  std::ofstream(lib) << "/*! Chart.js */ var Chart = {};\n";
  auto o = Options();
  o.chart_js = lib.string();
  Start(o);
  Response r = Http(port(), "GET", server::kChartJsPath);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(r.body, "/*! Chart.js */ var Chart = {};\n");
  EXPECT_EQ(r.headers["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ(Http(port(), "POST", server::kChartJsPath).status, 405);
  // Only that one file: nothing beside it or above it is reachable through the vendor path.
  std::ofstream(lib.parent_path() / "other.js") << "var other;\n";
  for (const char* p :
       {"/ui/vendor/other.js", "/ui/vendor/../secret.txt", "/ui/vendor/%2e%2e/secret.txt",
        "/ui/vendor/chart.js/../../secret.txt", "/ui/vendor/chart.js%2f..%2fother.js"}) {
    Response bad = Http(port(), "GET", p);
    EXPECT_EQ(bad.status, 404) << p;
    EXPECT_EQ(bad.body.find("outside the web root"), std::string::npos) << p;
    EXPECT_EQ(bad.body.find("var other"), std::string::npos) << p;
  }
  EXPECT_EQ(Http(port(), "GET", "/ui/app.js").status, 200);
}

TEST_F(ApiTest, AMissingChartLibraryIs404WithTheFixAndServeStillStarts) {
  auto o = Options();
  o.chart_js = (dir_ / "no-such" / "chart.min.js").string();
  Start(o);
  Response r = Http(port(), "GET", server::kChartJsPath);
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("chart library is not installed"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("libjs-chart.js"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find(dir_.string()), std::string::npos) << "no server path in the answer";
  EXPECT_EQ(Http(port(), "GET", "/").status, 200) << "the dashboard itself is served";
}

TEST_F(ApiTest, ChartLibraryMustResolveToAJavaScriptFile) {
  EXPECT_EQ(server::ChartLibraryPath(""), "");
  EXPECT_EQ(server::ChartLibraryPath((dir_ / "secret.txt").string()), "") << "not a .js file";
  EXPECT_EQ(server::ChartLibraryPath((dir_ / "web").string()), "") << "a folder";
  // A symlink named *.js that leads to something else is refused too.
  fs::create_symlink(dir_ / "secret.txt", dir_ / "link.js");
  EXPECT_EQ(server::ChartLibraryPath((dir_ / "link.js").string()), "");
  fs::create_symlink(dir_ / "web" / "app.js", dir_ / "chart.js");
  EXPECT_EQ(server::ChartLibraryPath((dir_ / "chart.js").string()),
            fs::canonical(dir_ / "web" / "app.js").string());
}

TEST_F(ApiTest, WithACertificateTheServiceSpeaksOnlyHttps) {
  auto o = Options();
  o.tls_cert = TEST_CERT;
  o.tls_key = TEST_KEY;
  Start(o);
  EXPECT_EQ(svc_->base_url().rfind("https://127.0.0.1:", 0), 0u);
  Poco::Net::initializeSSL();
  Poco::Net::Context::Ptr ctx = new Poco::Net::Context(
      Poco::Net::Context::TLS_CLIENT_USE, "", "", TEST_CERT, Poco::Net::Context::VERIFY_RELAXED);
  Poco::Net::HTTPSClientSession session("127.0.0.1", port(), ctx);
  Poco::Net::HTTPRequest req("GET", "/healthz", Poco::Net::HTTPMessage::HTTP_1_1);
  session.sendRequest(req);
  Poco::Net::HTTPResponse res;
  std::string body;
  Poco::StreamCopier::copyToString(session.receiveResponse(res), body);
  EXPECT_EQ(res.getStatus(), 200);
  EXPECT_TRUE(json::parse(body)["ok"].get<bool>());
  // Plain HTTP to the same port gets no answer.
  Poco::Net::HTTPClientSession plain("127.0.0.1", port());
  plain.setTimeout(Poco::Timespan(5, 0));
  Poco::Net::HTTPRequest preq("GET", "/healthz", Poco::Net::HTTPMessage::HTTP_1_1);
  EXPECT_THROW(
      {
        plain.sendRequest(preq);
        Poco::Net::HTTPResponse pres;
        plain.receiveResponse(pres);
      },
      Poco::Exception);
}

TEST_F(ApiTest, UnknownApiPathIs404AndWrongMethodIs405) {
  Start();
  EXPECT_EQ(Get("/api/v1/nothing-here", "").status, 404);
  EXPECT_EQ(Http(port(), "DELETE", "/api/v1/links", Token(server::Role::kAdmin)).status, 405);
}

}  // namespace
}  // namespace sendsync::server_test
