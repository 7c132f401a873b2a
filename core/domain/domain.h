// SEND domain rules of the hub: identifier checks (UPN, ULN), versioned code sets, validation of
// canonical records, cross-record consistency, provision costs, statutory and school clocks, stage
// models and referral readiness. Everything here is a pure function of its arguments (the only I/O
// is StageModels reading the folder an admin names). The store, the sync engine, the CLI and the
// server include this header and nothing else from core/domain. docs/domain.md explains each rule.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sendsync/sdk/date.h"
#include "sendsync/sdk/records.h"
#include "sendsync/sdk/status.h"

namespace sendsync::domain {

// ---- Issues ----------------------------------------------------------------------------------

enum class Severity { kError, kWarning };
const char* SeverityName(Severity severity);  // "error" / "warning"

// One thing wrong with a record. `code` is stable (upper snake case) and is what programs match on;
// `path` is the JSON path of the field ("needs[1].rank"); `message` is for people and, where the
// school census has an error number for the same fault, names it. Messages never contain the
// identifier or name being checked (they end up in logs).
struct Issue {
  std::string code;
  std::string path;
  std::string message;
  Severity severity = Severity::kError;
};

// True when any issue is an error (the record must be quarantined).
bool HasErrors(const std::vector<Issue>& issues);
// "error UPN_CHECK_LETTER at upn: …" — one line for logs and CLI output.
std::string FormatIssue(const Issue& issue);

// The catalogue of every code this library emits, for docs, the CLI and tests.
struct IssueCodeInfo {
  std::string code;
  Severity severity;
  int census_error = 0;  // the school census error number for the same fault, 0 if none
  std::string summary;
};
const std::vector<IssueCodeInfo>& IssueCodes();
const IssueCodeInfo* FindIssueCode(std::string_view code);

// ---- Identifiers -----------------------------------------------------------------------------

// UPN shape only: 13 characters; 1 a check letter (A–Z without I, O, S); 2–12 digits; 13 a digit
// (permanent) or a check-table letter (temporary). Lower case is not accepted.
bool ValidUpnFormat(std::string_view upn);
// The check letter characters 2–13 call for (weights 2..13, sum mod 23), computed, never read from
// character 1; nullopt when characters 2–13 are not of the right shape.
std::optional<char> UpnCheckLetter(std::string_view upn);
enum class UpnKind { kPermanent, kTemporary };
// nullopt when valid. Characters 2–4 must be an LA code: without a list of LA codes we check only
// that they are three digits.
std::optional<Issue> CheckUpn(std::string_view upn, const std::string& path = "upn");
std::optional<UpnKind> UpnKindOf(std::string_view upn);  // nullopt unless CheckUpn passes
// ULN: 10 digits, first non-zero, weights 10..1, weighted sum mod 11 must be 10.
std::optional<Issue> CheckUln(std::string_view uln, const std::string& path = "uln");
// Census error 1520: the same UPN on more than one pupil (a hub-wide check, for the store).
std::vector<Issue> CheckDuplicateUpns(const std::vector<records::Pupil>& pupils);

// ---- Code sets -------------------------------------------------------------------------------

// Names of the shipped code sets (docs/domain.md lists their codes).
namespace sets {
inline constexpr std::string_view kSenProvision = "sen_provision";
inline constexpr std::string_view kNeedType = "need_type";
inline constexpr std::string_view kBroadArea = "broad_area";
inline constexpr std::string_view kSex = "sex";
inline constexpr std::string_view kNcYear = "nc_year";
inline constexpr std::string_view kUnknownUpnReason = "unknown_upn_reason";
inline constexpr std::string_view kRequestOutcome = "request_outcome";
inline constexpr std::string_view kAssessmentOutcome = "assessment_outcome";
inline constexpr std::string_view kReviewOutcome = "review_outcome";
inline constexpr std::string_view kCeaseReason = "cease_reason";
inline constexpr std::string_view kRequestSource = "request_source";
inline constexpr std::string_view kReviewKind = "review_kind";
inline constexpr std::string_view kReviewDecision = "review_decision";
inline constexpr std::string_view kTargetProgress = "target_progress";
inline constexpr std::string_view kContributionRole = "contribution_role";
inline constexpr std::string_view kCycleStatus = "cycle_status";
inline constexpr std::string_view kProvisionWave = "provision_wave";
inline constexpr std::string_view kProvisionDelivery = "provision_delivery";
inline constexpr std::string_view kRequesterRole = "requester_role";
inline constexpr std::string_view kReferralStatus = "referral_status";
inline constexpr std::string_view kReferralDecision = "referral_decision";
inline constexpr std::string_view kConsentBy = "consent_by";
inline constexpr std::string_view kClockExceptionReason = "clock_exception_reason";
}  // namespace sets

// One code: in force on dates d with from <= d < until (either bound may be absent).
struct CodeEntry {
  std::string code, label;
  std::optional<Date> from, until;
  std::string confidence;  // V, S or U as in the reference (inherits the set's when absent)
  std::string note;
  std::string group;                         // need types: the broad area (CL, SEMH, CI, SP)
  std::vector<std::string> only_with;        // need types: the only provision codes allowed
  std::vector<std::string> requester_roles;  // request sources: the requester roles they mean
  bool InForce(Date on) const;
};

struct CodeSet {
  std::string id, label, source, confidence;
  std::optional<Date> required_from;  // the field becomes mandatory on this date (request_source)
  std::vector<CodeEntry> entries;
  const CodeEntry* Find(std::string_view code) const;
};

enum class CodeStatus { kValid, kUnknownSet, kUnknown, kNotYetInForce, kEnded };

class CodeSets {
 public:
  // The shipped data (core/domain/data/code_sets.json, compiled in).
  static const CodeSets& Builtin();
  // Parses and checks a code-set document (the shipped file's format); every set the validators
  // use must be present. Errors name the JSON path.
  static Result<CodeSets> FromJson(const nlohmann::json& doc);

  const std::string& version() const { return version_; }
  const std::vector<CodeSet>& all() const { return sets_; }
  const CodeSet* Find(std::string_view set) const;
  const CodeEntry* FindEntry(std::string_view set, std::string_view code) const;
  CodeStatus Check(std::string_view set, std::string_view code, Date on) const;
  bool Valid(std::string_view set, std::string_view code, Date on) const {
    return Check(set, code, on) == CodeStatus::kValid;
  }
  // The codes of a set in force on a date, in file order.
  std::vector<std::string> CodesInForce(std::string_view set, Date on) const;

  // N K E always; legacy S A P only before their end dates.
  bool ProvisionValid(std::string_view code, Date on) const;
  // DS only from the January 2025 census.
  bool NeedTypeValid(std::string_view code, Date on) const;
  bool BroadAreaValid(std::string_view code, Date on) const;
  bool SexValid(std::string_view code, Date on) const;
  bool NcYearValid(std::string_view code, Date on) const;
  bool UnknownUpnReason(std::string_view code) const;
  bool RequestOutcomeValid(std::string_view code, Date on) const;
  bool AssessmentOutcomeValid(std::string_view code, Date on) const;
  bool ReviewOutcomeValid(std::string_view code, Date on) const;
  bool CeaseReasonValid(int code, Date on) const;
  bool RequestSourceValid(int code, Date on) const;
  bool ReviewKindValid(std::string_view code, Date on) const;
  bool ReviewDecisionValid(std::string_view code, Date on) const;
  bool TargetProgressValid(std::string_view code, Date on) const;
  // The broad area a need type belongs to ("" for OTH, NSA, DS and unknown codes).
  std::string_view BroadAreaOfNeed(std::string_view need_type) const;

 private:
  std::string version_;
  std::vector<CodeSet> sets_;
};

// The date used for records that carry none: the newest code sets.
Date LatestCodesDate();

// ---- Rules data ------------------------------------------------------------------------------

// How a statutory exception acts on the 6/16/20-week clocks.
struct ExceptionRule {
  std::string reason;
  bool suspends = false;      // true: the clock pauses for the period; false: the limit is excused
  int min_days = 0;           // shorter periods do not qualify
  int window_shift_days = 0;  // the regulation's window relative to the recorded period
};
// A phase transfer: the plan must name the new setting by month/day of the transfer school year.
struct PhaseTransfer {
  std::string nc_year, to_phase;
  int month = 2, day = 15;
};
// A number from rules.json with its confidence, for docs and the CLI.
struct RuleFact {
  std::string name;
  int value = 0;
  std::string confidence, source;
};

// Time limits, conventions and thresholds (core/domain/data/rules.json). Values the reference marks
// [S] or [U] live here, not in code.
struct Rules {
  int decide_to_assess_days = 0;  // 6 weeks
  int no_plan_days = 0;           // 16 weeks
  int final_plan_days = 0;        // 20 weeks
  int draft_comment_days = 0;     // 15 days
  int annual_review_months = 0;   // 12 months
  int review_notice_days = 0;     // 2 weeks before the meeting
  int review_report_days = 0;     // 2 weeks after the meeting
  int review_decision_days = 0;   // 4 weeks after the meeting
  int amended_plan_days = 0;      // 8 weeks from the proposals
  int amendment_whole_days = 0;   // 12 weeks from the meeting (case law)
  int parent_meetings_per_year = 0;
  int sen_support_review_days = 0;  // "at least termly"
  int min_completed_cycles = 0;     // for referral readiness
  int advice_days = 0;              // professionals' advice: 6 weeks from being asked
  int reassessment_days = 0;        // re-assessment: final plan 14 weeks from the decision
  std::vector<ExceptionRule> exceptions;
  std::vector<PhaseTransfer> phase_transfers;
  std::vector<std::pair<int, int>> term_ends;  // (month, day), autumn, spring, summer
  std::vector<std::string> specialist_roles;   // contribution roles that count as specialist advice
  std::vector<RuleFact> facts;                 // every numeric rule with its confidence

  static const Rules& Builtin();
  static Result<Rules> FromJson(const nlohmann::json& doc);
  const ExceptionRule* FindException(std::string_view reason) const;
};

// ---- Validation ------------------------------------------------------------------------------

// Validation of one record against the code sets in force at the record's date (docs/domain.md,
// "Which date a record is checked at"). Errors mean the record must be quarantined; warnings are
// shown but do not block.
std::vector<Issue> Validate(const records::Pupil&, const CodeSets& = CodeSets::Builtin());
std::vector<Issue> Validate(const records::Sen&, const CodeSets& = CodeSets::Builtin());
std::vector<Issue> Validate(const records::Cycle&, const CodeSets& = CodeSets::Builtin(),
                            const Rules& = Rules::Builtin());
std::vector<Issue> Validate(const records::Provision&, const CodeSets& = CodeSets::Builtin());
std::vector<Issue> Validate(const records::Review&, const CodeSets& = CodeSets::Builtin());
std::vector<Issue> Validate(const records::Referral&, const CodeSets& = CodeSets::Builtin(),
                            const Rules& = Rules::Builtin());
std::vector<Issue> Validate(const records::EhcPlan&, const CodeSets& = CodeSets::Builtin(),
                            const Rules& = Rules::Builtin());
// Parses a canonical record JSON (shape problems become issues with code "RECORD_SHAPE" and the
// field path) and validates it. This is what the sync engine calls for every incoming record.
std::vector<Issue> ValidateJson(const nlohmann::json& record,
                                const CodeSets& = CodeSets::Builtin());

// ---- One pupil's records ---------------------------------------------------------------------

// Dates of the steps after one EHC annual review meeting. The canonical records do not carry them
// yet (docs/domain.md, "Gaps"); callers that know them (an LA portal) fill them in, keyed by the
// meeting date.
struct AnnualReviewSteps {
  Date meeting;
  std::optional<Date> notice_sent;          // invitations and advice requests sent
  std::optional<Date> report_sent;          // the review report
  std::optional<Date> decision;             // the LA's decision to maintain, amend or cease
  std::optional<std::string> outcome;       // SEN2 ReviewOutcome: A amend, C cease, M maintain
  std::optional<Date> proposals_sent;       // amendment notice with the proposed changes
  std::optional<Date> amended_plan_issued;  // the final amended plan
};

// Everything the hub holds for one pupil.
struct PupilRecords {
  records::Pupil pupil;
  std::optional<records::Sen> sen;
  std::vector<records::Cycle> cycles;
  std::vector<records::Provision> provision;
  std::vector<records::Review> reviews;
  std::vector<records::Referral> referrals;
  std::vector<records::EhcPlan> plans;
  std::vector<AnnualReviewSteps> annual_review_steps;
  // The day the pupil record (so its nc_year) was last received from its system: the NC year is
  // the pupil's year in that school year, and moves on by one each later school year (NcYearOn).
  // nullopt: the NC year is taken as current on every date.
  std::optional<Date> pupil_recorded_on;
};

// The census NC year (N1, N2, R, 1…14) of a pupil on `on`, given the year recorded on
// `recorded_on`: one more for each school year (from 1 September) between the two. X and unknown
// values stay as they are; a year past 14 or before N1 gives "".
std::string NcYearOn(const std::string& recorded, Date recorded_on, Date on);

// Rules that need several records (E with no active plan and no referral that led to one, plan
// without E, review referring to a missing cycle, …). Mostly warnings: records arrive in any order.
std::vector<Issue> CheckConsistency(const PupilRecords&);

// The census provision in force on a date: the history episode covering it, else the current
// provision when it started on or before the date (or has no start). nullopt when unknown.
std::optional<std::string> ProvisionOn(const records::Sen& sen, Date on);

// ---- Provision cost --------------------------------------------------------------------------

// School weeks per term/year are a convention [U], not a rule.
struct CostConfig {
  double weeks_per_term = 13;
  double weeks_per_year = 39;
};
// staff cost per week = hourly rate × staff hours per week ÷ group size; resources_cost (a yearly
// amount) is spread over the school weeks of the year.
struct ProvisionCost {
  double per_week = 0, per_term = 0, per_year = 0;
  double staff_hours_per_week = 0;  // sessions × minutes ÷ 60: the staff member's time
};
ProvisionCost Cost(const records::Provision&, const CostConfig& = {});

// ---- Stage models ----------------------------------------------------------------------------

// What holds a rhythm's meeting: "review" is a review of the pupil's cycle at the stage (or a
// review naming no cycle); "parent_meeting" is a review of the pupil recorded with parents_met.
inline constexpr std::string_view kMetByReview = "review";
inline constexpr std::string_view kMetByParentMeeting = "parent_meeting";

// A meeting a school holds while a pupil is at a stage (the stage's `rhythm`): one due every
// `every_days` from the cycle's start while the cycle runs, or only once, `every_days` after the
// start, when `repeat` is false. Each is met by a meeting after the one before fell due and on or
// before its own due date. Its clock id is "stage_" + id.
struct StageRhythm {
  std::string id, title;
  int every_days = 0;
  bool repeat = true;
  std::string met_by;  // kMetByReview or kMetByParentMeeting
  std::string source;
};
// A school-wide meeting in fixed months of the school year (the model's `calendar`), due by the
// last day of each month, for pupils whose open cycle names the model and one of `stages` (empty:
// every stage). Its clock id is "calendar_" + id.
struct CalendarMeeting {
  std::string id, title;
  std::vector<int> months;  // 1-12, in school-year order as written
  std::vector<std::string> stages;
  std::string met_by;
  std::string source;
};
// The model's `intervention_letter`: the school writes to the parents of every pupil receiving an
// intervention (seed 004). Clock "intervention_letter", one per provision that has started, due on
// its start and met by the provision's `parents_letter` date.
struct InterventionLetter {
  std::string title;
  std::string source;
};
struct Stage {
  std::string id, name;
  int review_period_days = 0;  // 0: no fixed period
  std::string description;
  std::optional<std::string> census_provision;  // the census code pupils at this stage carry
  std::vector<StageRhythm> rhythm;
};
struct StageModel {
  std::string id, name, source;
  std::vector<Stage> stages;
  std::vector<CalendarMeeting> calendar;
  std::optional<InterventionLetter> intervention_letter;  // absent: the model asks for no letter
  // A review deciding to escalate (escalate, request_ehc_assessment) or step down
  // (end_sen_support) prompts a cycle at the next or the previous stage, due this many days after
  // the review unless the review records its next review date (clock "stage_next").
  int next_stage_days = 14;
  const Stage* FindStage(std::string_view id) const;
};

class StageModels {
 public:
  // The four-part cycle and the six-stage school model (core/domain/data/stage_models/).
  static const StageModels& Builtin();
  // The built-in models plus an LA's own *.json files in `dir` (not recursive, read in name order).
  // Errors name the file and the JSON path; an id already taken is refused.
  Result<StageModels> WithDir(const std::string& dir) const;
  static Result<StageModels> LoadDir(const std::string& dir) { return Builtin().WithDir(dir); }
  // One model document; `origin` names it in errors (a file name).
  static Result<StageModel> Parse(const nlohmann::json& doc, const std::string& origin);

  const StageModel* Find(std::string_view id) const;
  const std::vector<StageModel>& all() const { return models_; }

 private:
  Status Add(StageModel model, const std::string& origin);
  std::vector<StageModel> models_;
  std::vector<std::string> origins_;
};

// Warns when a cycle names a stage model or stage that `models` does not know.
std::optional<Issue> CheckStage(const records::Cycle& cycle, const StageModels& models);

// ---- Clocks ----------------------------------------------------------------------------------

struct DueItem {
  // Stable ids: review_overdue, parent_meetings, ehc_decision_6w, ehc_no_plan_16w,
  // ehc_final_plan_20w, draft_comments_15d, annual_review_12m, annual_review_notice_2w,
  // annual_review_report_2w, annual_review_decision_4w, amended_plan_8w, amendment_12w,
  // phase_transfer, ehc_advice_6w, reassessment_14w; and from a stage model's rhythm
  // stage_<rhythm id>, calendar_<calendar id>, stage_next and intervention_letter
  // (docs/domain.md).
  std::string clock;
  std::string title;  // for people
  Date due;
  // upcoming, due (within the warning window), overdue, met, met_late, suspended, excused, and
  // breached (a minimum period cut short: a final plan issued inside the 15-day comment period)
  std::string state;
  std::string owner;  // who must act: school, la, family
  std::string record_kind, record_id;
  std::string detail;        // which exception applied, how many days late, …
  std::optional<Date> done;  // when the event happened, for met / met_late / breached
};

struct ClockConfig {
  int due_soon_days = 14;
  const Rules* rules = nullptr;               // nullptr: Rules::Builtin()
  const StageModels* stage_models = nullptr;  // nullptr: StageModels::Builtin()
};

// Every clock for one pupil as of a date, history included (met items), ordered by due date.
// Events recorded after `as_of` are treated as not yet happened.
std::vector<DueItem> Clocks(const PupilRecords&, Date as_of, const ClockConfig& = {});

// The national curriculum year a child born on `dob` is in during the school year containing
// `on` ("N1", "N2", "R", "1" … "14"; "" outside that range), by age alone.
std::string ChronologicalNcYear(Date dob, Date on);
// 1 September of the school year containing `on`.
Date SchoolYearStart(Date on);

// ---- Referral readiness ----------------------------------------------------------------------

struct ChecklistItem {
  std::string id, label;
  bool met = false;
  std::vector<std::string> evidence;  // "cycle:C1", "review:R2", "provision:P1", "referral:F1"
  std::string missing;                // what to do when not met
};
struct Readiness {
  bool ready = false;
  std::vector<ChecklistItem> items;
  // Whether an unmet checklist holds the request back. A request made by the parent or the young
  // person (requester_role parent / young_person) is theirs to make under section 36 of the
  // Children and Families Act 2014, which does not require SEN support first: for it the
  // checklist is advice (gate false) and `advice` says so, naming who asked.
  bool gate = true;
  std::string requested_by;  // the current request's requester_role; "" when none is recorded
  std::string advice;        // for people: why the checklist is advice only (empty when a gate)
};
// What an LA will expect in a request for an EHC needs assessment, and what is missing.
Readiness CheckReadiness(const PupilRecords&, Date as_of, const Rules& = Rules::Builtin());
// An evidence reference ("cycle:h71") as a person names the record: "the cycle begun 9 September
// 2024", "the review of 9 December 2024", "Reading catch-up (from 9 September 2024)", "the
// request", "the SEN record". The reference itself when the record is not among `pr`'s.
std::string EvidenceName(const PupilRecords& pr, const std::string& ref);

}  // namespace sendsync::domain
