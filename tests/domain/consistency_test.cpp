// Rules across one pupil's records: E against the LA's plans both ways, references between
// records, and records filed under the wrong child.
#include <gtest/gtest.h>

#include <functional>

#include "tests/domain/fixtures.h"

using namespace sendsync;
using namespace sendsync::domain;
using namespace sendsync::domain::testing;

namespace {

PupilRecords Consistent() {
  PupilRecords pr;
  pr.pupil = MakePupil();
  pr.sen = MakeSen("K");
  auto c = MakeCycle();
  c.planned_provision = {"P1"};
  pr.cycles = {c};
  auto p = MakeProvision();
  p.cycle_id = "C1";
  p.target_ids = {"C1-T1"};
  pr.provision = {p};
  pr.reviews = {MakeReview("R1", "C1", "2024-12-09")};
  auto f = MakeReferral();
  f.cycle_ids = {"C1"};
  f.review_ids = {"R1"};
  f.provision_ids = {"P1"};
  pr.referrals = {f};
  return pr;
}

}  // namespace

TEST(Consistency, ConsistentRecordsHaveNoIssues) {
  auto issues = CheckConsistency(Consistent());
  EXPECT_TRUE(issues.empty()) << Codes(issues);
}

TEST(Consistency, EWithoutAPlanOrAReferralThatLedToOne) {
  auto pr = Consistent();
  pr.sen = MakeSen("E");
  auto issues = CheckConsistency(pr);
  ASSERT_TRUE(HasCode(issues, "EHC_STATUS_WITHOUT_PLAN")) << Codes(issues);
  EXPECT_FALSE(HasErrors(issues));

  pr.referrals[0].final_plan_date = D("2025-05-30");
  EXPECT_FALSE(HasCode(CheckConsistency(pr), "EHC_STATUS_WITHOUT_PLAN"));
  pr.referrals[0].final_plan_date.reset();
  pr.plans = {MakePlan()};
  EXPECT_FALSE(HasCode(CheckConsistency(pr), "EHC_STATUS_WITHOUT_PLAN"));
  pr.plans[0].ceased = D("2025-01-01");
  EXPECT_TRUE(HasCode(CheckConsistency(pr), "EHC_STATUS_WITHOUT_PLAN"));
}

TEST(Consistency, ActivePlanWithoutE) {
  auto pr = Consistent();
  pr.plans = {MakePlan()};
  auto issues = CheckConsistency(pr);
  ASSERT_TRUE(HasCode(issues, "PLAN_WITHOUT_EHC_STATUS")) << Codes(issues);
  pr.sen = MakeSen("E");
  EXPECT_FALSE(HasCode(CheckConsistency(pr), "PLAN_WITHOUT_EHC_STATUS"));
  pr.plans.push_back(MakePlan("EHC2", "2025-01-01"));
  EXPECT_TRUE(HasCode(CheckConsistency(pr), "PLAN_DUPLICATE_ACTIVE"));
}

TEST(Consistency, DanglingReferencesAreWarnings) {
  struct Case {
    const char* name;
    std::function<void(PupilRecords&)> edit;
    const char* code;
    const char* path;
  };
  std::vector<Case> cases = {
      {"review of a missing cycle", [](PupilRecords& pr) { pr.reviews[0].cycle_id = "C9"; },
       "REVIEW_CYCLE_MISSING", "review:R1.cycle_id"},
      {"provision of a missing cycle", [](PupilRecords& pr) { pr.provision[0].cycle_id = "C9"; },
       "PROVISION_CYCLE_MISSING", "provision:P1.cycle_id"},
      {"cycle plans missing provision",
       [](PupilRecords& pr) { pr.cycles[0].planned_provision = {"P9"}; }, "CYCLE_PROVISION_MISSING",
       "cycle:C1.planned_provision"},
      {"provision for a missing target",
       [](PupilRecords& pr) { pr.provision[0].target_ids = {"T9"}; }, "PROVISION_TARGET_MISSING",
       "provision:P1.target_ids"},
      {"progress for a missing target",
       [](PupilRecords& pr) { pr.reviews[0].progress[0].target_id = "T9"; },
       "REVIEW_TARGET_MISSING", "review:R1.progress"},
      {"referral cites a missing review",
       [](PupilRecords& pr) { pr.referrals[0].review_ids = {"R9"}; }, "REFERRAL_EVIDENCE_MISSING",
       "referral:F1.review_ids"},
      {"plan names a missing referral",
       [](PupilRecords& pr) {
         pr.sen = MakeSen("E");
         pr.plans = {MakePlan()};
         pr.plans[0].referral_id = "F9";
       },
       "PLAN_REFERRAL_MISSING", "ehc_plan:EHC1.referral_id"},
  };
  for (const Case& c : cases) {
    auto pr = Consistent();
    c.edit(pr);
    auto issues = CheckConsistency(pr);
    const Issue* i = FindCode(issues, c.code);
    ASSERT_TRUE(i) << c.name << "\n" << Codes(issues);
    EXPECT_EQ(i->path, c.path) << c.name;
    EXPECT_EQ(i->severity, Severity::kWarning) << c.name;
  }
}

TEST(Consistency, ARecordNamingAnotherChildsUpnIsAnError) {
  auto pr = Consistent();
  pr.reviews[0].pupil.upn = "X00180001701A";
  auto issues = CheckConsistency(pr);
  ASSERT_TRUE(HasCode(issues, "RECORD_PUPIL_MISMATCH")) << Codes(issues);
  EXPECT_TRUE(HasErrors(issues));
  // A different system id alone is normal: each link has its own ids for the same pupil.
  pr = Consistent();
  pr.reviews[0].pupil.id = "LA-77";
  EXPECT_TRUE(CheckConsistency(pr).empty());
}

TEST(Consistency, YoungPersonRequestBeforeSixteen) {
  auto pr = Consistent();
  pr.referrals[0].requester_role = "young_person";
  pr.referrals[0].request_source = 1;
  EXPECT_TRUE(HasCode(CheckConsistency(pr), "REFERRAL_YOUNG_PERSON_UNDER_16"));
  pr.pupil.dob = D("2008-03-02");
  EXPECT_FALSE(HasCode(CheckConsistency(pr), "REFERRAL_YOUNG_PERSON_UNDER_16"));
}
