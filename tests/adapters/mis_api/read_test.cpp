// Reading through the mis-api adapter: records of each kind, incremental pulls, deletions, bounded
// read calls, changes made while a pull pages, and data that cannot become a record.
#include <gtest/gtest.h>

#include <set>

#include "test_support.h"

using namespace mis_test;

namespace {

class MisApiRead : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sim_.Start().ok());
    ASSERT_TRUE(sim_.LoadSchool(SchoolFixture(10)).ok());
  }
  std::unique_ptr<Caller> OpenAdapter(const json& overrides = json::object()) {
    return Open(AdapterConfig(sim_, overrides));
  }
  MisApiSim sim_{kToken};
};

std::set<std::string> Ids(const json& records) {
  std::set<std::string> ids;
  for (auto& [id, r] : ByPupil(records)) ids.insert(id);
  return ids;
}

}  // namespace

TEST_F(MisApiRead, Read_PupilsCarryTheApiStudentIdAndCanonicalFields) {
  auto c = OpenAdapter();
  ASSERT_NE(c, nullptr);
  Pull p = ReadAll(*c, "pupil", "");
  ASSERT_EQ(p.records.size(), 10u);
  json first = ByPupil(p.records).at(StudentId(1));
  EXPECT_EQ(first["kind"], "pupil");
  EXPECT_EQ(first["upn"], FixtureUpn(1));
  EXPECT_EQ(first["dob"], "2014-03-02");
  EXPECT_EQ(first["sex"], "F");
  EXPECT_EQ(first["nc_year"], "5");
  EXPECT_EQ(first["legal_surname"], "Surname1");
}

TEST_F(MisApiRead, Read_SenRecordsNamePupilByIdAndUpnAndKeepTheApiCodes) {
  json school = SchoolFixture(2);
  school["students"][0]["sen_status"]["code"] = "SEN Support";  // MIS wording, mapped by the host
  school["students"][0]["sen_status"]["history"] =
      json::array({{{"code", "N"}, {"start_date", "2019-09-04"}, {"end_date", "2023-09-03"}}});
  school["students"][0]["sen_needs"].push_back({{"type", "Speech"}, {"rank", 2}});
  ASSERT_TRUE(sim_.LoadSchool(school).ok());
  auto c = OpenAdapter();
  ASSERT_NE(c, nullptr);
  Pull p = ReadAll(*c, "sen", "");
  ASSERT_EQ(p.records.size(), 2u) << p.rejects.dump();
  json sen = ByPupil(p.records).at(StudentId(1));
  EXPECT_EQ(sen["pupil"], json({{"id", StudentId(1)}, {"upn", FixtureUpn(1)}}));
  EXPECT_EQ(sen["provision"], "SEN Support");
  EXPECT_EQ(sen["local_status"], "SEN support");
  EXPECT_EQ(sen["provision_start"], "2023-09-04");
  EXPECT_EQ(sen["needs"], json::parse(R"([{"type":"SLCN","rank":1},{"type":"Speech","rank":2}])"));
  EXPECT_EQ(sen["history"][0], json::parse(R"({"provision":"N","start":"2019-09-04",
                                                "end":"2023-09-03"})"));
  EXPECT_EQ(ByPupil(p.records).at(StudentId(2))["provision"], "N");
}

TEST_F(MisApiRead, Read_ReviewsMapToCanonicalReviewFields) {
  auto c = OpenAdapter();
  ASSERT_NE(c, nullptr);
  Pull p = ReadAll(*c, "review", "");
  ASSERT_EQ(p.records.size(), 5u);  // odd students have one review each
  json r = p.records[0];
  EXPECT_EQ(r["kind"], "review");
  EXPECT_EQ(r["id"], "REV-1");
  EXPECT_EQ(r["pupil"]["id"], StudentId(1));
  EXPECT_EQ(r["review_kind"], "sen_support");
  EXPECT_EQ(r["decision"], "continue");
  EXPECT_EQ(r["next_review"], "2025-04-01");
  EXPECT_EQ(r["parents_met"], true);
}

TEST_F(MisApiRead, Read_IncrementalPullReturnsOnlyStudentsChangedSinceTheCursor) {
  auto c = OpenAdapter();
  ASSERT_NE(c, nullptr);
  Pull full = ReadAll(*c, "sen", "");
  ASSERT_EQ(full.records.size(), 10u);
  ASSERT_TRUE(sim_.SetSenStatus(StudentId(4), {{"code", "K"}, {"start_date", "2025-02-01"}}).ok());
  Pull next = ReadAll(*c, "sen", full.cursor);
  // The latest student of the first pull comes again (the overlap); nobody else unchanged does.
  EXPECT_EQ(Ids(next.records), (std::set<std::string>{StudentId(4), StudentId(10)}));
  EXPECT_EQ(ByPupil(next.records).at(StudentId(4))["provision"], "K");
}

TEST_F(MisApiRead, Read_PullWithNothingNewKeepsItsCursor) {
  auto c = OpenAdapter();
  ASSERT_NE(c, nullptr);
  Pull full = ReadAll(*c, "pupil", "");
  Pull again = ReadAll(*c, "pupil", full.cursor);
  EXPECT_EQ(again.cursor, full.cursor);
  Pull third = ReadAll(*c, "pupil", again.cursor);
  EXPECT_EQ(third.records, again.records);
}

TEST_F(MisApiRead, Read_RemovedStudentIsReportedAsAPupilDeletion) {
  auto c = OpenAdapter();
  ASSERT_NE(c, nullptr);
  Pull full = ReadAll(*c, "pupil", "");
  ASSERT_TRUE(sim_.RemoveStudent(StudentId(3)).ok());
  Pull next = ReadAll(*c, "pupil", full.cursor);
  ASSERT_EQ(next.deletions.size(), 1u) << next.deletions.dump();
  EXPECT_EQ(next.deletions[0]["kind"], "pupil");
  EXPECT_EQ(next.deletions[0]["id"], StudentId(3));
  EXPECT_EQ(next.deletions[0]["upn"], FixtureUpn(3));
  EXPECT_EQ(Ids(next.records).count(StudentId(3)), 0u);
}

TEST_F(MisApiRead, Read_RemovedReviewIsReportedAsAReviewDeletion) {
  auto c = OpenAdapter();
  ASSERT_NE(c, nullptr);
  Pull full = ReadAll(*c, "review", "");
  ASSERT_TRUE(sim_.RemoveReview(StudentId(5), "REV-5").ok());
  Pull next = ReadAll(*c, "review", full.cursor);
  ASSERT_EQ(next.deletions.size(), 1u) << next.deletions.dump();
  EXPECT_EQ(next.deletions[0], json({{"kind", "review"}, {"id", "REV-5"}}));
}

TEST_F(MisApiRead, Read_EachCallReturnsAtMostTheLimitAndTheCursorPagesOn) {
  auto c = OpenAdapter();
  ASSERT_NE(c, nullptr);
  Pull p = ReadAll(*c, "pupil", "", /*limit=*/3);
  EXPECT_LE(p.largest_call, 3u);
  EXPECT_GE(p.calls, 4);
  EXPECT_EQ(p.records.size(), 10u) << "a record was repeated or lost across calls";
  EXPECT_EQ(Ids(p.records).size(), 10u);
}

TEST_F(MisApiRead, Read_PageLargerThanALaterLimitIsSplitAcrossCallsWithoutLoss) {
  auto c = OpenAdapter();
  ASSERT_NE(c, nullptr);
  // The first call asks for pages of 4; later calls allow only 1 or 2 records, so the pages the
  // cursor points into must be resumed part-way.
  json records = json::array();
  std::string cursor;
  const size_t limits[] = {4, 1, 2};
  for (int i = 0; i < 40; ++i) {
    size_t limit = limits[i % 3];
    Reply r = Call(*c, "read", {{"kind", "pupil"}, {"cursor", cursor}, {"limit", limit}});
    ASSERT_EQ(r.status, 0) << r.text;
    EXPECT_LE(r.body["records"].size(), limit);
    for (const json& x : r.body["records"]) records.push_back(x);
    cursor = r.body["next_cursor"];
    if (!r.body["more"].get<bool>()) break;
  }
  EXPECT_EQ(records.size(), 10u);
  EXPECT_EQ(Ids(records).size(), 10u);
}

TEST_F(MisApiRead, Read_OnePupilsReviewsStayTogetherAndNoneIsLostAcrossCalls) {
  json school = SchoolFixture(4);
  for (json& s : school["students"]) {
    json reviews = json::array();
    for (int i = 1; i <= 3; ++i)
      reviews.push_back({{"id", s["id"].get<std::string>() + "-R" + std::to_string(i)},
                         {"date", "2025-01-0" + std::to_string(i)},
                         {"kind", "interim"}});
    s["sen_reviews"] = reviews;
  }
  ASSERT_TRUE(sim_.LoadSchool(school).ok());
  auto c = OpenAdapter();
  ASSERT_NE(c, nullptr);
  Pull p = ReadAll(*c, "review", "", /*limit=*/2);
  std::set<std::string> ids;
  for (const json& r : p.records) ids.insert(r["id"]);
  EXPECT_EQ(p.records.size(), 12u);
  EXPECT_EQ(ids.size(), 12u);
  EXPECT_EQ(p.largest_call, 3u) << "a pupil's three reviews come in one call, nothing more";
}

namespace {

// Changes the simulator makes after the first page of a listing (or of one of its id ranges)
// that has more pages: each must arrive by the end of the next pull.
void ExpectChangesMadeWhilePagingArriveByTheNextPull(MisApiSim& sim, Caller& c) {
  sim.SetChangeMidPagination(true);
  Pull first = ReadAll(c, "sen", "");
  json changes = sim.MidPaginationChanges();
  ASSERT_TRUE(changes.contains("served_changed") && changes.contains("unserved_changed"))
      << changes.dump();
  Pull second = ReadAll(c, "sen", first.cursor);

  std::map<std::string, json> seen = ByPupil(first.records);
  for (auto& [id, r] : ByPupil(second.records)) seen[id] = r;
  // Every student the MIS now holds was seen, in its current state.
  json school = sim.DumpSchool();
  for (const json& s : school["students"]) {
    std::string id = s["id"];
    ASSERT_TRUE(seen.count(id)) << id << " was lost";
    EXPECT_EQ(seen[id]["provision"], s["sen_status"]["code"]) << id;
    EXPECT_EQ(seen[id].value("local_status", ""), s["sen_status"].value("description", "")) << id;
  }
  // The edit to a page already read and the insertion among read ids came in the second pull.
  EXPECT_TRUE(ByPupil(second.records).count(changes["served_changed"]));
  EXPECT_TRUE(ByPupil(second.records).count(changes["inserted"]));
}

void ExpectStudentRemovedWhilePagingIsReportedAsADeletion(MisApiSim& sim, Caller& c) {
  sim.SetChangeMidPagination(true);
  Pull first = ReadAll(c, "pupil", "");
  Pull second = ReadAll(c, "pupil", first.cursor);
  json changes = sim.MidPaginationChanges();
  ASSERT_TRUE(changes.contains("deleted")) << changes.dump();
  std::set<std::string> deleted;
  for (const json& d : first.deletions) deleted.insert(d["id"]);
  for (const json& d : second.deletions) deleted.insert(d["id"]);
  EXPECT_TRUE(deleted.count(changes["deleted"])) << "the removed student vanished unreported";
}

}  // namespace

TEST_F(MisApiRead, Read_ChangesMadeWhilePagingArriveByTheNextPull) {
  auto c = OpenAdapter({{"per_page", 3}, {"requests_in_flight", 1}});
  ASSERT_NE(c, nullptr);
  ExpectChangesMadeWhilePagingArriveByTheNextPull(sim_, *c);
}

TEST_F(MisApiRead, Read_StudentRemovedWhilePagingIsReportedAsADeletion) {
  auto c = OpenAdapter({{"per_page", 3}, {"requests_in_flight", 1}});
  ASSERT_NE(c, nullptr);
  ExpectStudentRemovedWhilePagingIsReportedAsADeletion(sim_, *c);
}

// The same through id ranges read four at once: 16 students, four ranges of four, two a page.
TEST_F(MisApiRead, ReadAhead_ChangesMadeWhileRangesArePagedArriveByTheNextPull) {
  ASSERT_TRUE(sim_.LoadSchool(SchoolFixture(16)).ok());
  auto c = OpenAdapter({{"per_page", 2}, {"requests_in_flight", 4}});
  ASSERT_NE(c, nullptr);
  ExpectChangesMadeWhilePagingArriveByTheNextPull(sim_, *c);
}

TEST_F(MisApiRead, ReadAhead_StudentRemovedWhileRangesArePagedIsReportedAsADeletion) {
  ASSERT_TRUE(sim_.LoadSchool(SchoolFixture(16)).ok());
  auto c = OpenAdapter({{"per_page", 2}, {"requests_in_flight", 4}});
  ASSERT_NE(c, nullptr);
  ExpectStudentRemovedWhilePagingIsReportedAsADeletion(sim_, *c);
}

// With id ranges, the pages of a pull are fetched several at once, never more than
// requests_in_flight, and every student comes exactly once.
TEST_F(MisApiRead, ReadAhead_RangesAreFetchedAtOnceWithinRequestsInFlight) {
  ASSERT_TRUE(sim_.LoadSchool(SchoolFixture(40)).ok());
  sendsync::sims::FaultConfig f;
  f.latency_ms = 40;  // long enough that requests sent together overlap at the server
  sim_.server().SetFaults(f);
  auto c = OpenAdapter({{"per_page", 3}, {"requests_in_flight", 4}});
  ASSERT_NE(c, nullptr);
  Pull p = ReadAll(*c, "pupil", "", /*limit=*/500);
  EXPECT_EQ(p.records.size(), 40u) << "a student was repeated or lost";
  EXPECT_EQ(Ids(p.records).size(), 40u);
  const uint64_t most = sim_.server().stats().max_in_flight;
  EXPECT_LE(most, 4u);
  EXPECT_GE(most, 3u) << "the ranges were not read at once";
}

// A restart between any two calls (a new adapter instance, nothing kept but the cursor) resumes
// every range where it was: nothing read twice, nothing skipped.
TEST_F(MisApiRead, ReadAhead_ACursorTakenMidRangesResumesEveryRangeAfterARestart) {
  ASSERT_TRUE(sim_.LoadSchool(SchoolFixture(23)).ok());
  const json config = AdapterConfig(sim_, {{"per_page", 3}, {"requests_in_flight", 4}});
  json records = json::array();
  std::string cursor;
  bool ranged = false;
  for (int i = 0; i < 100; ++i) {
    auto c = Open(config);
    ASSERT_NE(c, nullptr);
    Reply r = Call(*c, "read", {{"kind", "pupil"}, {"cursor", cursor}, {"limit", 2}});
    ASSERT_EQ(r.status, 0) << r.text;
    for (const json& x : r.body["records"]) records.push_back(x);
    cursor = r.body["next_cursor"];
    ranged = ranged || cursor.find("\"chains\"") != std::string::npos;
    if (!r.body["more"].get<bool>()) break;
  }
  EXPECT_TRUE(ranged) << "the pull did not read id ranges";
  EXPECT_EQ(records.size(), 23u) << "a student was read twice or skipped";
  EXPECT_EQ(Ids(records).size(), 23u);
}

// An API that does not offer ranges (404) is read one page at a time, as before.
TEST_F(MisApiRead, ReadAhead_AnApiWithoutRangesIsReadOnePageAtATime) {
  ASSERT_TRUE(sim_.LoadSchool(SchoolFixture(20)).ok());
  sim_.SetRangesOffered(false);
  auto c = OpenAdapter({{"per_page", 3}, {"requests_in_flight", 4}});
  ASSERT_NE(c, nullptr);
  Pull p = ReadAll(*c, "pupil", "");
  EXPECT_EQ(p.records.size(), 20u);
  EXPECT_EQ(Ids(p.records).size(), 20u);
  EXPECT_EQ(p.cursor.find("chains"), std::string::npos);
  EXPECT_EQ(sim_.server().stats().max_in_flight, 1u);
}

// requests_in_flight 1: never asks for ranges, one request at a time.
TEST_F(MisApiRead, ReadAhead_OneRequestInFlightReadsOnePageAtATime) {
  ASSERT_TRUE(sim_.LoadSchool(SchoolFixture(20)).ok());
  auto c = OpenAdapter({{"per_page", 3}, {"requests_in_flight", 1}});
  ASSERT_NE(c, nullptr);
  Pull p = ReadAll(*c, "pupil", "");
  EXPECT_EQ(Ids(p.records).size(), 20u);
  EXPECT_EQ(sim_.server().stats().max_in_flight, 1u);
}

TEST_F(MisApiRead, ReadAhead_ADamagedRangesCursorIsRefused) {
  auto c = OpenAdapter();
  ASSERT_NE(c, nullptr);
  for (const char* bad :
       {R"({"v":1,"ts":"2025-01-10T08:00:00.000Z","phase":"records","chains":[]})",
        R"({"v":1,"ts":"2025-01-10T08:00:00.000Z","chains":[{"after":"x"}]})",
        R"({"v":1,"chains":[{"page":"https://x/y"}]})"}) {
    Reply r = Call(*c, "read", {{"kind", "pupil"}, {"cursor", bad}, {"limit", 5}});
    EXPECT_EQ(r.status, 2) << bad << " " << r.text;
    EXPECT_NE(r.text.find("cursor"), std::string::npos) << r.text;
  }
}

TEST_F(MisApiRead, Read_StudentThatIsNotAValidRecordIsRejectedWithItsReason) {
  json school = SchoolFixture(3);
  school["students"][1]["date_of_birth"] = "2014-02-30";
  ASSERT_TRUE(sim_.LoadSchool(school).ok());
  auto c = OpenAdapter();
  ASSERT_NE(c, nullptr);
  Pull p = ReadAll(*c, "pupil", "");
  EXPECT_EQ(p.records.size(), 2u);
  ASSERT_EQ(p.rejects.size(), 1u);
  EXPECT_EQ(p.rejects[0]["id"], StudentId(2));
  EXPECT_EQ(p.rejects[0]["where"], "student " + StudentId(2));
  std::string reason = p.rejects[0]["reason"];
  EXPECT_NE(reason.find("dob"), std::string::npos) << reason;
  EXPECT_NE(reason.find("date_of_birth"), std::string::npos) << reason;
  EXPECT_NE(p.rejects[0]["raw"].get<std::string>().find("2014-02-30"), std::string::npos);
}

TEST_F(MisApiRead, Read_StudentWithoutSenStatusIsRejectedNotSkipped) {
  json school = SchoolFixture(2);
  school["students"][0].erase("sen_status");
  ASSERT_TRUE(sim_.LoadSchool(school).ok());
  auto c = OpenAdapter();
  ASSERT_NE(c, nullptr);
  Pull p = ReadAll(*c, "sen", "");
  EXPECT_EQ(p.records.size(), 1u);
  ASSERT_EQ(p.rejects.size(), 1u);
  EXPECT_NE(p.rejects[0]["reason"].get<std::string>().find("sen_status"), std::string::npos);
}

TEST_F(MisApiRead, Read_CursorNotMadeByTheAdapterIsRefused) {
  auto c = OpenAdapter();
  ASSERT_NE(c, nullptr);
  Reply r = Call(*c, "read", {{"kind", "pupil"}, {"cursor", "page=7"}});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.text.find("cursor"), std::string::npos) << r.text;
}

TEST_F(MisApiRead, Read_KindTheApiDoesNotHoldIsRefused) {
  auto c = OpenAdapter();
  ASSERT_NE(c, nullptr);
  Reply r = Call(*c, "read", {{"kind", "referral"}});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.text.find("referral"), std::string::npos) << r.text;
}
