// Canonical records: the JSON form round-trips, and parsing names every problem by its path.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sendsync/sdk/records.h"

using namespace sendsync::records;
using nlohmann::json;

namespace {

json PupilJson() {
  return {{"kind", "pupil"},
          {"id", "S1"},
          {"upn", "B801200005001"},
          {"legal_surname", "Ng"},
          {"legal_forename", "Ada"},
          {"dob", "2014-03-02"},
          {"sex", "F"},
          {"nc_year", "6"},
          {"school_urn", "100000"}};
}

std::string Paths(const Problems& p) {
  std::string s;
  for (const auto& x : p) s += x.path + ": " + x.message + "\n";
  return s;
}

}  // namespace

TEST(Records, PupilRoundTrips) {
  Pupil p;
  Problems problems;
  ASSERT_TRUE(FromJson(PupilJson(), p, problems)) << Paths(problems);
  json back;
  ToJson(p, back);
  EXPECT_EQ(back, PupilJson());
}

TEST(Records, EveryProblemIsReportedWithItsPath) {
  json j = PupilJson();
  j["dob"] = "02/03/2014";
  j.erase("legal_surname");
  j["sex"] = 1;
  j["shoe_size"] = 4;
  j["x_local_flag"] = true;  // extensions are allowed
  Pupil p;
  Problems problems;
  EXPECT_FALSE(FromJson(j, p, problems));
  std::string all = Paths(problems);
  EXPECT_NE(all.find("dob: expected a date yyyy-mm-dd, got \"02/03/2014\""), std::string::npos)
      << all;
  EXPECT_NE(all.find("legal_surname: is required"), std::string::npos) << all;
  EXPECT_NE(all.find("sex: expected a string"), std::string::npos) << all;
  EXPECT_NE(all.find("shoe_size: is not a field of this record"), std::string::npos) << all;
  EXPECT_EQ(all.find("x_local_flag"), std::string::npos) << all;
  EXPECT_EQ(problems.size(), 4u);
}

TEST(Records, NestedPathsNameTheElement) {
  json sen = {{"kind", "sen"},
              {"pupil", {{"upn", "B801200005001"}}},
              {"provision", "K"},
              {"needs", {{{"type", "SLCN"}, {"rank", 1}}, {{"type", "ASD"}, {"rank", "two"}}}}};
  Sen s;
  Problems problems;
  EXPECT_FALSE(FromJson(sen, s, problems));
  ASSERT_EQ(problems.size(), 1u) << Paths(problems);
  EXPECT_EQ(problems[0].path, "needs[1].rank");
}

TEST(Records, EveryKindRoundTripsThroughItsJsonForm) {
  std::vector<json> samples = {
      PupilJson(),
      {{"kind", "sen"},
       {"pupil", {{"id", "S1"}, {"upn", "B801200005001"}}},
       {"provision", "E"},
       {"provision_start", "2025-02-10"},
       {"needs", {{{"type", "ASD"}, {"rank", 1}}}},
       {"history", {{{"provision", "K"}, {"start", "2023-09-04"}, {"end", "2025-02-09"}}}},
       {"sen_unit", false},
       {"resourced_provision", true}},
      {{"kind", "cycle"},
       {"id", "C1"},
       {"pupil", {{"id", "S1"}}},
       {"start", "2025-09-08"},
       {"stage_model", "four-part"},
       {"stage", "plan"},
       {"outcomes",
        {{{"id", "O1"},
          {"description", "Read aloud"},
          {"targets",
           {{{"id", "T1"},
             {"description", "Decode CVC words"},
             {"success_criteria", "8 of 10 words"},
             {"due", "2025-12-12"},
             {"progress", "in_progress"}}}}}}},
       {"review_date", "2025-12-12"},
       {"status", "open"}},
      {{"kind", "provision"},
       {"id", "PR1"},
       {"pupil", {{"id", "S1"}}},
       {"area", "CL"},
       {"intervention", "Precision teaching"},
       {"wave", 3},
       {"group_size", 1},
       {"sessions_per_week", 3.0},
       {"minutes_per_session", 20},
       {"start", "2025-09-08"},
       {"parents_letter", "2025-09-05"},
       {"hourly_rate", 18.5},
       {"resources_cost", 40.0}},
      {{"kind", "review"},
       {"id", "R1"},
       {"pupil", {{"id", "S1"}}},
       {"date", "2025-12-12"},
       {"review_kind", "sen_support"},
       {"parents_met", true},
       {"decision", "continue"}},
      {{"kind", "review"},
       {"id", "R2"},
       {"pupil", {{"id", "S1"}}},
       {"date", "2026-02-20"},
       {"review_kind", "ehc_annual"},
       {"parents_met", true},
       {"notice_sent", "2026-02-02"},
       {"report_sent", "2026-03-02"},
       {"la_decision_date", "2026-03-16"},
       {"la_decision", "A"},
       {"proposals_sent", "2026-03-16"},
       {"amended_plan_issued", "2026-05-08"}},
      {{"kind", "referral"},
       {"id", "RF1"},
       {"pupil", {{"upn", "B801200005001"}}},
       {"requester_role", "school"},
       {"consent", {{"given", true}, {"date", "2026-01-05"}}},
       {"status", "submitted"}},
      {{"kind", "ehc_plan"},
       {"id", "EP1"},
       {"pupil", {{"upn", "B801200005001"}}},
       {"issued", "2025-02-10"},
       {"la", "820"}},
  };
  for (const json& j : samples) {
    Problems problems;
    auto kind = CheckShape(j, problems);
    ASSERT_TRUE(kind) << j.dump() << "\n" << Paths(problems);
    json back;
    switch (*kind) {
      case Kind::kPupil: {
        Pupil v;
        FromJson(j, v, problems);
        ToJson(v, back);
        break;
      }
      case Kind::kSen: {
        Sen v;
        FromJson(j, v, problems);
        ToJson(v, back);
        break;
      }
      case Kind::kCycle: {
        Cycle v;
        FromJson(j, v, problems);
        ToJson(v, back);
        break;
      }
      case Kind::kProvision: {
        Provision v;
        FromJson(j, v, problems);
        ToJson(v, back);
        break;
      }
      case Kind::kReview: {
        Review v;
        FromJson(j, v, problems);
        ToJson(v, back);
        break;
      }
      case Kind::kReferral: {
        Referral v;
        FromJson(j, v, problems);
        ToJson(v, back);
        break;
      }
      case Kind::kEhcPlan: {
        EhcPlan v;
        FromJson(j, v, problems);
        ToJson(v, back);
        break;
      }
    }
    for (auto it = j.begin(); it != j.end(); ++it)
      EXPECT_EQ(back[it.key()], it.value()) << KindName(*kind) << "." << it.key();
  }
}

TEST(Records, UnknownKindIsNamed) {
  Problems problems;
  EXPECT_FALSE(CheckShape(json{{"kind", "pupils"}}, problems));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].path, "kind");
  EXPECT_NE(problems[0].message.find("unknown record kind \"pupils\""), std::string::npos);
  problems.clear();
  EXPECT_FALSE(CheckShape(json::array(), problems));
  EXPECT_EQ(problems[0].message, "expected a JSON object");
}

TEST(Records, NonPupilRecordsNeedAPupilReference) {
  json j = {{"kind", "review"}, {"id", "R1"}, {"date", "2025-12-12"}, {"review_kind", "interim"}};
  Problems problems;
  EXPECT_FALSE(CheckShape(j, problems));
  EXPECT_EQ(problems[0].path, "pupil");
  j["pupil"] = json::object();
  problems.clear();
  EXPECT_FALSE(CheckShape(j, problems));
  EXPECT_EQ(problems[0].message, "needs an id or a upn");
}

// The facts an LA needs with a request (issue 20) and the SEN fields of issue 17 round-trip.
TEST(Records, FamilyAttendanceAttainmentAndSenFieldsRoundTrip) {
  json pj = PupilJson();
  pj["home_la"] = "821";
  pj["eal"] = true;
  pj["first_language"] = "Polish";
  pj["contacts"] = {{{"name", "Anna Ng"},
                     {"relationship", "mother"},
                     {"parental_responsibility", true},
                     {"phone", "01632 960001"},
                     {"email", "anna@example.org"},
                     {"address", "1 High Street\nTown"}}};
  pj["attendance"] = {{{"from", "2024-09-04"},
                       {"to", "2024-12-20"},
                       {"possible_sessions", 300},
                       {"attended_sessions", 281}}};
  pj["attainment"] = {{{"subject", "Reading"},
                       {"result", "WTS"},
                       {"assessment", "KS1 teacher assessment"},
                       {"date", "2024-07-01"}}};
  Pupil p;
  Problems problems;
  ASSERT_TRUE(FromJson(pj, p, problems)) << Paths(problems);
  ASSERT_TRUE(p.eal.has_value());
  EXPECT_TRUE(*p.eal);
  ASSERT_EQ(p.contacts.size(), 1u);
  EXPECT_TRUE(p.contacts[0].parental_responsibility);
  EXPECT_EQ(p.attendance[0].attended_sessions, 281);
  json back;
  ToJson(p, back);
  EXPECT_EQ(back, pj);

  json sj = {{"kind", "sen"},
             {"pupil", {{"upn", "B801200005001"}}},
             {"provision", "K"},
             {"needs", json::array()},
             {"sen_unit", false},
             {"resourced_provision", false},
             {"parents_informed", "2024-09-20"},
             {"key_adult", "Mrs Khan"},
             {"agencies", {{{"name", "Educational psychology service"}, {"from", "2024-01-10"}}}}};
  Sen s;
  ASSERT_TRUE(FromJson(sj, s, problems)) << Paths(problems);
  EXPECT_EQ(s.key_adult, "Mrs Khan");
  ToJson(s, back);
  EXPECT_EQ(back, sj);

  json rj = {{"kind", "referral"},
             {"id", "R1"},
             {"pupil", {{"upn", "B801200005001"}}},
             {"requester_role", "school"},
             {"reasons", "Needs exceed what SEN support can meet."},
             {"unmet_needs", "Daily speech and language therapy."},
             {"external_advice",
              {{{"role", "educational_psychologist"}, {"report", "Full report text."}}}},
             {"consent", {{"given", true}}},
             {"status", "draft"}};
  Referral r;
  ASSERT_TRUE(FromJson(rj, r, problems)) << Paths(problems);
  EXPECT_EQ(r.external_advice[0].report, "Full report text.");
  ToJson(r, back);
  EXPECT_EQ(back, rj);
}

TEST(Records, AContactWithoutANameIsAProblemAtItsPath) {
  json pj = PupilJson();
  pj["contacts"] = {{{"relationship", "father"}}};
  pj["attendance"] = {{{"from", "2024-09-04"}, {"to", "2024-12-20"}}};
  Pupil p;
  Problems problems;
  EXPECT_FALSE(FromJson(pj, p, problems));
  const std::string all = Paths(problems);
  EXPECT_NE(all.find("contacts[0].name"), std::string::npos) << all;
  EXPECT_NE(all.find("attendance[0].possible_sessions"), std::string::npos) << all;
}
