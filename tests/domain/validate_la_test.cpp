// Validation of requests for an EHC needs assessment and of EHC plans: SEN2 codes, dates in
// order, outcomes that agree, statutory exceptions.
#include <gtest/gtest.h>

#include <functional>

#include "tests/domain/fixtures.h"

using namespace sendsync;
using namespace sendsync::domain;
using namespace sendsync::domain::testing;

TEST(ValidateReferral, AWellFormedRequestHasNoIssues) {
  auto r = MakeReferral();
  r.decision = "assess";
  r.decision_date = D("2025-02-20");
  r.request_outcome = "Y";
  r.draft_plan_date = D("2025-05-01");
  r.final_plan_date = D("2025-05-30");
  r.assessment_outcome = "Y";
  r.status = "plan_issued";
  auto issues = Validate(r);
  EXPECT_TRUE(issues.empty()) << Codes(issues);
}

TEST(ValidateReferral, Cases) {
  struct Case {
    const char* name;
    std::function<void(records::Referral&)> edit;
    const char* code;
    const char* path;
    Severity severity;
  };
  std::vector<Case> cases = {
      {"requester", [](records::Referral& r) { r.requester_role = "neighbour"; },
       "REQUESTER_ROLE_CODE", "requester_role", Severity::kError},
      {"source 6", [](records::Referral& r) { r.request_source = 6; }, "REQUEST_SOURCE_CODE",
       "request_source", Severity::kError},
      {"source vs role", [](records::Referral& r) { r.request_source = 1; },
       "REQUEST_SOURCE_MISMATCH", "request_source", Severity::kWarning},
      {"la", [](records::Referral& r) { r.la = "80"; }, "LA_CODE_FORMAT", "la", Severity::kError},
      {"status", [](records::Referral& r) { r.status = "lost"; }, "REFERRAL_STATUS_CODE", "status",
       Severity::kError},
      {"decision",
       [](records::Referral& r) {
         r.decision = "maybe";
         r.decision_date = D("2025-02-01");
       },
       "REFERRAL_DECISION_CODE", "decision", Severity::kError},
      {"request outcome", [](records::Referral& r) { r.request_outcome = "Z"; },
       "REQUEST_OUTCOME_CODE", "request_outcome", Severity::kError},
      {"assessment outcome", [](records::Referral& r) { r.assessment_outcome = "M"; },
       "ASSESSMENT_OUTCOME_CODE", "assessment_outcome", Severity::kError},
      {"decision vs outcome",
       [](records::Referral& r) {
         r.decision = "assess";
         r.decision_date = D("2025-02-01");
         r.request_outcome = "N";
       },
       "REFERRAL_OUTCOME_MISMATCH", "request_outcome", Severity::kWarning},
      {"outcome Y with no-plan date",
       [](records::Referral& r) {
         r.assessment_outcome = "Y";
         r.no_plan_date = D("2025-04-01");
       },
       "REFERRAL_OUTCOME_MISMATCH", "assessment_outcome", Severity::kWarning},
      {"decision without date", [](records::Referral& r) { r.decision = "assess"; },
       "REFERRAL_DECISION_NO_DATE", "decision_date", Severity::kWarning},
      {"plan and no plan",
       [](records::Referral& r) {
         r.final_plan_date = D("2025-05-01");
         r.no_plan_date = D("2025-04-01");
       },
       "REFERRAL_PLAN_AND_NO_PLAN", "no_plan_date", Severity::kError},
      {"plan without assessment",
       [](records::Referral& r) {
         r.decision = "not_assess";
         r.decision_date = D("2025-02-01");
         r.final_plan_date = D("2025-05-01");
       },
       "REFERRAL_PLAN_WITHOUT_ASSESSMENT", "final_plan_date", Severity::kError},
      {"received before request", [](records::Referral& r) { r.received_date = D("2025-01-01"); },
       "DATES_OUT_OF_ORDER", "received_date", Severity::kError},
      {"decision before receipt", [](records::Referral& r) { r.decision_date = D("2025-01-02"); },
       "DATES_OUT_OF_ORDER", "decision_date", Severity::kError},
      {"final before draft",
       [](records::Referral& r) {
         r.draft_plan_date = D("2025-05-01");
         r.final_plan_date = D("2025-04-01");
       },
       "DATES_OUT_OF_ORDER", "final_plan_date", Severity::kError},
      {"consent by", [](records::Referral& r) { r.consent.by = "teacher"; }, "CONSENT_BY_CODE",
       "consent.by", Severity::kError},
      {"consent undated", [](records::Referral& r) { r.consent.date.reset(); }, "CONSENT_NO_DATE",
       "consent.date", Severity::kWarning},
      {"exception reason",
       [](records::Referral& r) {
         r.clock_exceptions.push_back({"snow", D("2025-02-01"), D("2025-03-01")});
       },
       "CLOCK_EXCEPTION_REASON_CODE", "clock_exceptions[0].reason", Severity::kError},
      {"exception backwards",
       [](records::Referral& r) {
         r.clock_exceptions.push_back({"away_from_area", D("2025-03-01"), D("2025-02-01")});
       },
       "DATES_OUT_OF_ORDER", "clock_exceptions[0].to", Severity::kError},
      {"closure too short",
       [](records::Referral& r) {
         r.clock_exceptions.push_back({"school_closure", D("2025-02-01"), D("2025-02-20")});
       },
       "CLOCK_EXCEPTION_TOO_SHORT", "clock_exceptions[0]", Severity::kWarning},
      {"advice role",
       [](records::Referral& r) {
         r.external_advice.push_back({"oracle", {}, {}, {}, {}});
       },
       "CONTRIBUTION_ROLE_CODE", "external_advice[0].role", Severity::kError},
  };
  for (const Case& c : cases) {
    auto r = MakeReferral();
    c.edit(r);
    auto issues = Validate(r);
    const Issue* i = FindCode(issues, c.code);
    ASSERT_TRUE(i) << c.name << "\n" << Codes(issues);
    EXPECT_EQ(i->path, c.path) << c.name;
    EXPECT_EQ(i->severity, c.severity) << c.name;
  }
}

TEST(ValidateReferral, RequestSourceMandatoryFrom2026) {
  auto r = MakeReferral();
  r.request_source.reset();
  EXPECT_FALSE(HasCode(Validate(r), "REQUEST_SOURCE_MISSING"));
  r.request_date = D("2026-01-05");
  r.received_date = D("2026-01-06");
  auto issues = Validate(r);
  ASSERT_TRUE(HasCode(issues, "REQUEST_SOURCE_MISSING")) << Codes(issues);
  EXPECT_FALSE(HasErrors(issues));
}

TEST(ValidateReferral, ParentRequestMatchesSourceOne) {
  auto r = MakeReferral();
  r.requester_role = "parent";
  r.request_source = 1;
  EXPECT_TRUE(Validate(r).empty()) << Codes(Validate(r));
  r.requester_role = "young_person";
  EXPECT_TRUE(Validate(r).empty()) << Codes(Validate(r));
}

TEST(ValidateReferral, FourWeekAbsenceQualifies) {
  auto r = MakeReferral();
  r.clock_exceptions.push_back({"away_from_area", D("2025-02-01"), D("2025-03-01")});  // 28 days
  r.clock_exceptions.push_back(
      {"exceptional_personal_circumstances", D("2025-02-03"), std::nullopt});
  EXPECT_TRUE(Validate(r).empty()) << Codes(Validate(r));
}

// ---- EHC plans ----

TEST(ValidatePlan, AWellFormedPlanHasNoIssues) {
  auto p = MakePlan();
  p.last_annual_review = D("2025-02-20");
  p.next_annual_review = D("2026-02-10");
  EXPECT_TRUE(Validate(p).empty()) << Codes(Validate(p));
}

TEST(ValidatePlan, Cases) {
  struct Case {
    const char* name;
    std::function<void(records::EhcPlan&)> edit;
    const char* code;
    Severity severity;
  };
  std::vector<Case> cases = {
      {"la", [](records::EhcPlan& p) { p.la = "LA1"; }, "LA_CODE_FORMAT", Severity::kError},
      {"review before issue", [](records::EhcPlan& p) { p.last_annual_review = D("2024-01-01"); },
       "DATES_OUT_OF_ORDER", Severity::kError},
      {"ceased before issue",
       [](records::EhcPlan& p) {
         p.ceased = D("2024-01-01");
         p.cease_reason = 2;
       },
       "DATES_OUT_OF_ORDER", Severity::kError},
      {"next review not after last",
       [](records::EhcPlan& p) {
         p.last_annual_review = D("2025-02-20");
         p.next_annual_review = D("2025-02-20");
       },
       "DATES_OUT_OF_ORDER", Severity::kError},
      {"next review beyond 12 months",
       [](records::EhcPlan& p) { p.next_annual_review = D("2025-03-02"); },
       "ANNUAL_REVIEW_BEYOND_12M", Severity::kWarning},
      {"cease reason 0",
       [](records::EhcPlan& p) {
         p.ceased = D("2025-07-01");
         p.cease_reason = 0;
       },
       "CEASE_REASON_CODE", Severity::kError},
      {"ceased without reason", [](records::EhcPlan& p) { p.ceased = D("2025-07-01"); },
       "PLAN_CEASE_REASON_MISSING", Severity::kWarning},
      {"reason without ceasing", [](records::EhcPlan& p) { p.cease_reason = 5; },
       "PLAN_CEASE_REASON_WITHOUT_CEASE", Severity::kError},
  };
  for (const Case& c : cases) {
    auto p = MakePlan();
    c.edit(p);
    auto issues = Validate(p);
    const Issue* i = FindCode(issues, c.code);
    ASSERT_TRUE(i) << c.name << "\n" << Codes(issues);
    EXPECT_EQ(i->severity, c.severity) << c.name;
  }
}

TEST(ValidatePlan, NextReviewOnTheAnniversaryIsInTime) {
  auto p = MakePlan("EHC1", "2024-03-01");
  p.next_annual_review = D("2025-03-01");  // what an LA sends as next_annual_review: 12 months on
  EXPECT_TRUE(Validate(p).empty()) << Codes(Validate(p));
  p.next_annual_review = D("2025-03-02");
  EXPECT_TRUE(HasCode(Validate(p), "ANNUAL_REVIEW_BEYOND_12M"));
}
