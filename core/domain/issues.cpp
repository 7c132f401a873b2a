// The catalogue of issue codes and the helpers that raise them.
#include <algorithm>

#include "core/domain/internal.h"

namespace sendsync::domain {
namespace {

constexpr Severity E = Severity::kError;
constexpr Severity W = Severity::kWarning;

// The codes for records, identifiers, pupils, SEN status and needs, in catalogue order.
void AddIdentityAndNeedCodes(std::vector<IssueCodeInfo>& codes) {
  codes.insert(
      codes.end(),
      {
          // Record shape
          {"RECORD_SHAPE", E, 0,
           "The record is not well-formed JSON of its kind (field named by the path)."},
          {"DATES_OUT_OF_ORDER", E, 0, "A date is before a date it must follow."},
          // Identifiers
          {"UPN_MISSING", E, 1500, "UPN missing."},
          {"UPN_LENGTH", E, 0, "UPN is not 13 characters."},
          {"UPN_FORMAT", E, 0, "UPN character 1 or 13 is not an allowed letter or digit."},
          {"UPN_LA_CODE", E, 1530,
           "UPN characters 2-4 are not a valid LA code (checked: three digits)."},
          {"UPN_NOT_NUMERIC", E, 1540, "UPN characters 5-12 are not numeric."},
          {"UPN_CHECK_LETTER", E, 1510, "UPN (or former UPN) has the wrong check letter."},
          {"UPN_UNKNOWN_REASON", W, 0,
           "No UPN: the field holds a SEN2 unknown-UPN reason (UN1...UN10)."},
          {"FORMER_UPN_SAME", W, 0, "The former UPN is the same as the UPN."},
          {"DUPLICATE_UPN", E, 1520, "The same UPN is on more than one pupil."},
          {"ULN_FORMAT", E, 1575, "ULN is not 10 digits starting with a non-zero digit."},
          {"ULN_CHECK_DIGIT", E, 1575, "ULN fails its check (weighted sum mod 11 must be 10)."},
          // Pupil
          {"SEX_CODE", E, 0, "Sex is not a census code."},
          {"NC_YEAR_CODE", E, 0, "National curriculum year is not a census code."},
          {"LAESTAB_FORMAT", E, 0, "LAESTAB is not 7 digits (3-digit LA + 4-digit establishment)."},
          {"URN_FORMAT", W, 0, "School URN is not 6 digits."},
          // SEN status and needs
          {"SEN_PROVISION_CODE", E, 0,
           "SEN provision is not a census code in force on the record's date."},
          {"SEN_PROVISION_HISTORY_ONLY", E, 0,
           "A legacy provision code (S, A or P) given as the current status; history only."},
          {"NEED_TYPE_CODE", E, 0, "Need type is not a census code in force on the need's date."},
          {"NEED_RANK_RANGE", E, 0, "Need rank is not 1 (primary) or 2 (secondary)."},
          {"NEED_MISSING", E, 0, "SEN support (K) or an EHC plan (E) with no need recorded."},
          {"NEED_PRIMARY_MISSING", E, 0, "Needs recorded but none is rank 1 (primary)."},
          {"NEED_PRIMARY_DUPLICATE", E, 0, "More than one rank 1 (primary) need."},
          {"NEED_SECONDARY_DUPLICATE", W, 0,
           "More than one rank 2 need (census cardinality unsure)."},
          {"NEED_TYPE_DUPLICATE", E, 0, "The same need type is recorded twice."},
          {"NEEDS_WITH_NO_SEN", E, 0, "Current needs recorded while the provision is N."},
          {"NEED_TYPE_NOT_FOR_PROVISION", E, 0,
           "The need type is not allowed with this provision (NSA only with K)."},
          {"SEN_HISTORY_CODE", E, 0,
           "A history episode's provision code was not in force at its start."},
          {"SEN_HISTORY_OVERLAP", E, 0, "Two history episodes overlap (one status at any date)."},
          {"SEN_HISTORY_MISMATCH", W, 0,
           "The open history episode differs from the current provision."},
          {"SEN_UNIT_WITHOUT_SEN", W, 0,
           "SEN unit or resourced provision flagged for a pupil with provision N."},
      });
}

// The codes for the graduated approach: cycles, targets, provision and reviews, in catalogue order.
void AddSupportCycleCodes(std::vector<IssueCodeInfo>& codes) {
  codes.insert(
      codes.end(),
      {
          // Cycles and targets
          {"CYCLE_STATUS_CODE", E, 0, "Cycle status is not open, completed or cancelled."},
          {"CYCLE_COMPLETED_NO_DATE", W, 0, "A completed cycle has no completion date."},
          {"CYCLE_NO_REVIEW_DATE", W, 0, "An open cycle has no review date."},
          {"CYCLE_REVIEW_BEYOND_TERM", W, 0,
           "The review date is more than a term after the start."},
          {"CYCLE_NO_OUTCOMES", W, 0, "A cycle records no outcomes."},
          {"OUTCOME_ID_DUPLICATE", E, 0, "Two outcomes in a cycle share an id."},
          {"TARGET_ID_DUPLICATE", E, 0, "Two targets in a cycle share an id."},
          {"TARGET_NO_CRITERIA", W, 0, "A target has no success criteria (not SMART)."},
          {"TARGET_NO_DUE_DATE", W, 0, "A target has no date (not SMART)."},
          {"TARGET_PROGRESS_CODE", E, 0, "Target progress is not a known value."},
          {"CONTRIBUTION_ROLE_CODE", E, 0,
           "A contributor's or attendee's role is not a known value."},
          {"STAGE_UNKNOWN", E, 0, "The cycle names a stage model or stage that is not loaded."},
          // Provision
          {"PROVISION_AREA_CODE", E, 0,
           "Provision area is not a broad area of need (CL, SEMH, CI, SP)."},
          {"PROVISION_WAVE_CODE", E, 0, "Wave is not 1, 2 or 3."},
          {"PROVISION_GROUP_SIZE", E, 0, "Group size is less than 1."},
          {"PROVISION_NEGATIVE", E, 0,
           "Sessions, minutes, hourly rate or resources cost is negative."},
          {"PROVISION_DELIVERY_CODE", E, 0, "Delivery is not in_class or withdrawal."},
          {"PROVISION_NOT_QUANTIFIED", W, 0,
           "Provision has no time (sessions x minutes) and no resources."},
          {"PROVISION_NOT_COSTED", W, 0, "Staff time is recorded without an hourly rate."},
          {"PROVISION_LETTER_AFTER_END", W, 0,
           "The intervention letter to the parents is dated after the provision ended."},
          // Reviews
          {"REVIEW_KIND_CODE", E, 0, "Review kind is not sen_support, ehc_annual or interim."},
          {"REVIEW_DECISION_CODE", E, 0, "Review decision is not a known value."},
          {"REVIEW_OUTCOME_CODE", E, 0,
           "The LA's annual review decision is not A, C or M (SEN2 ReviewOutcome)."},
          {"REVIEW_STEPS_NOT_ANNUAL", W, 0,
           "Annual review steps are recorded on a review that is not ehc_annual."},
          {"REVIEW_NO_CYCLE", W, 0, "A SEN support review does not say which cycle it reviews."},
          {"REVIEW_PROGRESS_DUPLICATE", W, 0, "Progress for the same target is recorded twice."},
      });
}

// The codes for referrals, EHC plans and checks across records, in catalogue order.
void AddStatutoryCodes(std::vector<IssueCodeInfo>& codes) {
  codes.insert(
      codes.end(),
      {
          // Referrals
          {"REQUESTER_ROLE_CODE", E, 0, "Requester role is not a known value."},
          {"REQUEST_SOURCE_CODE", E, 0, "Request source is not a SEN2 RequestSource code (1-5)."},
          {"REQUEST_SOURCE_MISSING", W, 0, "Request source missing where SEN2 makes it mandatory."},
          {"REQUEST_SOURCE_MISMATCH", W, 0, "Request source does not match the requester's role."},
          {"LA_CODE_FORMAT", E, 0, "LA code is not 3 digits."},
          {"ATTENDANCE_SESSIONS", E, 0,
           "Attendance sessions are negative, or more were attended than were possible."},
          {"CLIENT_REFERENCE_FORMAT", E, 0,
           "Client reference is not 1 to 100 printable ASCII characters."},
          {"REFERRAL_STATUS_CODE", E, 0, "Referral status is not a known value."},
          {"REFERRAL_DECISION_CODE", E, 0, "Decision is not assess or not_assess."},
          {"REQUEST_OUTCOME_CODE", E, 0, "Request outcome is not a SEN2 RequestOutcome code."},
          {"ASSESSMENT_OUTCOME_CODE", E, 0,
           "Assessment outcome is not a SEN2 AssessmentOutcome code."},
          {"REFERRAL_OUTCOME_MISMATCH", W, 0, "The decision, SEN2 outcomes and dates disagree."},
          {"REFERRAL_DECISION_NO_DATE", W, 0,
           "A decision whether to assess is recorded without its date."},
          {"REFERRAL_PLAN_AND_NO_PLAN", E, 0,
           "Both a final plan date and a no-plan date are recorded."},
          {"REFERRAL_PLAN_WITHOUT_ASSESSMENT", E, 0,
           "A plan is recorded after a decision not to assess."},
          {"CONSENT_BY_CODE", E, 0, "Consent given by someone other than parent or young_person."},
          {"CONSENT_NO_DATE", W, 0, "Consent is recorded as given without a date."},
          {"CLOCK_EXCEPTION_REASON_CODE", E, 0,
           "Clock exception reason is not a statutory exception."},
          {"CLOCK_EXCEPTION_TOO_SHORT", W, 0,
           "A closure or absence shorter than the regulation's 4 weeks."},
          // EHC plans
          {"CEASE_REASON_CODE", E, 0, "Cease reason is not a SEN2 CeaseReason code (1-9)."},
          {"PLAN_CEASE_REASON_MISSING", W, 0, "A ceased plan has no cease reason."},
          {"PLAN_CEASE_REASON_WITHOUT_CEASE", E, 0,
           "A cease reason is recorded on a plan that has not ceased."},
          {"ANNUAL_REVIEW_BEYOND_12M", W, 0,
           "The next annual review is more than 12 months after the last."},
          // Across records
          {"RECORD_PUPIL_MISMATCH", E, 0, "A record filed under a pupil names another pupil."},
          {"EHC_STATUS_WITHOUT_PLAN", W, 0,
           "Provision E without an active plan or a referral that led to one."},
          {"PLAN_WITHOUT_EHC_STATUS", W, 0,
           "An active plan while the school's provision is not E."},
          {"PLAN_DUPLICATE_ACTIVE", W, 0, "More than one active EHC plan."},
          {"REVIEW_CYCLE_MISSING", W, 0, "A review refers to a cycle the hub does not hold."},
          {"PROVISION_CYCLE_MISSING", W, 0, "Provision refers to a cycle the hub does not hold."},
          {"CYCLE_PROVISION_MISSING", W, 0, "A cycle plans provision the hub does not hold."},
          {"PROVISION_TARGET_MISSING", W, 0, "Provision refers to a target no cycle holds."},
          {"REVIEW_TARGET_MISSING", W, 0,
           "A review records progress for a target its cycle does not hold."},
          {"REFERRAL_EVIDENCE_MISSING", W, 0,
           "A referral cites a cycle, review or provision the hub does not hold."},
          {"PLAN_REFERRAL_MISSING", W, 0, "A plan refers to a referral the hub does not hold."},
          {"REFERRAL_YOUNG_PERSON_UNDER_16", W, 0,
           "Requester is the young person but the pupil was under 16."},
      });
}

const std::vector<IssueCodeInfo>& Catalogue() {
  static const std::vector<IssueCodeInfo> kCodes = [] {
    std::vector<IssueCodeInfo> codes;
    AddIdentityAndNeedCodes(codes);
    AddSupportCycleCodes(codes);
    AddStatutoryCodes(codes);
    return codes;
  }();
  return kCodes;
}

}  // namespace

const char* SeverityName(Severity severity) {
  return severity == Severity::kError ? "error" : "warning";
}

bool HasErrors(const std::vector<Issue>& issues) {
  return std::any_of(issues.begin(), issues.end(),
                     [](const Issue& i) { return i.severity == Severity::kError; });
}

std::string FormatIssue(const Issue& issue) {
  std::string s = SeverityName(issue.severity);
  s += ' ';
  s += issue.code;
  if (!issue.path.empty()) s += " at " + issue.path;
  s += ": ";
  s += issue.message;
  return s;
}

const std::vector<IssueCodeInfo>& IssueCodes() {
  return Catalogue();
}

const IssueCodeInfo* FindIssueCode(std::string_view code) {
  for (const IssueCodeInfo& info : Catalogue())
    if (info.code == code) return &info;
  return nullptr;
}

namespace detail {

void Add(std::vector<Issue>& out, std::string_view code, std::string path, std::string message) {
  const IssueCodeInfo* info = FindIssueCode(code);
  // An uncatalogued code is a bug; report it as an error so it cannot pass silently.
  Severity severity = info ? info->severity : Severity::kError;
  if (info && info->census_error != 0)
    message += " (census error " + std::to_string(info->census_error) + ")";
  out.push_back({std::string(code), std::move(path), std::move(message), severity});
}

std::string Index(std::string_view base, size_t i) {
  std::string s(base);
  s += '[';
  s += std::to_string(i);
  s += ']';
  return s;
}

std::string Join(std::string_view base, std::string_view field) {
  if (base.empty()) return std::string(field);
  std::string s(base);
  s += '.';
  s += field;
  return s;
}

bool CheckCode(std::vector<Issue>& out, const CodeSets& sets, std::string_view set,
               std::string_view code, Date on, std::string_view issue_code, std::string path,
               std::string_view what) {
  CodeStatus status = sets.Check(set, code, on);
  if (status == CodeStatus::kValid) return true;
  std::string msg(what);
  msg += " \"";
  msg += code;
  msg += '"';
  switch (status) {
    case CodeStatus::kUnknownSet:
      msg += " cannot be checked: the code sets have no set \"" + std::string(set) + "\"";
      break;
    case CodeStatus::kUnknown: {
      msg += " is not a known code; expected one of";
      std::vector<std::string> codes = sets.CodesInForce(set, on);
      for (size_t i = 0; i < codes.size(); ++i) msg += (i ? ", " : " ") + codes[i];
      break;
    }
    case CodeStatus::kNotYetInForce:
    case CodeStatus::kEnded: {
      // Name the nearest period of the code: the next start after `on`, else the last end.
      std::optional<Date> next_from, last_until;
      for (const CodeEntry& e : sets.Find(set)->entries) {
        if (e.code != code) continue;
        if (e.from && on < *e.from && (!next_from || *e.from < *next_from)) next_from = e.from;
        if (e.until && *e.until <= on && (!last_until || *last_until < *e.until))
          last_until = e.until;
      }
      if (next_from)
        msg += " applies only from " + next_from->ToString();
      else if (last_until)
        msg += " ended on " + last_until->ToString();
      msg += "; this record is dated " + on.ToString();
      break;
    }
    case CodeStatus::kValid:
      break;
  }
  Add(out, issue_code, std::move(path), std::move(msg));
  return false;
}

void CheckOrder(std::vector<Issue>& out, const std::optional<Date>& earlier,
                std::string_view earlier_name, const std::optional<Date>& later,
                std::string_view later_name, std::string path) {
  if (!earlier || !later || *earlier <= *later) return;
  Add(out, "DATES_OUT_OF_ORDER", std::move(path),
      std::string(later_name) + " " + later->ToString() + " is before " +
          std::string(earlier_name) + " " + earlier->ToString());
}

void CheckContributions(std::vector<Issue>& out, const CodeSets& sets,
                        const std::vector<records::Contribution>& list, std::string_view base,
                        Date on) {
  for (size_t i = 0; i < list.size(); ++i)
    CheckCode(out, sets, sets::kContributionRole, list[i].role, on, "CONTRIBUTION_ROLE_CODE",
              Join(Index(base, i), "role"), "role");
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace detail
}  // namespace sendsync::domain
