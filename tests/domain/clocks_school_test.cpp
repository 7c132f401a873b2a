// School clocks: SEN support reviews and meetings with parents, as of any date.
#include <gtest/gtest.h>

#include "tests/domain/fixtures.h"

using namespace sendsync;
using namespace sendsync::domain;
using namespace sendsync::domain::testing;

namespace {

PupilRecords WithCycle(records::Cycle c) {
  PupilRecords pr;
  pr.pupil = MakePupil();
  pr.sen = MakeSen("K");
  pr.cycles = {std::move(c)};
  return pr;
}

DueItem CycleClock(const PupilRecords& pr, const char* as_of) {
  auto items = ClocksNamed(Clocks(pr, D(as_of)), "review_overdue");
  for (const DueItem& i : items)
    if (i.record_kind == "cycle") return i;
  ADD_FAILURE() << "no cycle review clock\n" << Describe(items);
  return {};
}

}  // namespace

TEST(ReviewClock, StatesByDateWithNoReview) {
  auto pr = WithCycle(MakeCycle("C1", "2024-09-09", "2024-12-09"));
  struct Case {
    const char* as_of;
    const char* state;
  };
  for (const Case& c : {Case{"2024-11-01", "upcoming"}, Case{"2024-11-25", "due"},
                        Case{"2024-12-09", "due"}, Case{"2024-12-20", "overdue"}}) {
    DueItem i = CycleClock(pr, c.as_of);
    EXPECT_EQ(i.state, c.state) << c.as_of << " " << i.detail;
    EXPECT_EQ(i.due, D("2024-12-09"));
    EXPECT_EQ(i.owner, "school");
    EXPECT_EQ(i.record_id, "C1");
  }
  EXPECT_NE(CycleClock(pr, "2024-12-20").detail.find("11 day(s) overdue"), std::string::npos);
}

TEST(ReviewClock, MetOnTimeAndMetLate) {
  auto pr = WithCycle(MakeCycle("C1", "2024-09-09", "2024-12-09"));
  pr.reviews = {MakeReview("R1", "C1", "2024-12-05")};
  DueItem on_time = CycleClock(pr, "2025-01-10");
  EXPECT_EQ(on_time.state, "met");
  EXPECT_EQ(on_time.done, D("2024-12-05"));
  pr.reviews = {MakeReview("R1", "C1", "2024-12-16")};
  DueItem late = CycleClock(pr, "2025-01-10");
  EXPECT_EQ(late.state, "met_late");
  EXPECT_NE(late.detail.find("7 day(s) after the deadline"), std::string::npos) << late.detail;
}

TEST(ReviewClock, AReviewAfterAsOfHasNotHappenedYet) {
  auto pr = WithCycle(MakeCycle("C1", "2024-09-09", "2024-12-09"));
  pr.reviews = {MakeReview("R1", "C1", "2024-12-16")};
  EXPECT_EQ(CycleClock(pr, "2024-12-10").state, "overdue");
}

TEST(ReviewClock, WithoutAReviewDateSenSupportIsTermly) {
  auto c = MakeCycle("C1", "2024-09-09", "2024-12-09");
  c.review_date.reset();
  DueItem i = CycleClock(WithCycle(c), "2024-10-01");
  EXPECT_EQ(i.due, D("2024-12-09"));  // 91 days
  EXPECT_NE(i.detail.find("at least termly"), std::string::npos) << i.detail;
}

TEST(ReviewClock, WithoutAReviewDateTheStagesPeriodApplies) {
  auto c = MakeCycle("C1", "2024-09-09", "2024-12-09");
  c.review_date.reset();
  c.stage_model = "six-stage-school";
  c.stage = "cause_for_concern";
  DueItem i = CycleClock(WithCycle(c), "2024-10-01");
  EXPECT_EQ(i.due, D("2024-10-21"));  // 6 weeks
  EXPECT_NE(i.detail.find("Cause for concern"), std::string::npos) << i.detail;
}

TEST(ReviewClock, CancelledCyclesHaveNoClock) {
  auto c = MakeCycle();
  c.status = "cancelled";
  auto items = ClocksNamed(Clocks(WithCycle(c), D("2025-01-01")), "review_overdue");
  for (const DueItem& i : items) EXPECT_NE(i.record_kind, "cycle") << Describe(items);
}

TEST(ReviewClock, CompletedCycleWithoutReviewUsesItsCompletionDate) {
  auto c = MakeCycle("C1", "2024-09-09", "2024-12-09");
  c.status = "completed";
  c.completed = D("2024-12-06");
  DueItem i = CycleClock(WithCycle(c), "2025-01-10");
  EXPECT_EQ(i.state, "met");
  EXPECT_NE(i.detail.find("no review record is linked"), std::string::npos);
}

TEST(ReviewClock, SenSupportWithNoOpenPlanIsReviewedTermly) {
  PupilRecords pr;
  pr.pupil = MakePupil();
  pr.sen = MakeSen("K");
  auto r = MakeReview("R1", "C0", "2024-03-01");
  pr.reviews = {r};
  auto items = ClocksNamed(Clocks(pr, D("2024-06-10")), "review_overdue");
  ASSERT_EQ(items.size(), 1u) << Describe(items);
  EXPECT_EQ(items[0].record_kind, "sen");
  EXPECT_EQ(items[0].due, D("2024-05-31"));
  EXPECT_EQ(items[0].state, "overdue");
  pr.sen = MakeSen("N");
  EXPECT_TRUE(ClocksNamed(Clocks(pr, D("2024-06-10")), "review_overdue").empty());
}

// ---- Meetings with parents ----

namespace {

PupilRecords WithMeetings(std::vector<const char*> dates, std::string provision = "K") {
  PupilRecords pr;
  pr.pupil = MakePupil();
  pr.sen = MakeSen(std::move(provision));
  int n = 0;
  for (const char* d : dates) {
    auto r = MakeReview("M" + std::to_string(++n), "C1", d);
    pr.reviews.push_back(r);
  }
  return pr;
}

DueItem Meetings(const PupilRecords& pr, const char* as_of) {
  auto items = ClocksNamed(Clocks(pr, D(as_of)), "parent_meetings");
  if (items.size() != 1) {
    ADD_FAILURE() << as_of << "\n" << Describe(items);
    return {};
  }
  return items[0];
}

}  // namespace

TEST(ParentMeetings, ThreeInTheSchoolYearIsMet) {
  auto pr = WithMeetings({"2024-10-10", "2025-02-05", "2025-06-20"});
  DueItem i = Meetings(pr, "2025-07-01");
  EXPECT_EQ(i.state, "met");
  EXPECT_EQ(i.done, D("2025-06-20"));
  EXPECT_NE(i.detail.find("3 of 3 termly meetings with parents held in school year 2024/25"),
            std::string::npos)
      << i.detail;
}

TEST(ParentMeetings, OnePerTermIsExpected) {
  auto none = WithMeetings({});
  DueItem autumn = Meetings(none, "2024-11-01");
  EXPECT_EQ(autumn.state, "upcoming");
  EXPECT_EQ(autumn.due, D("2024-12-31"));
  DueItem missed = Meetings(none, "2025-01-05");
  EXPECT_EQ(missed.state, "overdue");
  EXPECT_NE(missed.detail.find("0 of 3"), std::string::npos);

  auto one = WithMeetings({"2024-10-10"});
  DueItem spring = Meetings(one, "2025-04-20");
  EXPECT_EQ(spring.state, "due");
  EXPECT_EQ(spring.due, D("2025-04-30"));
  EXPECT_EQ(Meetings(one, "2025-05-02").state, "overdue");
}

TEST(ParentMeetings, OnlyMeetingsWithParentsInThisSchoolYearCount) {
  auto pr = WithMeetings({"2024-06-10", "2024-07-10", "2024-10-10"});
  pr.reviews[2].parents_met = false;
  DueItem i = Meetings(pr, "2024-11-01");
  EXPECT_NE(i.detail.find("0 of 3"), std::string::npos) << i.detail;
}

TEST(ParentMeetings, ExpectationStartsWhenSenSupportStarts) {
  auto pr = WithMeetings({});
  pr.sen->provision_start = D("2025-01-10");
  DueItem i = Meetings(pr, "2025-03-01");
  EXPECT_EQ(i.due, D("2025-04-30"));
  EXPECT_NE(i.detail.find("0 of 2"), std::string::npos) << i.detail;
}

// "At least three times a year" is read as once a term: three meetings in one term are one.
TEST(ParentMeetings, ThreeMeetingsInOneTermCountOnce) {
  auto pr = WithMeetings({"2024-09-20", "2024-10-10", "2024-11-15"});
  DueItem i = Meetings(pr, "2025-05-10");
  EXPECT_EQ(i.state, "overdue");
  EXPECT_EQ(i.due, D("2025-04-30"));
  EXPECT_NE(i.detail.find("1 of 3 termly meetings"), std::string::npos) << i.detail;
  EXPECT_NE(i.detail.find("no meeting with parents in the term 2025-01-01 to 2025-04-30"),
            std::string::npos)
      << i.detail;
}

// Each term without a meeting is named, even when a later term had one.
TEST(ParentMeetings, EachMissedTermIsFlagged) {
  auto pr = WithMeetings({"2025-06-20"});
  DueItem i = Meetings(pr, "2025-07-01");
  EXPECT_EQ(i.state, "overdue");
  EXPECT_EQ(i.due, D("2024-12-31"));
  EXPECT_NE(i.detail.find("term 2024-09-01 to 2024-12-31"), std::string::npos) << i.detail;
  EXPECT_NE(i.detail.find("term 2025-01-01 to 2025-04-30"), std::string::npos) << i.detail;
  EXPECT_NE(i.detail.find("1 of 3"), std::string::npos) << i.detail;
}

// A mid-year move from SEN support to an EHC plan does not restart the school year's count.
TEST(ParentMeetings, CountedAcrossAMidYearChangeFromKToE) {
  auto pr = WithMeetings({"2024-10-10", "2025-02-05"}, "E");
  pr.sen->provision_start = D("2025-03-03");
  pr.sen->history = {{"K", D("2023-09-04"), D("2025-03-02")}, {"E", D("2025-03-03"), std::nullopt}};
  DueItem i = Meetings(pr, "2025-05-10");
  EXPECT_NE(i.detail.find("2 of 3 termly meetings"), std::string::npos) << i.detail;
  EXPECT_EQ(i.due, D("2025-07-31"));
  EXPECT_EQ(i.state, "upcoming");
  // Without the summer meeting the summer term is flagged after it ends.
  DueItem late = Meetings(pr, "2025-08-05");
  EXPECT_EQ(late.state, "overdue");
  EXPECT_NE(late.detail.find("term 2025-05-01 to 2025-07-31"), std::string::npos) << late.detail;
}

TEST(ParentMeetings, AppliesToEButNotN) {
  EXPECT_EQ(ClocksNamed(Clocks(WithMeetings({}, "E"), D("2024-11-01")), "parent_meetings").size(),
            1u);
  EXPECT_TRUE(
      ClocksNamed(Clocks(WithMeetings({}, "N"), D("2024-11-01")), "parent_meetings").empty());
}

TEST(SchoolYear, StartsOnTheFirstOfSeptember) {
  EXPECT_EQ(SchoolYearStart(D("2025-08-31")), D("2024-09-01"));
  EXPECT_EQ(SchoolYearStart(D("2025-09-01")), D("2025-09-01"));
  EXPECT_EQ(SchoolYearStart(D("2026-01-15")), D("2025-09-01"));
}

// The six-stage school model's rhythm (seed 004), as data in six_stage_school.json: stage 2's
// six-weekly review in school and review with parents after a term, stage 3's half-termly progress
// review and termly parent meeting, stage 4's termly target meeting and half-termly progress
// meeting; the school-wide reviews in October, February and July and the July transition meeting;
// and a review that escalates or steps down prompting the next stage.
namespace {

records::Cycle AtStage(std::string id, const char* stage, const char* start) {
  records::Cycle c = MakeCycle(std::move(id), start, start);
  c.review_date.reset();
  c.stage_model = "six-stage-school";
  c.stage = stage;
  return c;
}

records::Review InSchool(std::string id, std::string cycle, const char* date) {
  records::Review r = MakeReview(std::move(id), std::move(cycle), date);
  r.parents_met = false;
  return r;
}

std::vector<DueItem> Named(const PupilRecords& pr, const char* as_of, const char* clock) {
  return ClocksNamed(Clocks(pr, D(as_of)), clock);
}

}  // namespace

TEST(SixStageRhythm, Stage2IsReviewedInSchoolEverySixWeeks) {
  auto pr = WithCycle(AtStage("C1", "initial_concern", "2025-01-06"));
  auto items = Named(pr, "2025-03-01", "stage_in_school_review_6w");
  ASSERT_EQ(items.size(), 2u) << Describe(items);
  EXPECT_EQ(items[0].due, D("2025-02-17"));
  EXPECT_EQ(items[0].state, "overdue");
  EXPECT_EQ(items[0].owner, "school");
  EXPECT_EQ(items[0].record_id, "C1");
  EXPECT_NE(items[0].detail.find("no review recorded from 2025-01-06 to 2025-02-17"),
            std::string::npos)
      << items[0].detail;
  EXPECT_EQ(items[1].due, D("2025-03-31"));
  EXPECT_EQ(items[1].state, "upcoming");
  pr.reviews = {InSchool("R1", "C1", "2025-02-17")};
  items = Named(pr, "2025-03-01", "stage_in_school_review_6w");
  EXPECT_EQ(items[0].state, "met");
}

TEST(SixStageRhythm, TwoReviewsInOneSixWeekPeriodDoNotCoverTheNext) {
  auto pr = WithCycle(AtStage("C1", "initial_concern", "2025-01-06"));
  pr.reviews = {InSchool("R1", "C1", "2025-01-20"), InSchool("R2", "C1", "2025-02-10")};
  auto items = Named(pr, "2025-04-05", "stage_in_school_review_6w");
  ASSERT_EQ(items.size(), 3u) << Describe(items);
  EXPECT_EQ(items[0].state, "met");
  EXPECT_EQ(items[1].due, D("2025-03-31"));
  EXPECT_EQ(items[1].state, "overdue");
  EXPECT_EQ(items[2].due, D("2025-05-12"));
  EXPECT_EQ(items[2].state, "upcoming");
}

TEST(SixStageRhythm, Stage2ReviewWithParentsOnceAfterATerm) {
  auto pr = WithCycle(AtStage("C1", "initial_concern", "2025-01-06"));
  auto items = Named(pr, "2025-06-01", "stage_parent_review_after_term");
  ASSERT_EQ(items.size(), 1u) << Describe(items);
  EXPECT_EQ(items[0].due, D("2025-04-07"));  // 91 days: a term taken as 13 weeks
  EXPECT_EQ(items[0].state, "overdue");
  pr.reviews = {InSchool("R1", "C1", "2025-03-20")};  // no parents: does not count
  EXPECT_EQ(Named(pr, "2025-06-01", "stage_parent_review_after_term")[0].state, "overdue");
  pr.reviews[0].parents_met = true;
  EXPECT_EQ(Named(pr, "2025-06-01", "stage_parent_review_after_term")[0].state, "met");
}

TEST(SixStageRhythm, Stage3HalfTermlyProgressReviewAndTermlyParentMeeting) {
  auto pr = WithCycle(AtStage("C1", "sen_support", "2025-01-06"));
  auto progress = Named(pr, "2025-02-01", "stage_progress_review_half_termly");
  ASSERT_EQ(progress.size(), 1u) << Describe(progress);
  EXPECT_EQ(progress[0].due, D("2025-02-20"));
  auto parents = Named(pr, "2025-02-01", "stage_parent_meeting_termly");
  ASSERT_EQ(parents.size(), 1u);
  EXPECT_EQ(parents[0].due, D("2025-04-07"));
  EXPECT_TRUE(Named(pr, "2025-02-01", "stage_in_school_review_6w").empty());
}

TEST(SixStageRhythm, Stage4TermlyTargetMeetingAndHalfTermlyProgressMeeting) {
  auto pr = WithCycle(AtStage("C1", "sen_support_external", "2025-01-06"));
  auto target = Named(pr, "2025-02-01", "stage_target_meeting_termly");
  ASSERT_EQ(target.size(), 1u);
  EXPECT_EQ(target[0].due, D("2025-04-07"));
  auto progress = Named(pr, "2025-02-01", "stage_progress_meeting_half_termly");
  ASSERT_EQ(progress.size(), 1u);
  EXPECT_EQ(progress[0].due, D("2025-02-20"));
}

TEST(SixStageRhythm, ACycleCompletedByTheDateIsHistoryAndOwesNothingMore) {
  auto c = AtStage("C1", "initial_concern", "2025-01-06");
  c.status = "completed";
  c.completed = D("2025-02-28");
  auto pr = WithCycle(c);
  EXPECT_TRUE(Named(pr, "2025-06-01", "stage_in_school_review_6w").empty());
  EXPECT_TRUE(Named(pr, "2025-06-01", "stage_parent_review_after_term").empty());
  // Before it was completed it ran like an open cycle.
  auto items = Named(pr, "2025-02-20", "stage_in_school_review_6w");
  ASSERT_EQ(items.size(), 2u) << Describe(items);
  EXPECT_EQ(items[0].state, "overdue");
  EXPECT_EQ(items[1].due, D("2025-03-31"));
}

TEST(SixStageRhythm, CyclesOutsideTheModelHaveNoRhythm) {
  auto pr = WithCycle(MakeCycle("C1", "2025-01-06", "2025-03-31"));
  for (const DueItem& i : Clocks(pr, D("2025-07-31")))
    EXPECT_TRUE(i.clock.rfind("stage_", 0) != 0 && i.clock.rfind("calendar_", 0) != 0) << i.clock;
}

TEST(SixStageCalendar, TargetsAndProvisionMapsReviewedInOctoberFebruaryAndJuly) {
  auto pr = WithCycle(AtStage("C1", "sen_support", "2024-09-09"));
  pr.reviews = {MakeReview("R1", "C1", "2024-10-15")};  // with parents
  auto items = Named(pr, "2025-03-15", "calendar_targets_provision_map_review");
  ASSERT_EQ(items.size(), 3u) << Describe(items);
  EXPECT_EQ(items[0].due, D("2024-10-31"));
  EXPECT_EQ(items[0].state, "met");
  EXPECT_EQ(items[1].due, D("2025-02-28"));
  EXPECT_EQ(items[1].state, "overdue");
  EXPECT_NE(items[1].detail.find("no meeting with parents recorded in that month"),
            std::string::npos)
      << items[1].detail;
  EXPECT_EQ(items[2].due, D("2025-07-31"));
  EXPECT_EQ(items[2].state, "upcoming");
  // A review in school without parents does not hold it.
  pr.reviews.push_back(InSchool("R2", "C1", "2025-02-10"));
  EXPECT_EQ(Named(pr, "2025-03-15", "calendar_targets_provision_map_review")[1].state, "overdue");
}

TEST(SixStageCalendar, OnlyFromTheStageTheMeetingAppliesTo) {
  // Joined SEN support in January: the October review is not owed.
  auto pr = WithCycle(AtStage("C1", "sen_support", "2025-01-06"));
  auto items = Named(pr, "2025-03-15", "calendar_targets_provision_map_review");
  ASSERT_EQ(items.size(), 2u) << Describe(items);
  EXPECT_EQ(items[0].due, D("2025-02-28"));
  // Stage 1 has no SEN targets to review, but everyone has the July transition meeting.
  pr = WithCycle(AtStage("C1", "cause_for_concern", "2025-01-06"));
  EXPECT_TRUE(Named(pr, "2025-03-15", "calendar_targets_provision_map_review").empty());
  auto july = Named(pr, "2025-03-15", "calendar_transition_target_meeting");
  ASSERT_EQ(july.size(), 1u);
  EXPECT_EQ(july[0].due, D("2025-07-31"));
  pr.reviews = {InSchool("R1", "C1", "2025-07-10")};
  EXPECT_EQ(Named(pr, "2025-07-20", "calendar_transition_target_meeting")[0].state, "met");
}

TEST(SixStageNext, AReviewThatEscalatesPromptsTheNextStage) {
  auto pr = WithCycle(AtStage("C1", "sen_support", "2024-09-09"));
  auto r = MakeReview("R1", "C1", "2024-12-09");
  r.decision = "escalate";
  pr.reviews = {r};
  auto items = Named(pr, "2025-01-10", "stage_next");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].title, "Start the next stage: SEN support with external agencies");
  EXPECT_EQ(items[0].due, D("2024-12-23"));
  EXPECT_EQ(items[0].state, "overdue");
  EXPECT_EQ(items[0].record_kind, "review");
  pr.cycles.push_back(AtStage("C2", "sen_support_external", "2024-12-16"));
  items = Named(pr, "2025-01-10", "stage_next");
  EXPECT_EQ(items[0].state, "met");
  EXPECT_EQ(items[0].done, D("2024-12-16"));
}

TEST(SixStageNext, AReviewThatStepsDownPromptsTheStageBefore) {
  auto pr = WithCycle(AtStage("C1", "sen_support", "2024-09-09"));
  auto r = MakeReview("R1", "C1", "2024-12-09");
  r.decision = "end_sen_support";
  pr.reviews = {r};
  auto items = Named(pr, "2024-12-10", "stage_next");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].title, "Start the next stage: Initial concern");
  EXPECT_NE(items[0].detail.find("step down to"), std::string::npos) << items[0].detail;
  pr.reviews[0].decision = "continue";
  EXPECT_TRUE(Named(pr, "2024-12-10", "stage_next").empty());
  pr.reviews[0].decision = "escalate";
  pr.cycles[0].stage = "ehc_plan";  // the last stage: nothing to escalate to
  EXPECT_TRUE(Named(pr, "2024-12-10", "stage_next").empty());
}

namespace {

// A pupil at stage 1 of the six-stage model with one intervention starting 2025-01-13.
PupilRecords WithIntervention() {
  auto pr = WithCycle(AtStage("C1", "cause_for_concern", "2025-01-06"));
  records::Provision p = MakeProvision("P1");
  p.start = D("2025-01-13");
  pr.provision = {p};
  return pr;
}

}  // namespace

TEST(SixStageLetter, AnInterventionWithoutALetterIsOverdueOnceStarted) {
  auto pr = WithIntervention();
  auto items = Named(pr, "2025-01-20", "intervention_letter");
  ASSERT_EQ(items.size(), 1u) << Describe(Clocks(pr, D("2025-01-20")));
  EXPECT_EQ(items[0].title, "Send the intervention letter to the parents");
  EXPECT_EQ(items[0].due, D("2025-01-13"));
  EXPECT_EQ(items[0].state, "overdue");
  EXPECT_EQ(items[0].owner, "school");
  EXPECT_EQ(items[0].record_kind, "provision");
  EXPECT_EQ(items[0].record_id, "P1");
  EXPECT_NE(items[0].detail.find("intervention \"Reading catch-up\" started 2025-01-13"),
            std::string::npos)
      << items[0].detail;
  EXPECT_NE(items[0].detail.find("no letter to the parents recorded"), std::string::npos)
      << items[0].detail;
}

TEST(SixStageLetter, DueOnTheStartDateItselfAndNothingBefore) {
  auto pr = WithIntervention();
  EXPECT_TRUE(Named(pr, "2025-01-12", "intervention_letter").empty())
      << "an intervention not yet started owes no letter";
  auto on_start = Named(pr, "2025-01-13", "intervention_letter");
  ASSERT_EQ(on_start.size(), 1u);
  EXPECT_EQ(on_start[0].state, "due");
  EXPECT_EQ(Named(pr, "2025-01-14", "intervention_letter")[0].state, "overdue");
}

TEST(SixStageLetter, MetByTheLetterOnRecord) {
  auto pr = WithIntervention();
  pr.provision[0].parents_letter = D("2025-01-10");  // sent before the start
  auto items = Named(pr, "2025-02-01", "intervention_letter");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].state, "met");
  EXPECT_EQ(items[0].done, D("2025-01-10"));
  pr.provision[0].parents_letter = D("2025-01-13");  // on the start: in time
  EXPECT_EQ(Named(pr, "2025-02-01", "intervention_letter")[0].state, "met");
  pr.provision[0].parents_letter = D("2025-01-20");
  EXPECT_EQ(Named(pr, "2025-02-01", "intervention_letter")[0].state, "met_late");
  // A letter dated after as_of has not been sent yet.
  EXPECT_EQ(Named(pr, "2025-01-15", "intervention_letter")[0].state, "overdue");
}

TEST(SixStageLetter, OnlyForRunningProvisionUnderAModelThatAsksForIt) {
  auto pr = WithIntervention();
  pr.provision[0].end = D("2025-03-28");
  EXPECT_EQ(Named(pr, "2025-03-28", "intervention_letter").size(), 1u) << "the end is inclusive";
  EXPECT_TRUE(Named(pr, "2025-03-29", "intervention_letter").empty())
      << "an ended provision is history";
  // The four-part cycle asks for no letter; nor does a pupil with no cycle of a model.
  pr = WithIntervention();
  pr.cycles[0].stage_model = "four-part-cycle";
  pr.cycles[0].stage = "assess";
  EXPECT_TRUE(Named(pr, "2025-01-20", "intervention_letter").empty());
  pr.cycles.clear();
  EXPECT_TRUE(Named(pr, "2025-01-20", "intervention_letter").empty());
}
