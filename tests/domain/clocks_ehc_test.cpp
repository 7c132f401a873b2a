// The EHC needs-assessment timeline (6, 16, 20 weeks from the request; 15 days on a draft), with
// the statutory exceptions: a closure or absence pauses the clock, exceptional personal
// circumstances excuse a missed limit.
#include <gtest/gtest.h>

#include "tests/domain/fixtures.h"

using namespace sendsync;
using namespace sendsync::domain;
using namespace sendsync::domain::testing;

namespace {

PupilRecords WithReferral(records::Referral r) {
  PupilRecords pr;
  pr.pupil = MakePupil();
  pr.sen = MakeSen("K");
  pr.referrals = {std::move(r)};
  return pr;
}

std::optional<DueItem> Clock(const PupilRecords& pr, const char* as_of, const char* id) {
  auto items = ClocksNamed(Clocks(pr, D(as_of)), id);
  if (items.empty()) return std::nullopt;
  EXPECT_EQ(items.size(), 1u) << Describe(items);
  return items[0];
}

// The clocks a request runs (the pupil's school clocks left out).
std::vector<DueItem> ReferralClocks(const PupilRecords& pr, const char* as_of) {
  std::vector<DueItem> out;
  for (const DueItem& i : Clocks(pr, D(as_of)))
    if (i.record_kind == "referral") out.push_back(i);
  return out;
}

records::Referral Assessing() {
  auto r = MakeReferral();  // received 2025-01-15
  r.decision = "assess";
  r.decision_date = D("2025-02-20");
  r.request_outcome = "Y";
  r.status = "assessing";
  return r;
}

}  // namespace

TEST(EhcDecision6w, DueSixWeeksAfterReceipt) {
  auto pr = WithReferral(MakeReferral());
  struct Case {
    const char* as_of;
    const char* state;
  };
  for (const Case& c :
       {Case{"2025-02-01", "upcoming"}, Case{"2025-02-20", "due"}, Case{"2025-03-01", "overdue"}}) {
    auto i = Clock(pr, c.as_of, "ehc_decision_6w");
    ASSERT_TRUE(i) << c.as_of;
    EXPECT_EQ(i->due, D("2025-02-26")) << c.as_of;
    EXPECT_EQ(i->state, c.state) << c.as_of;
    EXPECT_EQ(i->owner, "la");
    EXPECT_EQ(i->record_kind, "referral");
  }
  // Before the LA decides, the 16-week (no plan) clock does not run; the 20-week one does.
  EXPECT_FALSE(Clock(pr, "2025-03-01", "ehc_no_plan_16w"));
}

// The 20-week deadline is in view from the day the LA receives the request, and stays in view
// when the 6-week decision is late.
TEST(EhcFinalPlan20w, ShownFromReceiptAndWhileTheDecisionIsLate) {
  auto pr = WithReferral(MakeReferral());  // received 2025-01-15, no decision yet
  for (const char* as_of : {"2025-01-15", "2025-02-01", "2025-03-01", "2025-05-01"}) {
    auto i = Clock(pr, as_of, "ehc_final_plan_20w");
    ASSERT_TRUE(i) << as_of;
    EXPECT_EQ(i->due, D("2025-06-04")) << as_of;
    EXPECT_NE(i->detail.find("not yet decided"), std::string::npos) << i->detail;
  }
  EXPECT_EQ(Clock(pr, "2025-03-01", "ehc_decision_6w")->state, "overdue");
  EXPECT_EQ(Clock(pr, "2025-03-01", "ehc_final_plan_20w")->state, "upcoming");
  EXPECT_EQ(Clock(pr, "2025-06-05", "ehc_final_plan_20w")->state, "overdue");
  // The day before receipt there is nothing to show.
  EXPECT_FALSE(Clock(pr, "2025-01-14", "ehc_final_plan_20w"));
}

TEST(EhcDecision6w, MetAndMetLate) {
  auto r = MakeReferral();
  r.decision = "not_assess";
  r.decision_date = D("2025-02-20");
  EXPECT_EQ(Clock(WithReferral(r), "2025-04-01", "ehc_decision_6w")->state, "met");
  r.decision_date = D("2025-03-05");
  auto late = Clock(WithReferral(r), "2025-04-01", "ehc_decision_6w");
  EXPECT_EQ(late->state, "met_late");
  EXPECT_NE(late->detail.find("7 day(s) after the deadline"), std::string::npos);
  EXPECT_FALSE(Clock(WithReferral(r), "2025-04-01", "ehc_final_plan_20w"));
}

TEST(EhcNoPlan16w, DecisionNotToIssue) {
  auto r = Assessing();
  auto pr = WithReferral(r);
  auto running = Clock(pr, "2025-04-01", "ehc_no_plan_16w");
  ASSERT_TRUE(running);
  EXPECT_EQ(running->due, D("2025-05-07"));
  EXPECT_EQ(running->state, "upcoming");
  EXPECT_EQ(Clock(pr, "2025-05-08", "ehc_no_plan_16w")->state, "overdue");

  r.no_plan_date = D("2025-05-01");
  r.assessment_outcome = "N";
  EXPECT_EQ(Clock(WithReferral(r), "2025-06-01", "ehc_no_plan_16w")->state, "met");
  EXPECT_FALSE(Clock(WithReferral(r), "2025-06-01", "ehc_final_plan_20w"));
  r.no_plan_date = D("2025-05-20");
  EXPECT_EQ(Clock(WithReferral(r), "2025-06-01", "ehc_no_plan_16w")->state, "met_late");
}

TEST(EhcNoPlan16w, DoesNotApplyOnceAPlanIsBeingIssued) {
  auto r = Assessing();
  r.draft_plan_date = D("2025-05-12");
  EXPECT_FALSE(Clock(WithReferral(r), "2025-05-13", "ehc_no_plan_16w"));
  // … but as of a date before the draft, it was still running.
  EXPECT_TRUE(Clock(WithReferral(r), "2025-05-01", "ehc_no_plan_16w"));
}

TEST(EhcFinalPlan20w, OnTimeLateAndOverdue) {
  auto r = Assessing();
  auto running = Clock(WithReferral(r), "2025-06-10", "ehc_final_plan_20w");
  ASSERT_TRUE(running);
  EXPECT_EQ(running->due, D("2025-06-04"));
  EXPECT_EQ(running->state, "overdue");
  r.draft_plan_date = D("2025-05-01");
  r.final_plan_date = D("2025-06-01");
  EXPECT_EQ(Clock(WithReferral(r), "2025-06-10", "ehc_final_plan_20w")->state, "met");
  r.final_plan_date = D("2025-06-20");
  auto late = Clock(WithReferral(r), "2025-07-01", "ehc_final_plan_20w");
  EXPECT_EQ(late->state, "met_late");
  EXPECT_EQ(late->done, D("2025-06-20"));
}

TEST(DraftComments15d, TheFamilyHasFifteenDays) {
  auto r = Assessing();
  r.draft_plan_date = D("2025-05-01");
  auto open = Clock(WithReferral(r), "2025-05-05", "draft_comments_15d");
  ASSERT_TRUE(open);
  EXPECT_EQ(open->due, D("2025-05-16"));
  EXPECT_EQ(open->state, "due");
  EXPECT_EQ(open->owner, "family");
  EXPECT_EQ(Clock(WithReferral(r), "2025-05-20", "draft_comments_15d")->state, "met");
  r.final_plan_date = D("2025-05-20");
  EXPECT_EQ(Clock(WithReferral(r), "2025-05-25", "draft_comments_15d")->state, "met");
}

TEST(DraftComments15d, AFinalPlanInsideThePeriodIsABreach) {
  auto r = Assessing();
  r.draft_plan_date = D("2025-05-01");
  r.final_plan_date = D("2025-05-10");
  auto i = Clock(WithReferral(r), "2025-05-25", "draft_comments_15d");
  ASSERT_TRUE(i);
  EXPECT_EQ(i->state, "breached");
  EXPECT_EQ(i->done, D("2025-05-10"));
  EXPECT_NE(i->detail.find("9 day(s) after the draft"), std::string::npos) << i->detail;
}

TEST(ClockExceptions, SchoolClosurePausesTheClockForTheRegulationsWindow) {
  auto r = MakeReferral();
  r.request_date = D("2025-06-10");
  r.received_date = D("2025-06-16");
  // Closed 22 July, reopens 3 September: the window runs a week earlier, 15 July – 27 August.
  r.clock_exceptions = {{"school_closure", D("2025-07-22"), D("2025-09-03")}};
  auto pr = WithReferral(r);
  auto during = Clock(pr, "2025-08-01", "ehc_decision_6w");
  ASSERT_TRUE(during);
  EXPECT_EQ(during->state, "suspended");
  EXPECT_EQ(during->due, D("2025-09-09"));  // 29 days before the window + 13 after it
  EXPECT_NE(during->detail.find("paused 43 day(s): school_closure"), std::string::npos)
      << during->detail;
  EXPECT_EQ(Clock(pr, "2025-09-05", "ehc_decision_6w")->state, "due");
  EXPECT_EQ(Clock(pr, "2025-09-15", "ehc_decision_6w")->state, "overdue");
  pr.referrals[0].decision = "assess";
  pr.referrals[0].decision_date = D("2025-09-08");
  EXPECT_EQ(Clock(pr, "2025-09-15", "ehc_decision_6w")->state, "met");
}

TEST(ClockExceptions, AClosureShorterThanFourWeeksDoesNotQualify) {
  auto r = MakeReferral();
  r.clock_exceptions = {{"school_closure", D("2025-02-10"), D("2025-02-24")}};
  auto i = Clock(WithReferral(r), "2025-02-20", "ehc_decision_6w");
  EXPECT_EQ(i->due, D("2025-02-26"));
  EXPECT_EQ(i->state, "due");
}

TEST(ClockExceptions, AnOpenAbsenceKeepsTheClockSuspended) {
  auto r = MakeReferral();  // received 2025-01-15
  r.clock_exceptions = {{"away_from_area", D("2025-02-01"), std::nullopt}};
  auto i = Clock(WithReferral(r), "2025-02-20", "ehc_decision_6w");
  ASSERT_TRUE(i);
  EXPECT_EQ(i->state, "suspended");
  // 17 days ran before the absence; 25 remain from the day after as_of.
  EXPECT_EQ(i->due, D("2025-03-18"));
  EXPECT_NE(i->detail.find("no end recorded"), std::string::npos) << i->detail;
}

TEST(ClockExceptions, AnExceptionAfterTheStepWasDoneChangesNothing) {
  auto r = MakeReferral();
  r.decision = "not_assess";
  r.decision_date = D("2025-02-03");
  r.clock_exceptions = {{"away_from_area", D("2025-02-10"), D("2025-03-20")}};
  auto i = Clock(WithReferral(r), "2025-04-01", "ehc_decision_6w");
  EXPECT_EQ(i->due, D("2025-02-26"));
  EXPECT_EQ(i->state, "met");
  EXPECT_TRUE(i->detail.empty()) << i->detail;
}

TEST(ClockExceptions, ExceptionalCircumstancesExcuseAMissedLimit) {
  auto r = MakeReferral();
  r.clock_exceptions = {{"exceptional_personal_circumstances", D("2025-02-10"), std::nullopt}};
  auto overdue = Clock(WithReferral(r), "2025-03-10", "ehc_decision_6w");
  EXPECT_EQ(overdue->state, "excused");
  EXPECT_NE(overdue->detail.find("limit excused: exceptional_personal_circumstances"),
            std::string::npos);
  r.decision = "assess";
  r.decision_date = D("2025-03-05");
  auto late = Clock(WithReferral(r), "2025-03-10", "ehc_decision_6w");
  EXPECT_EQ(late->state, "excused");
  EXPECT_EQ(late->done, D("2025-03-05"));
  r.decision_date = D("2025-02-20");
  EXPECT_EQ(Clock(WithReferral(r), "2025-03-10", "ehc_decision_6w")->state, "met");
}

TEST(ClockExceptions, CircumstancesArisingAfterTheDeadlineExcuseNothing) {
  auto r = MakeReferral();
  r.clock_exceptions = {{"exceptional_personal_circumstances", D("2025-03-01"), std::nullopt}};
  EXPECT_EQ(Clock(WithReferral(r), "2025-03-10", "ehc_decision_6w")->state, "overdue");
}

TEST(ClockExceptions, ThePauseAppliesToTheTwentyWeekClockToo) {
  auto r = Assessing();  // received 2025-01-15; 20 weeks → 2025-06-04
  r.clock_exceptions = {{"away_from_area", D("2025-03-01"), D("2025-04-05")}};  // 35 days
  auto i = Clock(WithReferral(r), "2025-05-01", "ehc_final_plan_20w");
  EXPECT_EQ(i->due, D("2025-07-09"));
}

TEST(EhcTimeline, WithdrawnRequestsKeepOnlyWhatHappened) {
  auto r = MakeReferral();
  r.status = "withdrawn";
  r.request_outcome = "W";
  EXPECT_TRUE(ReferralClocks(WithReferral(r), "2025-04-01").empty());
  r.decision = "assess";
  r.decision_date = D("2025-02-20");
  auto items = ReferralClocks(WithReferral(r), "2025-04-01");
  ASSERT_EQ(items.size(), 1u) << Describe(items);
  EXPECT_EQ(items[0].clock, "ehc_decision_6w");
  EXPECT_EQ(items[0].state, "met");
}

TEST(EhcTimeline, NothingRunsBeforeTheRequestIsReceived) {
  auto r = MakeReferral();
  EXPECT_TRUE(ReferralClocks(WithReferral(r), "2025-01-14").empty());
  r.received_date.reset();
  r.status = "draft";
  EXPECT_TRUE(ReferralClocks(WithReferral(r), "2025-06-01").empty());
}

// Professionals' advice within 6 weeks of being asked (reference section 6 [S]). The records hold
// no date for when the LA asked for advice; it asks once it decides to assess, so the decision date
// (2025-02-20) stands in: due 2025-04-03.
TEST(EhcAdvice6w, DueSixWeeksAfterTheDecisionToAssess) {
  auto pr = WithReferral(Assessing());
  auto i = Clock(pr, "2025-03-01", "ehc_advice_6w");
  ASSERT_TRUE(i);
  EXPECT_EQ(i->due, D("2025-04-03"));
  EXPECT_EQ(i->state, "upcoming");
  EXPECT_EQ(i->owner, "la");
  EXPECT_NE(i->detail.find("no date is recorded for when advice was asked for"), std::string::npos)
      << i->detail;
  i = Clock(pr, "2025-04-03", "ehc_advice_6w");
  EXPECT_EQ(i->state, "due");
  i = Clock(pr, "2025-04-04", "ehc_advice_6w");
  EXPECT_EQ(i->state, "overdue");
  EXPECT_NE(i->detail.find("no advice dated on or after the decision"), std::string::npos);
}

TEST(EhcAdvice6w, MetByProfessionalsAdviceOnOrBeforeTheDay) {
  auto r = Assessing();
  r.external_advice.push_back({"specialist", std::string("EP"), D("2025-03-25"), {}, {}});
  r.external_advice.push_back({"health", std::string("SALT"), D("2025-04-03"), {}, {}});
  auto i = Clock(WithReferral(r), "2025-04-10", "ehc_advice_6w");
  ASSERT_TRUE(i);
  EXPECT_EQ(i->state, "met");
  EXPECT_EQ(i->done, D("2025-04-03"));
  EXPECT_NE(i->detail.find("2 piece(s) of advice"), std::string::npos) << i->detail;
  r.external_advice[1].date = D("2025-04-04");
  i = Clock(WithReferral(r), "2025-04-10", "ehc_advice_6w");
  EXPECT_EQ(i->state, "met_late");
  // Advice given after the as-of date has not happened yet.
  i = Clock(WithReferral(r), "2025-04-03", "ehc_advice_6w");
  EXPECT_EQ(i->done, D("2025-03-25"));
}

TEST(EhcAdvice6w, OnlyProfessionalsAdviceSinceTheDecisionCounts) {
  auto r = Assessing();
  r.external_advice.push_back({"specialist", std::string("EP"), D("2025-02-19"), {}, {}});
  r.external_advice.push_back({"parent", std::nullopt, D("2025-03-01"), std::string("views"), {}});
  r.external_advice.push_back({"health", std::nullopt, std::nullopt, {}, {}});
  auto i = Clock(WithReferral(r), "2025-04-10", "ehc_advice_6w");
  ASSERT_TRUE(i);
  EXPECT_EQ(i->state, "overdue") << i->detail;
}

TEST(EhcAdvice6w, NotShownWithoutADecisionToAssess) {
  EXPECT_FALSE(Clock(WithReferral(MakeReferral()), "2025-02-10", "ehc_advice_6w"));
  auto r = MakeReferral();
  r.decision = "not_assess";
  r.decision_date = D("2025-02-20");
  r.request_outcome = "N";
  EXPECT_FALSE(Clock(WithReferral(r), "2025-04-10", "ehc_advice_6w"));
}

TEST(EhcAdvice6w, NotShownOnceThePlanIsOutWithNoAdviceRecorded) {
  auto r = Assessing();
  r.final_plan_date = D("2025-05-30");
  EXPECT_TRUE(Clock(WithReferral(r), "2025-05-29", "ehc_advice_6w"));
  EXPECT_FALSE(Clock(WithReferral(r), "2025-06-01", "ehc_advice_6w"));
}

// Re-assessment (reference section 6 [V]): a request received while an EHC plan is in force; the
// final plan is due 14 weeks after the decision to re-assess (2025-02-20 + 98 days = 2025-05-29).
TEST(Reassessment14w, DueFourteenWeeksAfterTheDecisionToReassess) {
  auto pr = WithReferral(Assessing());
  pr.sen = MakeSen("E");
  pr.plans = {MakePlan("EHC1", "2024-03-01")};
  auto i = Clock(pr, "2025-05-01", "reassessment_14w");
  ASSERT_TRUE(i);
  EXPECT_EQ(i->due, D("2025-05-29"));
  EXPECT_EQ(i->state, "upcoming");
  EXPECT_NE(i->detail.find("plan EHC1"), std::string::npos) << i->detail;
  EXPECT_EQ(Clock(pr, "2025-05-30", "reassessment_14w")->state, "overdue");
  pr.referrals[0].final_plan_date = D("2025-05-29");
  EXPECT_EQ(Clock(pr, "2025-06-10", "reassessment_14w")->state, "met");
  pr.referrals[0].final_plan_date = D("2025-05-30");
  EXPECT_EQ(Clock(pr, "2025-06-10", "reassessment_14w")->state, "met_late");
}

TEST(Reassessment14w, OnlyWhileAPlanIsInForce) {
  auto pr = WithReferral(Assessing());
  EXPECT_FALSE(Clock(pr, "2025-05-01", "reassessment_14w"));  // no plan: a first assessment
  pr.plans = {MakePlan("EHC1", "2024-03-01")};
  pr.plans[0].ceased = D("2025-01-14");  // ceased the day before the request was received
  EXPECT_FALSE(Clock(pr, "2025-05-01", "reassessment_14w"));
  pr.plans[0].ceased = D("2025-01-15");
  EXPECT_TRUE(Clock(pr, "2025-05-01", "reassessment_14w"));
  // The plan this request led to is not a plan in force when it was made.
  pr.plans = {MakePlan("EHC2", "2025-01-01")};
  pr.plans[0].referral_id = "F1";
  EXPECT_FALSE(Clock(pr, "2025-05-01", "reassessment_14w"));
}

// The statutory exceptions pause the advice and re-assessment clocks as they pause the 20 weeks
// (issue 17). Closed 3 March to 14 April: the window is 24 February to 7 April (a week earlier).
TEST(EhcAdvice6w, ASchoolClosurePausesIt) {
  auto r = Assessing();  // decided 2025-02-20: due 2025-04-03 without the closure
  r.clock_exceptions = {{"school_closure", D("2025-03-03"), D("2025-04-14")}};
  auto during = Clock(WithReferral(r), "2025-03-10", "ehc_advice_6w");
  ASSERT_TRUE(during);
  EXPECT_EQ(during->state, "suspended");
  EXPECT_EQ(during->due, D("2025-05-15"));  // 4 days before the window + 38 after it
  EXPECT_NE(during->detail.find("paused 42 day(s): school_closure"), std::string::npos)
      << during->detail;
  EXPECT_EQ(Clock(WithReferral(r), "2025-05-15", "ehc_advice_6w")->state, "due");
  EXPECT_EQ(Clock(WithReferral(r), "2025-05-16", "ehc_advice_6w")->state, "overdue");
}

TEST(EhcAdvice6w, ExceptionalCircumstancesExcuseAMissedLimit) {
  auto r = Assessing();
  r.clock_exceptions = {{"exceptional_personal_circumstances", D("2025-03-20"), D("2025-04-20")}};
  auto i = Clock(WithReferral(r), "2025-04-10", "ehc_advice_6w");
  ASSERT_TRUE(i);
  EXPECT_EQ(i->state, "excused") << i->detail;
}

TEST(Reassessment14w, ASchoolClosurePausesIt) {
  auto pr = WithReferral(Assessing());
  pr.sen = MakeSen("E");
  pr.plans = {MakePlan("EHC1", "2024-03-01")};
  pr.referrals[0].clock_exceptions = {{"school_closure", D("2025-03-03"), D("2025-04-14")}};
  auto i = Clock(pr, "2025-05-01", "reassessment_14w");
  ASSERT_TRUE(i);
  EXPECT_EQ(i->due, D("2025-07-10"));  // 2025-05-29 without it, moved by the 42-day window
  EXPECT_EQ(i->state, "upcoming");
  EXPECT_NE(i->detail.find("paused 42 day(s)"), std::string::npos) << i->detail;
}
