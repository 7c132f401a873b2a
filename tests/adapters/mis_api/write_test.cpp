// Write-back through the mis-api adapter: which student a change goes to, idempotency (also when
// the answer is lost), per-change rejections with the MIS's reasons, and what a failing server
// does to a batch.
#include <gtest/gtest.h>

#include <atomic>

#include "test_support.h"

using namespace mis_test;
using sendsync::sims::FaultConfig;
using sendsync::sims::SimRequest;
using sendsync::sims::SimResponse;
using sendsync::sims::SimServer;

namespace {

json SenRecord(const std::string& upn, const std::string& provision, const std::string& need) {
  json r = {{"kind", "sen"}, {"pupil", {{"upn", upn}}}, {"provision", provision}};
  r["needs"] = need.empty() ? json::array() : json::array({{{"type", need}, {"rank", 1}}});
  return r;
}

json Change(const std::string& key, const json& record, const json& context = nullptr) {
  json c = {{"key", key}, {"op", "upsert"}, {"record", record}};
  if (!context.is_null()) c["context"] = context;
  return c;
}

json Write(Caller& c, const std::string& kind, const std::vector<json>& changes,
           int expect_status = 0) {
  Reply r = Call(c, "write", {{"kind", kind}, {"changes", json(changes)}});
  EXPECT_EQ(r.status, expect_status) << r.text;
  return r.body;
}

class MisApiWrite : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sim_.Start().ok());
    ASSERT_TRUE(sim_.LoadSchool(SchoolFixture(4)).ok());
    adapter_ = Open(AdapterConfig(sim_));
    ASSERT_NE(adapter_, nullptr);
  }
  json Student(int n) {
    json school = sim_.DumpSchool();
    for (const json& s : school["students"])
      if (s["id"] == StudentId(n)) return s;
    return nullptr;
  }
  MisApiSim sim_{kToken};
  std::unique_ptr<Caller> adapter_;
};

}  // namespace

TEST_F(MisApiWrite, Write_SenGoesToTheStudentFoundByUpn) {
  json out = Write(*adapter_, "sen", {Change("k-upn", SenRecord(FixtureUpn(2), "K", "ASD"))});
  ASSERT_EQ(out["results"].size(), 1u);
  EXPECT_EQ(out["results"][0]["result"], "applied") << out.dump();
  EXPECT_EQ(out["results"][0]["remote_id"], StudentId(2));
  json s = Student(2);
  EXPECT_EQ(s["sen_status"]["code"], "K");
  EXPECT_EQ(s["sen_needs"], json::parse(R"([{"type":"ASD","rank":1}])"));
  EXPECT_EQ(sim_.Applications("k-upn"), 1);
}

TEST_F(MisApiWrite, Write_ContextStudentIdIsUsedWithoutAUpnLookup) {
  // The context names student 3; the record's UPN (student 2's) must not redirect it.
  json ctx = {{"pupil", {{"kind", "pupil"}, {"id", StudentId(3)}, {"upn", FixtureUpn(3)}}}};
  json out = Write(*adapter_, "sen", {Change("k-ctx", SenRecord(FixtureUpn(2), "E", "SEMH"), ctx)});
  EXPECT_EQ(out["results"][0]["result"], "applied") << out.dump();
  EXPECT_EQ(out["results"][0]["remote_id"], StudentId(3));
  EXPECT_EQ(Student(3)["sen_status"]["code"], "E");
  EXPECT_EQ(Student(2)["sen_status"]["code"], "N");
  EXPECT_EQ(sim_.server().stats().requests, 1u) << "no lookup was needed";
}

TEST_F(MisApiWrite, Write_RepeatedKeyIsAnsweredAgainButAppliedOnce) {
  json change = Change("k-repeat", SenRecord(FixtureUpn(2), "K", "SLCN"));
  json first = Write(*adapter_, "sen", {change});
  json second = Write(*adapter_, "sen", {change});
  EXPECT_EQ(first["results"][0]["result"], "applied");
  EXPECT_EQ(second["results"][0], first["results"][0]);
  EXPECT_EQ(sim_.Applications("k-repeat"), 1);
  EXPECT_EQ(sim_.WriteBacks().size(), 1u);
}

TEST_F(MisApiWrite, Write_AnswerLostAfterHandlingIsResentAndAppliedOnce) {
  json ctx = {{"pupil", {{"id", StudentId(2)}}}};
  FaultConfig f;
  f.drop_after_handling_next = 1;
  sim_.server().SetFaults(f);
  json out = Write(*adapter_, "sen", {Change("k-drop", SenRecord(FixtureUpn(2), "K", ""), ctx)});
  EXPECT_EQ(out["results"][0]["result"], "applied") << out.dump();
  EXPECT_EQ(sim_.server().stats().dropped_after, 1u);
  EXPECT_EQ(sim_.server().stats().handled, 2u) << "the POST was sent twice";
  EXPECT_EQ(sim_.Applications("k-drop"), 1);
}

TEST_F(MisApiWrite, Write_HostRetryAfterTwoLostAnswersIsAppliedOnce) {
  json ctx = {{"pupil", {{"id", StudentId(2)}}}};
  json change = Change("k-drop2", SenRecord(FixtureUpn(2), "E", "ASD"), ctx);
  FaultConfig f;
  f.drop_after_handling_next = 2;  // the first attempt and the client's own resend both lost
  sim_.server().SetFaults(f);
  json lost = Write(*adapter_, "sen", {change});
  EXPECT_EQ(lost["results"][0]["result"], "unknown") << "sent, no answer: " << lost.dump();
  EXPECT_NE(lost["results"][0]["reason"].get<std::string>().find("outcome is unknown"),
            std::string::npos);
  EXPECT_EQ(sim_.Applications("k-drop2"), 1);
  json out = Write(*adapter_, "sen", {change});  // the host's retry, later
  EXPECT_EQ(out["results"][0]["result"], "applied") << out.dump();
  EXPECT_EQ(sim_.Applications("k-drop2"), 1);
  EXPECT_EQ(sim_.WriteBacks().size(), 1u);
}

TEST_F(MisApiWrite, Write_UnprocessableChangeIsRejectedNamingTheFieldAndTheRestApply) {
  json out = Write(*adapter_, "sen",
                   {Change("k-bad", SenRecord(FixtureUpn(1), "K", "XYZ")),
                    Change("k-good", SenRecord(FixtureUpn(2), "K", "MLD"))});
  ASSERT_EQ(out["results"].size(), 2u);
  EXPECT_EQ(out["results"][0]["result"], "rejected");
  std::string reason = out["results"][0]["reason"];
  EXPECT_NE(reason.find("needs[0].type"), std::string::npos) << reason;
  EXPECT_NE(reason.find("sen_needs[0].type"), std::string::npos) << reason;
  EXPECT_NE(reason.find("unknown need type 'XYZ'"), std::string::npos) << reason;
  EXPECT_EQ(out["results"][1]["result"], "applied");
  EXPECT_EQ(sim_.Applications("k-bad"), 0);
}

TEST_F(MisApiWrite, Write_InvalidRecordIsRejectedWithoutBeingSent) {
  json record = SenRecord(FixtureUpn(1), "K", "SLCN");
  record.erase("provision");
  json out = Write(*adapter_, "sen", {Change("k-invalid", record)});
  EXPECT_EQ(out["results"][0]["result"], "rejected");
  EXPECT_NE(out["results"][0]["reason"].get<std::string>().find("provision"), std::string::npos);
  EXPECT_EQ(sim_.server().stats().requests, 0u);
}

TEST_F(MisApiWrite, Write_UnknownUpnIsRejected) {
  json out = Write(*adapter_, "sen", {Change("k-nobody", SenRecord(FixtureUpn(99), "K", ""))});
  EXPECT_EQ(out["results"][0]["result"], "rejected");
  EXPECT_NE(out["results"][0]["reason"].get<std::string>().find("no student with UPN"),
            std::string::npos);
}

TEST_F(MisApiWrite, Write_DeleteIsRejectedWithAReason) {
  json change = {{"key", "k-del"},
                 {"op", "delete"},
                 {"record", {{"kind", "sen"}, {"pupil", {{"upn", FixtureUpn(1)}}}}}};
  json out = Write(*adapter_, "sen", {change});
  EXPECT_EQ(out["results"][0]["result"], "rejected");
  EXPECT_NE(out["results"][0]["reason"].get<std::string>().find("status N"), std::string::npos);
}

TEST_F(MisApiWrite, Write_ReviewIsCreatedThenUpdatedThroughItsRemoteId) {
  json review = {{"kind", "review"},
                 {"id", "hub-review-1"},
                 {"pupil", {{"upn", FixtureUpn(2)}}},
                 {"date", "2025-02-03"},
                 {"review_kind", "sen_support"},
                 {"decision", "adjust"},
                 {"next_review", "2025-05-01"}};
  json created = Write(*adapter_, "review", {Change("k-rev-1", review)});
  ASSERT_EQ(created["results"][0]["result"], "applied") << created.dump();
  std::string remote = created["results"][0]["remote_id"];
  EXPECT_FALSE(remote.empty());
  review["decision"] = "escalate";
  json update = Change("k-rev-2", review);
  update["remote_id"] = remote;
  json updated = Write(*adapter_, "review", {update});
  EXPECT_EQ(updated["results"][0]["remote_id"], remote);
  json reviews = Student(2)["sen_reviews"];
  ASSERT_EQ(reviews.size(), 1u) << reviews.dump();
  EXPECT_EQ(reviews[0]["id"], remote);
  EXPECT_EQ(reviews[0]["outcome"], "escalate");
  EXPECT_EQ(reviews[0]["kind"], "sen_support");
  EXPECT_EQ(reviews[0]["next_review_date"], "2025-05-01");
}

// Issue 21: a failure is the failed change's own, even as the first of a batch; the changes held
// back after it are not_sent (no attempt is charged to them).
TEST_F(MisApiWrite, Write_ServerErrorOnTheFirstChangeIsItsRetryAndTheRestAreNotSent) {
  FaultConfig f;
  f.fail_next = 5;
  sim_.server().SetFaults(f);
  json ctx = {{"pupil", {{"id", StudentId(1)}}}};
  json out = Write(*adapter_, "sen",
                   {Change("k-5xx", SenRecord(FixtureUpn(1), "K", ""), ctx),
                    Change("k-next", SenRecord(FixtureUpn(1), "E", ""), ctx)});
  ASSERT_EQ(out["results"].size(), 2u) << out.dump();
  EXPECT_EQ(out["results"][0]["result"], "retry");
  EXPECT_NE(out["results"][0]["reason"].get<std::string>().find("503"), std::string::npos);
  EXPECT_EQ(out["results"][1]["result"], "not_sent");
  EXPECT_EQ(sim_.server().RequestsWithKey("k-next"), 0u);
}

TEST_F(MisApiWrite, Write_UnauthorisedIsFatalForTheCall) {
  auto wrong = Open(AdapterConfig(sim_, {{"token", "not-the-token"}}));
  ASSERT_NE(wrong, nullptr);
  Reply r = Call(*wrong, "write",
                 {{"kind", "sen"},
                  {"changes", json::array({Change("k-401", SenRecord(FixtureUpn(1), "K", ""))})}});
  EXPECT_EQ(r.status, 2) << r.text;
  EXPECT_NE(r.text.find("check the token"), std::string::npos) << r.text;
}

// A server that accepts the first write and then fails: what happens to the rest of a batch.
TEST(MisApiWriteBatch, Write_ServerErrorAfterAnAppliedChangeMarksThatRetryAndTheRestNotSent) {
  std::atomic<int> posts{0};
  SimServer server([&](const SimRequest& rq, SimResponse& rs) {
    if (rq.method != "POST") return rs.Problem(404, "Not Found", "");
    if (posts++ == 0) return rs.Json(200, {{"data", {{"id", "STU-1"}}}});
    rs.Problem(500, "Internal Server Error", "database unavailable");
  });
  ASSERT_TRUE(server.Start().ok());
  auto c = Open({{"base_url", server.base_url() + "/v1.0"}, {"school_id", "S"}, {"token", kToken}});
  ASSERT_NE(c, nullptr);
  json ctx = {{"pupil", {{"id", "STU-1"}}}};
  json out = Write(*c, "sen",
                   {Change("a", SenRecord(FixtureUpn(1), "K", ""), ctx),
                    Change("b", SenRecord(FixtureUpn(1), "E", ""), ctx),
                    Change("c", SenRecord(FixtureUpn(1), "N", ""), ctx)});
  ASSERT_EQ(out["results"].size(), 3u);
  EXPECT_EQ(out["results"][0]["result"], "applied");
  EXPECT_EQ(out["results"][1]["result"], "retry");
  EXPECT_NE(out["results"][1]["reason"].get<std::string>().find("500"), std::string::npos);
  EXPECT_EQ(out["results"][2]["result"], "not_sent") << "held back, so charged no attempt";
  EXPECT_EQ(posts.load(), 2) << "the third change must not be sent to a failing server";
}
