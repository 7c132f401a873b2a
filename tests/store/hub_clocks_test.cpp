// The hub's clocks for requests for an EHC needs assessment as people see them (core/hub:
// ClocksOf, DueList, PupilSummary): the LA's statutory dates from a referral record as the
// la-portal adapter reports it, and what the school owes while the LA waits for information.
#include <gtest/gtest.h>

#include "core/audit/audit.h"
#include "core/hub/hub.h"
#include "core/store/store.h"
#include "pg_server.h"

using namespace sendsync;
using nlohmann::json;

namespace {

const char* const kUpn = "X820200120015";

class HubClocks : public testing::Test {
 protected:
  void SetUp() override {
    auto s = store::Store::Open(testing_support::FreshSqliteUrl(), store::OpenMode::kCreate);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    auto c = store_->Connect();
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    conn_ = std::move(*c);
    store::RecordRow p = Row(1, "pupil", 0,
                             {{"upn", kUpn},
                              {"legal_surname", "Morgan"},
                              {"legal_forename", "Ella"},
                              {"dob", "2017-03-11"},
                              {"sex", "F"},
                              {"school_urn", "100001"}});
    p.upn = kUpn;
    p.dob = "2017-03-11";
    p.school_urn = "100001";
    ASSERT_TRUE(store::InsertRecords(*conn_, {p}).ok());
  }

  static store::RecordRow Row(int64_t id, const std::string& kind, int64_t pupil,
                              const json& body) {
    store::RecordRow r;
    r.id = id;
    r.kind = kind;
    r.pupil_id = pupil;
    r.body = body.dump();
    r.hash = audit::Sha256Hex(r.body);
    r.created_at = r.updated_at = store::NowMs();
    return r;
  }

  // A referral as the hub holds it once the LA's status changes were pulled.
  void Referral(json fields) {
    json body = {{"requester_role", "school"},
                 {"request_source", 2},
                 {"la", "820"},
                 {"la_reference", "EHC-820-2025-00001"},
                 {"received_date", "2025-01-06"},
                 {"request_outcome", "A"}};
    body.update(fields);
    ASSERT_TRUE(store::InsertRecords(*conn_, {Row(2, "referral", 1, body)}).ok());
  }

  json Due(const std::string& as_of) {
    auto d = hub::DueList(*conn_, *Date::Parse(as_of), "");
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? *d : json::array();
  }

  static const json* Find(const json& items, const std::string& clock) {
    for (const json& i : items)
      if (i.value("clock", "") == clock) return &i;
    return nullptr;
  }

  std::unique_ptr<store::Store> store_;
  std::unique_ptr<store::Conn> conn_;
};

TEST_F(HubClocks, DueList_ShowsThe20WeekFinalPlanDateOnceTheLaDecidesToAssess) {
  Referral({{"status", "assessing"},
            {"decision", "assess"},
            {"decision_date", "2025-02-10"},
            {"request_outcome", "Y"},
            {"assessment_outcome", "A"}});
  json due = Due("2025-02-11");
  const json* plan = Find(due, "ehc_final_plan_20w");
  ASSERT_NE(plan, nullptr) << due.dump(2);
  EXPECT_EQ((*plan)["due"], "2025-05-26");  // 20 weeks from 6 January
  EXPECT_EQ((*plan)["state"], "upcoming");
  EXPECT_EQ((*plan)["owner"], "la");
  EXPECT_EQ((*plan)["upn"], kUpn);
  EXPECT_EQ(Find(due, "ehc_decision_6w"), nullptr) << "a decision made in time is not listed";
}

// The professionals' 6 weeks (from the decision to assess) run as the 20 weeks do: upcoming, they
// are on the due list for the LA (issue 17).
TEST_F(HubClocks, DueList_ShowsTheAdviceClockWhileItRuns) {
  Referral({{"status", "assessing"},
            {"decision", "assess"},
            {"decision_date", "2025-02-10"},
            {"request_outcome", "Y"},
            {"assessment_outcome", "A"}});
  json due = Due("2025-02-11");
  const json* advice = Find(due, "ehc_advice_6w");
  ASSERT_NE(advice, nullptr) << due.dump(2);
  EXPECT_EQ((*advice)["due"], "2025-03-24");  // 6 weeks from 10 February
  EXPECT_EQ((*advice)["state"], "upcoming");
  EXPECT_EQ((*advice)["owner"], "la");
}

// A re-assessment's 14 weeks (a request made while a plan is in force) are listed as they run.
TEST_F(HubClocks, DueList_ShowsTheReassessmentClockWhileItRuns) {
  ASSERT_TRUE(store::InsertRecords(
                  *conn_, {Row(3, "ehc_plan", 1, {{"la", "820"}, {"issued", "2023-06-01"}})})
                  .ok());
  Referral({{"status", "assessing"},
            {"decision", "assess"},
            {"decision_date", "2025-02-10"},
            {"request_outcome", "Y"},
            {"assessment_outcome", "A"}});
  json due = Due("2025-02-11");
  const json* re = Find(due, "reassessment_14w");
  ASSERT_NE(re, nullptr) << due.dump(2);
  EXPECT_EQ((*re)["due"], "2025-05-19");  // 14 weeks from 10 February
  EXPECT_EQ((*re)["state"], "upcoming");
}

TEST_F(HubClocks, DueList_ShowsThe6WeekDecisionWhileTheLaHasNotDecided) {
  Referral(json{{"status", "received"}});
  json due = Due("2025-01-07");
  const json* decision = Find(due, "ehc_decision_6w");
  ASSERT_NE(decision, nullptr);
  EXPECT_EQ((*decision)["due"], "2025-02-17");
  EXPECT_EQ((*decision)["state"], "upcoming");
}

TEST_F(HubClocks, DueList_LateLaDecisionIsOverdueForTheLa) {
  Referral(json{{"status", "received"}});
  json due = Due("2025-02-20");
  const json* decision = Find(due, "ehc_decision_6w");
  ASSERT_NE(decision, nullptr);
  EXPECT_EQ((*decision)["state"], "overdue");
  EXPECT_EQ((*decision)["owner"], "la");
}

TEST_F(HubClocks, DueList_MoreInformationRequestedIsOwedByTheSchoolUntilItsDate) {
  Referral({{"status", "more_info_requested"},
            {"x_information_requested",
             {{"requested_on", "2025-01-20"},
              {"items", {"Educational psychologist's report", "Costed provision map"}},
              {"respond_by", "2025-02-03"}}}});
  json due = Due("2025-01-21");
  const json* owed = Find(due, "la_information_requested");
  ASSERT_NE(owed, nullptr);
  EXPECT_EQ((*owed)["owner"], "school");
  EXPECT_EQ((*owed)["due"], "2025-02-03");
  EXPECT_EQ((*owed)["state"], "due");
  EXPECT_NE((*owed)["detail"].get<std::string>().find("Educational psychologist's report"),
            std::string::npos);
  json later = Due("2025-02-05");
  ASSERT_NE(Find(later, "la_information_requested"), nullptr);
  EXPECT_EQ((*Find(later, "la_information_requested"))["state"], "overdue");
}

TEST_F(HubClocks, DueList_NothingOwedOnceTheReferralMovesOn) {
  // The adapter clears the field when the status moves on; a stale one must not raise an alert.
  Referral(
      {{"status", "received"},
       {"x_information_requested", {{"requested_on", "2025-01-20"}, {"items", json::array()}}}});
  json due = Due("2025-01-21");
  EXPECT_EQ(Find(due, "la_information_requested"), nullptr);
}

TEST_F(HubClocks, PupilSummary_ClocksIncludeWhatTheSchoolOwes) {
  Referral(
      {{"status", "more_info_requested"},
       {"x_information_requested", {{"requested_on", "2025-01-20"}, {"items", {"EP report"}}}}});
  auto s = hub::PupilSummary(*conn_, 1, *Date::Parse("2025-01-21"));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const json* owed = Find((*s)["clocks"], "la_information_requested");
  ASSERT_NE(owed, nullptr) << (*s)["clocks"].dump(2);
  EXPECT_EQ((*owed)["due"], "2025-01-20") << "no date to respond by: owed at once";
  EXPECT_NE((*owed)["detail"].get<std::string>().find("no date given"), std::string::npos);
}

// Seed 004: an intervention letter to the parents of every pupil receiving an intervention, for a
// pupil on the six-stage school model: due on the provision's start, shown in the due list and on
// the pupil's page until the letter's date is on record.
TEST_F(HubClocks, InterventionLetter_DueListAndPupilSummaryUntilTheLetterIsOnRecord) {
  json cycle = {{"stage_model", "six-stage-school"},
                {"stage", "cause_for_concern"},
                {"start", "2025-01-06"},
                {"status", "open"},
                {"outcomes", json::array()}};
  json provision = {{"area", "CL"},
                    {"intervention", "Precision teaching"},
                    {"wave", 2},
                    {"sessions_per_week", 3},
                    {"minutes_per_session", 20},
                    {"start", "2025-01-13"}};
  ASSERT_TRUE(store::InsertRecords(*conn_, {Row(3, "cycle", 1, cycle)}).ok());
  ASSERT_TRUE(store::InsertRecords(*conn_, {Row(4, "provision", 1, provision)}).ok());
  EXPECT_EQ(Find(Due("2025-01-10"), "intervention_letter"), nullptr) << "not started yet";
  json due = Due("2025-01-20");
  const json* letter = Find(due, "intervention_letter");
  ASSERT_NE(letter, nullptr) << due.dump(2);
  EXPECT_EQ((*letter)["due"], "2025-01-13");
  EXPECT_EQ((*letter)["state"], "overdue");
  EXPECT_EQ((*letter)["owner"], "school");
  EXPECT_EQ((*letter)["record_kind"], "provision");

  provision["parents_letter"] = "2025-01-09";
  store::RecordRow sent = Row(4, "provision", 1, provision);
  sent.version = 2;  // the stored version + 1
  Status updated = store::UpdateRecords(*conn_, {sent}, "test");
  ASSERT_TRUE(updated.ok()) << updated.ToString();
  EXPECT_EQ(Find(Due("2025-01-20"), "intervention_letter"), nullptr) << "met: nothing due";
  auto s = hub::PupilSummary(*conn_, 1, *Date::Parse("2025-01-20"));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const json* met = Find((*s)["clocks"], "intervention_letter");
  ASSERT_NE(met, nullptr) << (*s)["clocks"].dump(2);
  EXPECT_EQ((*met)["state"], "met");
  EXPECT_EQ((*met)["done"], "2025-01-09");
}

}  // namespace
