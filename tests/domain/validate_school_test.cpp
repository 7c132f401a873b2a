// Validation of cycles (SMART targets, dates, review rhythm), provision (codes, arithmetic inputs)
// and reviews.
#include <gtest/gtest.h>

#include <functional>

#include "tests/domain/fixtures.h"

using namespace sendsync;
using namespace sendsync::domain;
using namespace sendsync::domain::testing;

TEST(ValidateCycle, AWellFormedCycleHasNoIssues) {
  auto issues = Validate(MakeCycle());
  EXPECT_TRUE(issues.empty()) << Codes(issues);
}

TEST(ValidateCycle, SmartTargetsNeedCriteriaAndADate) {
  auto c = MakeCycle();
  c.outcomes[0].targets[0].success_criteria = "  ";
  c.outcomes[0].targets[0].due.reset();
  auto issues = Validate(c);
  ASSERT_TRUE(HasCode(issues, "TARGET_NO_CRITERIA")) << Codes(issues);
  ASSERT_TRUE(HasCode(issues, "TARGET_NO_DUE_DATE")) << Codes(issues);
  EXPECT_EQ(FindCode(issues, "TARGET_NO_CRITERIA")->path,
            "outcomes[0].targets[0].success_criteria");
  EXPECT_EQ(FindCode(issues, "TARGET_NO_DUE_DATE")->path, "outcomes[0].targets[0].due");
  EXPECT_FALSE(HasErrors(issues)) << "vague targets are shown, not quarantined";
}

TEST(ValidateCycle, Cases) {
  struct Case {
    const char* name;
    std::function<void(records::Cycle&)> edit;
    const char* code;
    Severity severity;
  };
  std::vector<Case> cases = {
      {"review before start", [](records::Cycle& c) { c.review_date = D("2024-09-01"); },
       "DATES_OUT_OF_ORDER", Severity::kError},
      {"completed before start",
       [](records::Cycle& c) {
         c.status = "completed";
         c.completed = D("2024-09-01");
       },
       "DATES_OUT_OF_ORDER", Severity::kError},
      {"completed without date", [](records::Cycle& c) { c.status = "completed"; },
       "CYCLE_COMPLETED_NO_DATE", Severity::kWarning},
      {"unknown status", [](records::Cycle& c) { c.status = "closed"; }, "CYCLE_STATUS_CODE",
       Severity::kError},
      {"open without review date", [](records::Cycle& c) { c.review_date.reset(); },
       "CYCLE_NO_REVIEW_DATE", Severity::kWarning},
      {"review after more than a term", [](records::Cycle& c) { c.review_date = D("2025-03-01"); },
       "CYCLE_REVIEW_BEYOND_TERM", Severity::kWarning},
      {"no outcomes", [](records::Cycle& c) { c.outcomes.clear(); }, "CYCLE_NO_OUTCOMES",
       Severity::kWarning},
      {"outcome ids twice", [](records::Cycle& c) { c.outcomes.push_back(c.outcomes[0]); },
       "OUTCOME_ID_DUPLICATE", Severity::kError},
      {"target ids twice",
       [](records::Cycle& c) { c.outcomes[0].targets.push_back(c.outcomes[0].targets[0]); },
       "TARGET_ID_DUPLICATE", Severity::kError},
      {"target before the cycle",
       [](records::Cycle& c) { c.outcomes[0].targets[0].due = D("2024-01-01"); },
       "DATES_OUT_OF_ORDER", Severity::kError},
      {"progress value", [](records::Cycle& c) { c.outcomes[0].targets[0].progress = "done"; },
       "TARGET_PROGRESS_CODE", Severity::kError},
      {"contributor role",
       [](records::Cycle& c) {
         c.assessment_sources.push_back({"psychic", {}, {}, {}, {}});
       },
       "CONTRIBUTION_ROLE_CODE", Severity::kError},
  };
  for (const Case& c : cases) {
    auto cycle = MakeCycle();
    c.edit(cycle);
    auto issues = Validate(cycle);
    const Issue* i = FindCode(issues, c.code);
    ASSERT_TRUE(i) << c.name << "\n" << Codes(issues);
    EXPECT_EQ(i->severity, c.severity) << c.name;
  }
}

TEST(ValidateCycle, TermLengthComesFromTheRules) {
  auto rules = Rules::Builtin();
  rules.sen_support_review_days = 200;
  auto c = MakeCycle();
  c.review_date = D("2025-03-01");
  EXPECT_FALSE(HasCode(Validate(c, CodeSets::Builtin(), rules), "CYCLE_REVIEW_BEYOND_TERM"));
}

TEST(CheckStage, NamesUnknownModelsAndStages) {
  auto c = MakeCycle();
  c.stage_model = "six-stage-school";
  c.stage = "sen_support";
  EXPECT_FALSE(CheckStage(c, StageModels::Builtin()));
  c.stage = "panic";
  auto issue = CheckStage(c, StageModels::Builtin());
  ASSERT_TRUE(issue);
  EXPECT_EQ(issue->code, "STAGE_UNKNOWN");
  EXPECT_EQ(issue->path, "stage");
  c.stage_model = "county-tiers";
  issue = CheckStage(c, StageModels::Builtin());
  ASSERT_TRUE(issue);
  EXPECT_EQ(issue->path, "stage_model");
  c.stage_model.reset();
  EXPECT_TRUE(CheckStage(c, StageModels::Builtin()));
}

// A cycle naming a stage model that does not exist is refused, not reviewed on a default interval.
TEST(ValidateCycle, UnknownStageModelIsAnError) {
  auto c = MakeCycle();
  c.stage_model = "four-part";  // the old docs' example; the model's id is four-part-cycle
  c.stage = "plan";
  auto issues = Validate(c, CodeSets::Builtin(), Rules::Builtin());
  const Issue* i = FindCode(issues, "STAGE_UNKNOWN");
  ASSERT_TRUE(i) << Codes(issues);
  EXPECT_EQ(i->severity, Severity::kError);
  EXPECT_TRUE(HasErrors(issues));
  c.stage_model = "four-part-cycle";
  EXPECT_FALSE(HasCode(Validate(c, CodeSets::Builtin(), Rules::Builtin()), "STAGE_UNKNOWN"));
}

// ---- Provision ----

TEST(ValidateProvision, AWellFormedRowHasNoIssues) {
  auto issues = Validate(MakeProvision());
  EXPECT_TRUE(issues.empty()) << Codes(issues);
}

TEST(ValidateProvision, Cases) {
  struct Case {
    const char* name;
    std::function<void(records::Provision&)> edit;
    const char* code;
    const char* path;
    Severity severity;
  };
  std::vector<Case> cases = {
      {"area", [](records::Provision& p) { p.area = "OTH"; }, "PROVISION_AREA_CODE", "area",
       Severity::kError},
      {"wave 4", [](records::Provision& p) { p.wave = 4; }, "PROVISION_WAVE_CODE", "wave",
       Severity::kError},
      {"wave 0", [](records::Provision& p) { p.wave = 0; }, "PROVISION_WAVE_CODE", "wave",
       Severity::kError},
      {"group 0", [](records::Provision& p) { p.group_size = 0; }, "PROVISION_GROUP_SIZE",
       "group_size", Severity::kError},
      {"delivery", [](records::Provision& p) { p.delivery = "online"; }, "PROVISION_DELIVERY_CODE",
       "delivery", Severity::kError},
      {"negative rate", [](records::Provision& p) { p.hourly_rate = -5; }, "PROVISION_NEGATIVE",
       "hourly_rate", Severity::kError},
      {"negative minutes", [](records::Provision& p) { p.minutes_per_session = -30; },
       "PROVISION_NEGATIVE", "minutes_per_session", Severity::kError},
      {"no time",
       [](records::Provision& p) {
         p.sessions_per_week = 0;
         p.resources_cost = 0;
       },
       "PROVISION_NOT_QUANTIFIED", "sessions_per_week", Severity::kWarning},
      {"no rate", [](records::Provision& p) { p.hourly_rate = 0; }, "PROVISION_NOT_COSTED",
       "hourly_rate", Severity::kWarning},
      {"ends before start", [](records::Provision& p) { p.end = D("2024-01-01"); },
       "DATES_OUT_OF_ORDER", "end", Severity::kError},
      {"letter after the end",
       [](records::Provision& p) {
         p.end = D("2024-12-13");
         p.parents_letter = D("2024-12-16");
       },
       "PROVISION_LETTER_AFTER_END", "parents_letter", Severity::kWarning},
  };
  for (const Case& c : cases) {
    auto p = MakeProvision();
    c.edit(p);
    auto issues = Validate(p);
    const Issue* i = FindCode(issues, c.code);
    ASSERT_TRUE(i) << c.name << "\n" << Codes(issues);
    EXPECT_EQ(i->path, c.path) << c.name;
    EXPECT_EQ(i->severity, c.severity) << c.name;
  }
}

TEST(ValidateProvision, ALetterBeforeTheStartOrOnTheEndIsFine) {
  auto p = MakeProvision();  // starts 2024-09-09
  p.parents_letter = D("2024-09-02");
  p.end = D("2024-12-13");
  EXPECT_TRUE(Validate(p).empty()) << Codes(Validate(p));
  p.parents_letter = D("2024-12-13");
  EXPECT_TRUE(Validate(p).empty()) << Codes(Validate(p));
}

TEST(ValidateProvision, ResourcesOnlyIsQuantified) {
  auto p = MakeProvision();
  p.sessions_per_week = 0;
  p.minutes_per_session = 0;
  p.hourly_rate = 0;
  p.resources_cost = 120;
  EXPECT_TRUE(Validate(p).empty()) << Codes(Validate(p));
}

// ---- Reviews ----

TEST(ValidateReview, AWellFormedReviewHasNoIssues) {
  auto issues = Validate(MakeReview("R1", "C1", "2024-12-09"));
  EXPECT_TRUE(issues.empty()) << Codes(issues);
}

TEST(ValidateReview, Cases) {
  struct Case {
    const char* name;
    std::function<void(records::Review&)> edit;
    const char* code;
    Severity severity;
  };
  std::vector<Case> cases = {
      {"kind", [](records::Review& r) { r.review_kind = "annual"; }, "REVIEW_KIND_CODE",
       Severity::kError},
      {"decision", [](records::Review& r) { r.decision = "give_up"; }, "REVIEW_DECISION_CODE",
       Severity::kError},
      {"progress", [](records::Review& r) { r.progress[0].progress = "great"; },
       "TARGET_PROGRESS_CODE", Severity::kError},
      {"progress twice", [](records::Review& r) { r.progress.push_back(r.progress[0]); },
       "REVIEW_PROGRESS_DUPLICATE", Severity::kWarning},
      {"attendee role",
       [](records::Review& r) {
         r.attendees.push_back({"uncle", {}, {}, {}, {}});
       },
       "CONTRIBUTION_ROLE_CODE", Severity::kError},
      {"no cycle", [](records::Review& r) { r.cycle_id.reset(); }, "REVIEW_NO_CYCLE",
       Severity::kWarning},
      {"next before this", [](records::Review& r) { r.next_review = D("2024-12-01"); },
       "DATES_OUT_OF_ORDER", Severity::kError},
      {"LA decision code",
       [](records::Review& r) {
         r.review_kind = "ehc_annual";
         r.la_decision = "X";
       },
       "REVIEW_OUTCOME_CODE", Severity::kError},
      {"annual steps on a support review",
       [](records::Review& r) { r.report_sent = D("2024-12-20"); }, "REVIEW_STEPS_NOT_ANNUAL",
       Severity::kWarning},
  };
  for (const Case& c : cases) {
    auto r = MakeReview("R1", "C1", "2024-12-09");
    c.edit(r);
    auto issues = Validate(r);
    const Issue* i = FindCode(issues, c.code);
    ASSERT_TRUE(i) << c.name << "\n" << Codes(issues);
    EXPECT_EQ(i->severity, c.severity) << c.name;
  }
}

TEST(ValidateReview, AnnualReviewStepsWithAKnownOutcomeAreClean) {
  auto r = MakeReview("R1", "C1", "2024-12-09");
  r.review_kind = "ehc_annual";
  r.report_sent = D("2024-12-20");
  r.la_decision_date = D("2025-01-03");
  r.la_decision = "M";
  auto issues = Validate(r);
  EXPECT_FALSE(HasCode(issues, "REVIEW_OUTCOME_CODE")) << Codes(issues);
  EXPECT_FALSE(HasCode(issues, "REVIEW_STEPS_NOT_ANNUAL")) << Codes(issues);
}

TEST(ValidateReview, AnnualReviewNeedsNoCycle) {
  auto r = MakeReview("R1", "C1", "2024-12-09");
  r.cycle_id.reset();
  r.progress.clear();
  r.review_kind = "ehc_annual";
  EXPECT_TRUE(Validate(r).empty()) << Codes(Validate(r));
}
