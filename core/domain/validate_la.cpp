// Validation of the LA-side records: requests for an EHC needs assessment and EHC plans
// (reference sections 5 and 6).
#include "core/domain/internal.h"
#include "core/domain/validation.h"

namespace sendsync::domain {

using detail::Add;
using detail::CheckCode;
using detail::CheckContributions;
using detail::CheckOrder;
using detail::Index;
using detail::Join;

namespace {

void CheckLa(std::vector<Issue>& out, const std::optional<std::string>& la) {
  if (la && !(la->size() == 3 && detail::AllDigits(*la)))
    Add(out, "LA_CODE_FORMAT", "la", "an LA code is 3 digits");
}

// The Referral API's client_reference: 1 to 100 printable ASCII characters, no spaces.
void CheckClientReference(std::vector<Issue>& out, const std::optional<std::string>& ref) {
  if (!ref) return;
  bool ok = !ref->empty() && ref->size() <= 100;
  for (unsigned char c : *ref) ok = ok && c >= 0x21 && c <= 0x7e;
  if (!ok)
    Add(out, "CLIENT_REFERENCE_FORMAT", "client_reference",
        "a client reference is 1 to 100 printable ASCII characters without spaces");
}

// SEN2 codes are checked at the date the LA received the request, else the request's own date.
Date ReferralDate(const records::Referral& r) {
  if (r.received_date) return *r.received_date;
  if (r.request_date) return *r.request_date;
  return LatestCodesDate();
}

void CheckRequestSource(std::vector<Issue>& out, const CodeSets& sets, const records::Referral& r,
                        Date on) {
  const CodeSet* set = sets.Find(sets::kRequestSource);
  if (!r.request_source) {
    std::optional<Date> dated = r.received_date ? r.received_date : r.request_date;
    if (set->required_from && dated && *dated >= *set->required_from)
      Add(out, "REQUEST_SOURCE_MISSING", "request_source",
          "SEN2 RequestSource is mandatory for requests from " + set->required_from->ToString());
    return;
  }
  std::string code = std::to_string(*r.request_source);
  if (!CheckCode(out, sets, sets::kRequestSource, code, on, "REQUEST_SOURCE_CODE", "request_source",
                 "request source"))
    return;
  const CodeEntry* e = set->Find(code);
  if (e->requester_roles.empty() || r.requester_role.empty()) return;
  for (const std::string& role : e->requester_roles)
    if (role == r.requester_role) return;
  Add(out, "REQUEST_SOURCE_MISMATCH", "request_source",
      "request source " + code + " (" + e->label + ") does not match the requester role " +
          r.requester_role);
}

void CheckOutcomes(std::vector<Issue>& out, const records::Referral& r) {
  auto mismatch = [&](const char* path, const std::string& why) {
    Add(out, "REFERRAL_OUTCOME_MISMATCH", path, why);
  };
  if (r.decision && r.request_outcome) {
    const std::string& ro = *r.request_outcome;
    if ((*r.decision == "assess" && ro != "Y") || (*r.decision == "not_assess" && ro != "N"))
      mismatch("request_outcome", "decision " + *r.decision + " but SEN2 request outcome " + ro);
  }
  if (r.assessment_outcome) {
    const std::string& ao = *r.assessment_outcome;
    if (ao == "Y" && r.no_plan_date)
      mismatch("assessment_outcome", "assessment outcome Y (plan) but a no-plan date is recorded");
    if (ao == "N" && r.final_plan_date)
      mismatch("assessment_outcome", "assessment outcome N (no plan) but a final plan is dated");
  }
  if (r.decision && !r.decision_date)
    Add(out, "REFERRAL_DECISION_NO_DATE", "decision_date",
        "the decision whether to assess needs its date: the 6-week clock stops on it");
  if (r.final_plan_date && r.no_plan_date)
    Add(out, "REFERRAL_PLAN_AND_NO_PLAN", "no_plan_date",
        "both a final plan and a decision not to issue a plan are recorded");
  bool not_assessed = r.decision == "not_assess" || r.request_outcome == "N";
  if (not_assessed && (r.draft_plan_date || r.final_plan_date))
    Add(out, "REFERRAL_PLAN_WITHOUT_ASSESSMENT",
        r.final_plan_date ? "final_plan_date" : "draft_plan_date",
        "a plan is dated but the LA decided not to assess");
}

void CheckDates(std::vector<Issue>& out, const records::Referral& r) {
  CheckOrder(out, r.request_date, "request_date", r.received_date, "received_date",
             "received_date");
  CheckOrder(out, r.received_date, "received_date", r.decision_date, "decision_date",
             "decision_date");
  CheckOrder(out, r.decision_date, "decision_date", r.draft_plan_date, "draft_plan_date",
             "draft_plan_date");
  CheckOrder(out, r.draft_plan_date, "draft_plan_date", r.final_plan_date, "final_plan_date",
             "final_plan_date");
  CheckOrder(out, r.received_date, "received_date", r.final_plan_date, "final_plan_date",
             "final_plan_date");
  CheckOrder(out, r.decision_date, "decision_date", r.no_plan_date, "no_plan_date", "no_plan_date");
  CheckOrder(out, r.received_date, "received_date", r.no_plan_date, "no_plan_date", "no_plan_date");
}

void CheckExceptions(std::vector<Issue>& out, const CodeSets& sets, const Rules& rules,
                     const records::Referral& r, Date on) {
  for (size_t i = 0; i < r.clock_exceptions.size(); ++i) {
    const records::ClockException& e = r.clock_exceptions[i];
    std::string path = Index("clock_exceptions", i);
    bool ok = CheckCode(out, sets, sets::kClockExceptionReason, e.reason, on,
                        "CLOCK_EXCEPTION_REASON_CODE", Join(path, "reason"), "exception reason");
    CheckOrder(out, e.from, "from", e.to, "to", Join(path, "to"));
    const ExceptionRule* rule = ok ? rules.FindException(e.reason) : nullptr;
    if (rule && e.to && *e.to >= e.from && e.from.DaysUntil(*e.to) < rule->min_days)
      Add(out, "CLOCK_EXCEPTION_TOO_SHORT", path,
          e.reason + " lasted " + std::to_string(e.from.DaysUntil(*e.to)) +
              " days; the exception needs at least " + std::to_string(rule->min_days) +
              " days, so the clocks ignore it");
  }
}

}  // namespace

std::vector<Issue> Validate(const records::Referral& r, const CodeSets& sets, const Rules& rules) {
  std::vector<Issue> out;
  const Date on = ReferralDate(r);
  CheckCode(out, sets, sets::kRequesterRole, r.requester_role, on, "REQUESTER_ROLE_CODE",
            "requester_role", "requester role");
  CheckRequestSource(out, sets, r, on);
  CheckLa(out, r.la);
  CheckClientReference(out, r.client_reference);
  CheckCode(out, sets, sets::kReferralStatus, r.status, on, "REFERRAL_STATUS_CODE", "status",
            "status");
  if (r.decision)
    CheckCode(out, sets, sets::kReferralDecision, *r.decision, on, "REFERRAL_DECISION_CODE",
              "decision", "decision");
  if (r.request_outcome)
    CheckCode(out, sets, sets::kRequestOutcome, *r.request_outcome, on, "REQUEST_OUTCOME_CODE",
              "request_outcome", "request outcome");
  if (r.assessment_outcome)
    CheckCode(out, sets, sets::kAssessmentOutcome, *r.assessment_outcome, on,
              "ASSESSMENT_OUTCOME_CODE", "assessment_outcome", "assessment outcome");
  CheckOutcomes(out, r);
  CheckDates(out, r);
  CheckContributions(out, sets, r.external_advice, "external_advice", on);
  if (r.consent.by)
    CheckCode(out, sets, sets::kConsentBy, *r.consent.by, on, "CONSENT_BY_CODE", "consent.by",
              "consent given by");
  if (r.consent.given && !r.consent.date)
    Add(out, "CONSENT_NO_DATE", "consent.date", "consent is recorded as given without a date");
  CheckExceptions(out, sets, rules, r, on);
  return out;
}

std::vector<Issue> Validate(const records::EhcPlan& p, const CodeSets& sets, const Rules& rules) {
  std::vector<Issue> out;
  CheckLa(out, p.la);
  CheckOrder(out, p.issued, "issued", p.last_annual_review, "last_annual_review",
             "last_annual_review");
  CheckOrder(out, p.issued, "issued", p.ceased, "ceased", "ceased");
  std::optional<Date> base = p.last_annual_review ? p.last_annual_review : p.issued;
  if (p.next_annual_review && *p.next_annual_review <= *base)
    Add(out, "DATES_OUT_OF_ORDER", "next_annual_review",
        "next_annual_review " + p.next_annual_review->ToString() + " is not after " +
            base->ToString());
  else if (p.next_annual_review && *p.next_annual_review > detail::AnnualReviewDue(*base, rules))
    Add(out, "ANNUAL_REVIEW_BEYOND_12M", "next_annual_review",
        "the next annual review is planned for " + p.next_annual_review->ToString() +
            ", after the 12-month limit " + detail::AnnualReviewDue(*base, rules).ToString());
  if (p.cease_reason) {
    CheckCode(out, sets, sets::kCeaseReason, std::to_string(*p.cease_reason),
              p.ceased ? *p.ceased : p.issued, "CEASE_REASON_CODE", "cease_reason", "cease reason");
    if (!p.ceased)
      Add(out, "PLAN_CEASE_REASON_WITHOUT_CEASE", "cease_reason",
          "a cease reason needs the date the plan ceased");
  } else if (p.ceased) {
    Add(out, "PLAN_CEASE_REASON_MISSING", "cease_reason",
        "SEN2 needs the reason a plan ceased (CeaseReason 1-9)");
  }
  return out;
}

}  // namespace sendsync::domain
