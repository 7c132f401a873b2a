// EHC plan clocks: annual review within 12 months of the plan or the last review, its follow-ups
// (notice, report, LA decision, amendment), and phase-transfer deadlines.
#include <gtest/gtest.h>

#include "tests/domain/fixtures.h"

using namespace sendsync;
using namespace sendsync::domain;
using namespace sendsync::domain::testing;

namespace {

PupilRecords WithPlan(records::EhcPlan plan) {
  PupilRecords pr;
  pr.pupil = MakePupil();
  pr.pupil.nc_year = "4";
  pr.sen = MakeSen("E");
  pr.plans = {std::move(plan)};
  return pr;
}

records::Review Annual(std::string id, const char* date) {
  auto r = MakeReview(std::move(id), "", date);
  r.cycle_id.reset();
  r.progress.clear();
  r.review_kind = "ehc_annual";
  return r;
}

std::vector<DueItem> Named(const PupilRecords& pr, const char* as_of, const char* id) {
  return ClocksNamed(Clocks(pr, D(as_of)), id);
}

}  // namespace

TEST(AnnualReview12m, FirstReviewWithinTwelveMonthsOfThePlan) {
  auto pr = WithPlan(MakePlan("EHC1", "2024-03-01"));
  struct Case {
    const char* as_of;
    const char* state;
  };
  for (const Case& c :
       {Case{"2025-01-10", "upcoming"}, Case{"2025-03-01", "due"}, Case{"2025-03-05", "overdue"}}) {
    auto items = Named(pr, c.as_of, "annual_review_12m");
    ASSERT_EQ(items.size(), 1u) << Describe(items);
    EXPECT_EQ(items[0].due, D("2025-03-01")) << "the anniversary itself";
    EXPECT_EQ(items[0].state, c.state) << c.as_of;
    EXPECT_EQ(items[0].owner, "la");
  }
}

TEST(AnnualReview12m, ThenWithinTwelveMonthsOfTheLastReview) {
  auto pr = WithPlan(MakePlan("EHC1", "2024-03-01"));
  pr.reviews = {Annual("R1", "2025-02-20")};
  auto items = Named(pr, "2025-04-01", "annual_review_12m");
  ASSERT_EQ(items.size(), 2u) << Describe(items);
  EXPECT_EQ(items[0].state, "met");
  EXPECT_EQ(items[0].record_kind, "review");
  EXPECT_EQ(items[0].record_id, "R1");
  EXPECT_EQ(items[1].due, D("2026-02-20"));
  EXPECT_EQ(items[1].state, "upcoming");
  EXPECT_EQ(items[1].record_kind, "ehc_plan");
}

TEST(AnnualReview12m, LateReviewIsMetLate) {
  auto pr = WithPlan(MakePlan("EHC1", "2024-03-01"));
  pr.reviews = {Annual("R1", "2025-03-10")};
  auto items = Named(pr, "2025-04-01", "annual_review_12m");
  ASSERT_EQ(items.size(), 2u) << Describe(items);
  EXPECT_EQ(items[0].state, "met_late");
  EXPECT_NE(items[0].detail.find("9 day(s) after the deadline"), std::string::npos);
}

TEST(AnnualReview12m, LastAnnualReviewOnThePlanCountsWithoutAReviewRecord) {
  auto plan = MakePlan("EHC1", "2024-03-01");
  plan.last_annual_review = D("2025-02-20");
  auto items = Named(WithPlan(plan), "2025-04-01", "annual_review_12m");
  ASSERT_EQ(items.size(), 2u) << Describe(items);
  EXPECT_EQ(items[0].record_kind, "ehc_plan");
  EXPECT_EQ(items[0].state, "met");
  EXPECT_EQ(items[1].due, D("2026-02-20"));
}

TEST(AnnualReview12m, LeapDayPlan) {
  auto items = Named(WithPlan(MakePlan("EHC1", "2024-02-29")), "2024-06-01", "annual_review_12m");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].due, D("2025-02-28"));
}

TEST(AnnualReview12m, CeasedPlansHaveNoCurrentReview) {
  auto plan = MakePlan("EHC1", "2024-03-01");
  plan.ceased = D("2024-12-01");
  plan.cease_reason = 2;
  EXPECT_TRUE(Named(WithPlan(plan), "2025-04-01", "annual_review_12m").empty());
}

TEST(AnnualReviewFollowUps, DeadlinesFromTheMeetingWithNothingRecorded) {
  auto pr = WithPlan(MakePlan("EHC1", "2024-03-01"));
  pr.reviews = {Annual("R1", "2025-02-20")};
  auto report = Named(pr, "2025-03-10", "annual_review_report_2w");
  ASSERT_EQ(report.size(), 1u);
  EXPECT_EQ(report[0].due, D("2025-03-06"));
  EXPECT_EQ(report[0].state, "overdue");
  EXPECT_EQ(report[0].owner, "school");
  EXPECT_NE(report[0].detail.find("no date for this step is recorded"), std::string::npos);
  auto decision = Named(pr, "2025-03-10", "annual_review_decision_4w");
  ASSERT_EQ(decision.size(), 1u);
  EXPECT_EQ(decision[0].due, D("2025-03-20"));
  EXPECT_EQ(decision[0].state, "due");
  EXPECT_EQ(decision[0].owner, "la");
  EXPECT_TRUE(Named(pr, "2025-03-10", "amended_plan_8w").empty());
}

TEST(AnnualReviewFollowUps, RecordedStepsAreMetOrMetLate) {
  auto pr = WithPlan(MakePlan("EHC1", "2024-03-01"));
  pr.reviews = {Annual("R1", "2025-02-20")};
  AnnualReviewSteps steps;
  steps.meeting = D("2025-02-20");
  steps.notice_sent = D("2025-02-10");  // 10 days' notice: short
  steps.report_sent = D("2025-03-01");
  steps.decision = D("2025-03-25");
  steps.outcome = "A";
  steps.proposals_sent = D("2025-03-25");
  steps.amended_plan_issued = D("2025-05-30");
  pr.annual_review_steps = {steps};
  const char* as_of = "2025-06-30";
  EXPECT_EQ(Named(pr, as_of, "annual_review_notice_2w").at(0).state, "met_late");
  EXPECT_EQ(Named(pr, as_of, "annual_review_report_2w").at(0).state, "met");
  EXPECT_EQ(Named(pr, as_of, "annual_review_decision_4w").at(0).state, "met_late");
  auto amended = Named(pr, as_of, "amended_plan_8w");
  ASSERT_EQ(amended.size(), 1u);
  EXPECT_EQ(amended[0].due, D("2025-05-20"));
  EXPECT_EQ(amended[0].state, "met_late");
  auto whole = Named(pr, as_of, "amendment_12w");
  ASSERT_EQ(whole.size(), 1u);
  EXPECT_EQ(whole[0].due, D("2025-05-15"));
  EXPECT_EQ(whole[0].state, "met_late");
}

TEST(AnnualReviewFollowUps, AmendmentRunsFromTheDecisionWhenNoProposalsDate) {
  auto pr = WithPlan(MakePlan("EHC1", "2024-03-01"));
  pr.reviews = {Annual("R1", "2025-02-20")};
  AnnualReviewSteps steps;
  steps.meeting = D("2025-02-20");
  steps.decision = D("2025-03-10");
  steps.outcome = "A";
  pr.annual_review_steps = {steps};
  auto amended = Named(pr, "2025-04-01", "amended_plan_8w");
  ASSERT_EQ(amended.size(), 1u);
  EXPECT_EQ(amended[0].due, D("2025-05-05"));
  EXPECT_EQ(amended[0].state, "upcoming");
}

TEST(AnnualReviewFollowUps, MaintainedPlanHasNoAmendmentClocks) {
  auto pr = WithPlan(MakePlan("EHC1", "2024-03-01"));
  pr.reviews = {Annual("R1", "2025-02-20")};
  AnnualReviewSteps steps;
  steps.meeting = D("2025-02-20");
  steps.decision = D("2025-03-10");
  steps.outcome = "M";
  pr.annual_review_steps = {steps};
  EXPECT_TRUE(Named(pr, "2025-04-01", "amended_plan_8w").empty());
  EXPECT_TRUE(Named(pr, "2025-04-01", "amendment_12w").empty());
}

TEST(AnnualReviewNotice2w, InvitationsForTheNextMeeting) {
  auto plan = MakePlan("EHC1", "2024-03-01");
  plan.last_annual_review = D("2025-02-20");
  plan.next_annual_review = D("2026-02-10");
  auto pr = WithPlan(plan);
  auto notice = Named(pr, "2026-01-20", "annual_review_notice_2w");
  ASSERT_EQ(notice.size(), 1u) << Describe(notice);
  EXPECT_EQ(notice[0].due, D("2026-01-27"));
  EXPECT_EQ(notice[0].state, "due");
  EXPECT_EQ(Named(pr, "2026-01-30", "annual_review_notice_2w").at(0).state, "overdue");
  AnnualReviewSteps steps;
  steps.meeting = D("2026-02-10");
  steps.notice_sent = D("2026-01-20");
  pr.annual_review_steps = {steps};
  EXPECT_EQ(Named(pr, "2026-01-30", "annual_review_notice_2w").at(0).state, "met");
}

TEST(AnnualReviewNotice2w, WithoutAPlannedMeetingTheDeadlineIsUsed) {
  auto pr = WithPlan(MakePlan("EHC1", "2024-03-01"));
  auto notice = Named(pr, "2025-01-01", "annual_review_notice_2w");
  ASSERT_EQ(notice.size(), 1u);
  EXPECT_EQ(notice[0].due, D("2025-02-15"));  // two weeks before 2025-03-01
}

// ---- Phase transfer ----

TEST(PhaseTransfer, YearSixPlanNamesTheSecondarySchoolBy15February) {
  auto pr = WithPlan(MakePlan("EHC1", "2022-03-01"));
  pr.pupil.nc_year = "6";
  auto items = Named(pr, "2025-11-01", "phase_transfer");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].due, D("2026-02-15"));
  EXPECT_EQ(items[0].state, "upcoming");
  EXPECT_EQ(items[0].owner, "la");
  EXPECT_EQ(items[0].record_kind, "ehc_plan");
  EXPECT_EQ(Named(pr, "2026-02-20", "phase_transfer").at(0).state, "overdue");
}

TEST(PhaseTransfer, AmendedPlanInTheTransferYearMeetsIt) {
  auto pr = WithPlan(MakePlan("EHC1", "2022-03-01"));
  pr.pupil.nc_year = "6";
  AnnualReviewSteps steps;
  steps.meeting = D("2025-11-20");
  steps.amended_plan_issued = D("2026-02-01");
  pr.annual_review_steps = {steps};
  EXPECT_EQ(Named(pr, "2026-02-20", "phase_transfer").at(0).state, "met");
  pr.annual_review_steps[0].amended_plan_issued = D("2026-03-01");
  EXPECT_EQ(Named(pr, "2026-03-10", "phase_transfer").at(0).state, "met_late");
}

TEST(PhaseTransfer, PostSixteenBy31March) {
  auto pr = WithPlan(MakePlan("EHC1", "2022-03-01"));
  pr.pupil.nc_year = "11";
  auto items = Named(pr, "2025-11-01", "phase_transfer");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].due, D("2026-03-31"));
}

TEST(PhaseTransfer, EarlyYearsToSchool) {
  auto pr = WithPlan(MakePlan("EHC1", "2025-03-01"));
  pr.pupil.nc_year = "N2";
  EXPECT_EQ(Named(pr, "2025-10-01", "phase_transfer").at(0).due, D("2026-02-15"));
}

TEST(PhaseTransfer, NotATransferYear) {
  auto pr = WithPlan(MakePlan("EHC1", "2022-03-01"));
  pr.pupil.nc_year = "5";
  EXPECT_TRUE(Named(pr, "2025-11-01", "phase_transfer").empty());
}

TEST(PhaseTransfer, WithoutARecordedYearTheAgeDecides) {
  auto pr = WithPlan(MakePlan("EHC1", "2022-03-01"));
  pr.pupil.nc_year.reset();  // born 2014-03-02: Year 6 in 2024/25
  auto items = Named(pr, "2024-11-01", "phase_transfer");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].due, D("2025-02-15"));
  EXPECT_NE(items[0].detail.find("by age"), std::string::npos);
}

TEST(PhaseTransfer, OnlyForPupilsWithAPlan) {
  PupilRecords pr;
  pr.pupil = MakePupil();
  pr.sen = MakeSen("K");
  EXPECT_TRUE(Named(pr, "2025-11-01", "phase_transfer").empty());
}

TEST(ChronologicalNcYear, ByDateOfBirth) {
  struct Case {
    const char* dob;
    const char* on;
    const char* year;
  };
  for (const Case& c :
       {Case{"2014-03-02", "2024-11-01", "6"}, Case{"2013-09-01", "2024-11-01", "6"},
        Case{"2014-08-31", "2024-11-01", "6"}, Case{"2014-09-01", "2024-11-01", "5"},
        Case{"2019-12-25", "2024-11-01", "R"}, Case{"2020-12-25", "2024-11-01", "N2"},
        Case{"2021-12-25", "2024-11-01", "N1"}, Case{"2009-01-01", "2024-11-01", "11"},
        Case{"2023-01-01", "2024-11-01", ""}}) {
    EXPECT_EQ(ChronologicalNcYear(D(c.dob), D(c.on)), c.year) << c.dob;
  }
}

// The NC year recorded in one school year moves on in the next: a pupil recorded in year 6 gets
// the secondary-transfer clock in that school year only, not every year after.
TEST(PhaseTransfer, RecordedYearMovesOnWithTheSchoolYear) {
  auto pr = WithPlan(MakePlan("EHC1", "2022-03-01"));
  pr.pupil.nc_year = "6";
  pr.pupil_recorded_on = D("2025-10-01");  // year 6 in 2025/26
  ASSERT_EQ(Named(pr, "2025-11-01", "phase_transfer").size(), 1u);
  EXPECT_EQ(Named(pr, "2026-08-31", "phase_transfer").size(), 1u);  // last day of 2025/26
  EXPECT_TRUE(Named(pr, "2026-09-01", "phase_transfer").empty());   // year 7 now
  EXPECT_TRUE(Named(pr, "2027-11-01", "phase_transfer").empty());
  // Five school years on, the same pupil is in year 11: the post-16 transfer.
  auto y11 = Named(pr, "2030-11-01", "phase_transfer");
  ASSERT_EQ(y11.size(), 1u);
  EXPECT_EQ(y11[0].due, D("2031-03-31"));
  EXPECT_NE(y11[0].detail.find("year 11 (recorded as year 6 on 2025-10-01)"), std::string::npos)
      << y11[0].detail;
  // Recorded in year 5 the school year before: year 6 now.
  pr.pupil.nc_year = "5";
  pr.pupil_recorded_on = D("2025-07-10");
  EXPECT_EQ(Named(pr, "2025-11-01", "phase_transfer").size(), 1u);
}

TEST(NcYearOn, CountsSchoolYearsFromTheFirstOfSeptember) {
  EXPECT_EQ(NcYearOn("6", D("2025-10-01"), D("2026-08-31")), "6");
  EXPECT_EQ(NcYearOn("6", D("2025-10-01"), D("2026-09-01")), "7");
  EXPECT_EQ(NcYearOn("N1", D("2025-10-01"), D("2027-09-01")), "R");
  EXPECT_EQ(NcYearOn("R", D("2025-10-01"), D("2024-10-01")), "N2");
  EXPECT_EQ(NcYearOn("14", D("2025-10-01"), D("2026-10-01")), "");
  EXPECT_EQ(NcYearOn("X", D("2020-10-01"), D("2026-10-01")), "X");
}
