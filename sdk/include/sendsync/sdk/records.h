// Canonical SEND record types and their JSON form (docs/records.md). These are what adapters read
// and write and what the hub stores. Parsing is strict and explains itself: every problem names the
// field path, so a bad record can be quarantined with reasons a person can act on.
//
// Shape rules shared by every kind:
//  - "kind" names the record kind; "id" is the source system's own id for the record (for pupils,
//    the system's pupil id); non-pupil records carry "pupil": {"id": ..., "upn": ...} to say whose
//    record it is (either or both).
//  - Dates are "yyyy-mm-dd". Money is pounds as a JSON number. Absent optional fields are omitted.
//  - Codes are the DfE's (census SEN provision N/K/E, need types, SEN2 outcome codes) after the
//    link's code maps have run; whether a code is valid for the record's date is a domain rule,
//    not a parsing rule.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sendsync/sdk/date.h"

namespace sendsync::records {

// Record kinds, with their JSON names.
enum class Kind { kPupil, kSen, kCycle, kProvision, kReview, kReferral, kEhcPlan };
const char* KindName(Kind kind);
std::optional<Kind> ParseKind(std::string_view name);
// Every kind, in dependency order (a pupil before anything that refers to it).
const std::vector<Kind>& AllKinds();

// One thing wrong with a record: where (JSON path, e.g. "needs[1].rank") and what.
struct Problem {
  std::string path;
  std::string message;
};
using Problems = std::vector<Problem>;

struct PupilRef {
  std::string id;   // the source system's pupil id; may be empty when only the UPN is known
  std::string upn;  // may be empty when only the system id is known
};

// A parent, carer or other contact the school holds for a pupil (a referral's pack gives the LA
// the family's contacts, with the consent the request carries).
struct Contact {
  std::string name;
  std::string relationship;  // the school's wording: mother, father, carer, grandparent, ...
  bool parental_responsibility = false;
  std::optional<std::string> phone;
  std::optional<std::string> email;
  std::optional<std::string> address;
};

// Attendance over a period (a term or a school year): sessions possible and attended.
struct AttendancePeriod {
  Date from;  // inclusive
  Date to;    // inclusive
  int possible_sessions = 0;
  int attended_sessions = 0;
};

// One attainment result (a teacher assessment, a test or a standardised score).
struct Attainment {
  std::string subject;                    // e.g. "Reading", "Mathematics"
  std::string result;                     // as the school records it: "WTS", "96", "Year 2 level"
  std::optional<std::string> assessment;  // what gave it: "KS1 teacher assessment", "NGRT"
  std::optional<Date> date;
};

struct Pupil {
  std::string id;  // source system's pupil id
  std::string upn;
  std::optional<std::string> former_upn;
  std::optional<std::string> uln;
  std::string legal_surname;
  std::string legal_forename;
  std::optional<std::string> middle_names;
  std::optional<std::string> preferred_surname;
  std::optional<std::string> preferred_forename;
  Date dob;
  std::string sex;                     // census Sex: M or F
  std::optional<std::string> nc_year;  // census NCyearActual: N1, N2, R, 1..14, X
  std::optional<std::string> school_urn;
  std::optional<std::string> laestab;  // 3-digit LA + 4-digit establishment, e.g. 8201234
  std::optional<Date> on_roll_from;
  std::optional<Date> on_roll_to;
  // What a request for an EHC needs assessment tells the LA about the child and family.
  std::optional<std::string> home_la;  // 3-digit code of the LA where the child lives
  std::optional<bool> eal;             // English as an additional language
  std::optional<std::string> first_language;
  std::vector<Contact> contacts;
  std::vector<AttendancePeriod> attendance;  // oldest first
  std::vector<Attainment> attainment;
};

// One dated census SEN provision episode.
struct SenEpisode {
  std::string provision;  // N, K or E (legacy S, A, P accepted in history from old CTFs)
  Date start;
  std::optional<Date> end;
};

struct SenNeed {
  std::string type;  // census SENtype: SPLD, MLD, ..., OTH, NSA, DS
  int rank = 1;      // 1 primary, 2 secondary
  std::optional<Date> start;
  std::optional<Date> end;
};

// An outside agency working with the pupil (educational psychology, speech and language therapy,
// CAMHS, ...), with the dates it was involved.
struct Agency {
  std::string name;
  std::optional<Date> from;
  std::optional<Date> to;
};

// A pupil's SEN status and needs as one system sees them.
struct Sen {
  PupilRef pupil;
  std::string provision;  // current census SENprovision: N, K or E
  std::optional<Date> provision_start;
  std::optional<std::string> local_status;  // the MIS's own status ("monitoring"), kept apart
  std::vector<SenNeed> needs;
  std::vector<SenEpisode> history;  // earlier and current episodes, oldest first
  bool sen_unit = false;            // LA-recognised SEN unit (GIAS), not internal arrangements
  bool resourced_provision = false;
  // The date the school told the parents it was making special educational provision (a duty,
  // Code of Practice 6.43 and CFA 2014 s68).
  std::optional<Date> parents_informed;
  std::optional<std::string> key_adult;  // the member of staff the pupil goes to
  std::vector<Agency> agencies;          // outside agencies involved
};

// Who contributed to an assessment or attended a meeting.
struct Contribution {
  std::string role;  // teacher, parent, pupil, senco, specialist, ta, health, social_care, other
  std::optional<std::string> name;
  std::optional<Date> date;
  std::optional<std::string> summary;
  // The professional's report itself (its full text), for advice given with a referral: sent to
  // the LA as its own document, filed under the category its author's role belongs to.
  std::optional<std::string> report;
};

struct Target {
  std::string id;
  std::string description;
  std::string success_criteria;
  std::optional<Date> due;
  // not_started, in_progress, achieved, partially_achieved, not_achieved
  std::string progress = "not_started";
};

struct Outcome {
  std::string id;
  std::string description;
  std::vector<Target> targets;
};

// One Assess/Plan/Do/Review round (a SEN support plan / IEP).
struct Cycle {
  std::string id;
  PupilRef pupil;
  std::optional<std::string> stage_model;  // id of a stage model file, e.g. "six-stage-school"
  std::optional<std::string> stage;        // stage id within that model
  Date start;
  std::optional<std::string> assessment_summary;
  std::vector<Contribution> assessment_sources;
  std::vector<Outcome> outcomes;
  std::vector<std::string> planned_provision;  // provision entry ids
  std::optional<Date> review_date;
  std::string status = "open";  // open, completed, cancelled
  std::optional<Date> completed;
};

struct Measure {
  std::string measure;  // what was measured (e.g. "reading age (months)")
  std::string value;
  std::optional<Date> date;
};

struct Provision {
  std::string id;
  PupilRef pupil;
  std::string area;  // broad area: CL, SEMH, CI, SP
  std::string intervention;
  int wave = 2;  // 1 universal, 2 targeted, 3 specialist/individual
  int group_size = 1;
  std::optional<std::string> delivery;  // in_class or withdrawal
  double sessions_per_week = 0;
  int minutes_per_session = 0;
  std::optional<std::string> staff_role;
  std::optional<std::string> provider;
  Date start;
  std::optional<Date> end;
  // When the school sent the parents its intervention letter about this provision (seed 004:
  // "intervention letter goes to all parents of children receiving any intervention").
  std::optional<Date> parents_letter;
  double hourly_rate = 0;     // pounds per staff hour
  double resources_cost = 0;  // pounds per year for materials and licences
  std::optional<Measure> baseline;
  std::optional<Measure> exit;
  std::vector<std::string> target_ids;
  std::optional<std::string> cycle_id;
};

struct TargetProgress {
  std::string target_id;
  std::string progress;  // as Target::progress
  std::optional<std::string> note;
};

struct Review {
  std::string id;
  PupilRef pupil;
  std::optional<std::string> cycle_id;
  Date date;
  std::string review_kind;  // sen_support, ehc_annual, interim
  std::vector<Contribution> attendees;
  std::optional<std::string> pupil_voice;
  std::optional<std::string> parent_voice;
  bool parents_met = false;  // counts as one of the (at least) three meetings with parents a year
  std::vector<TargetProgress> progress;
  std::optional<std::string> impact;
  // continue, adjust, escalate, end_sen_support, request_ehc_assessment
  std::optional<std::string> decision;
  std::optional<Date> next_review;
  // Annual review (ehc_annual) follow-up steps, when the school or LA records them. They drive the
  // statutory clocks after the meeting (report within 2 weeks, LA decision within 4 weeks, ...).
  std::optional<Date> notice_sent;          // invitations and advice requests sent
  std::optional<Date> report_sent;          // the review report sent to the LA
  std::optional<Date> la_decision_date;     // the LA's decision to maintain, amend or cease
  std::optional<std::string> la_decision;   // SEN2 ReviewOutcome: A amend, C cease, M maintain
  std::optional<Date> proposals_sent;       // amendment notice with the proposed changes
  std::optional<Date> amended_plan_issued;  // the final amended plan
};

struct Consent {
  bool given = false;
  std::optional<Date> date;
  std::optional<std::string> by;  // parent, young_person
};

// A statutory clock exception (SEND Regulations 2014): a reason with the dates it covers.
struct ClockException {
  // school_closure (>= 4 weeks), exceptional_personal_circumstances, away_from_area (>= 4 weeks)
  std::string reason;
  Date from;
  std::optional<Date> to;
};

// A request for an EHC needs assessment and what the LA did with it.
struct Referral {
  std::string id;
  PupilRef pupil;
  std::string requester_role;         // parent, young_person, school, health, social_care, other
  std::optional<int> request_source;  // SEN2 RequestSource 1..5
  std::optional<std::string> requester_name;
  // The requester's own reference for the request, unique across every hub that may send to the
  // same LA (the school's URN and a random part); assigned when the request is submitted.
  std::optional<std::string> client_reference;
  std::optional<std::string> la;  // 3-digit LA code the request goes to
  std::optional<Date> request_date;
  // evidence
  std::vector<std::string> cycle_ids;
  std::vector<std::string> review_ids;
  std::vector<std::string> provision_ids;
  std::vector<Contribution> external_advice;
  std::optional<std::string> parent_views;
  std::optional<std::string> pupil_views;
  // The school's reasons for asking, and what it cannot provide from its own resources.
  std::optional<std::string> reasons;
  std::optional<std::string> unmet_needs;
  Consent consent;
  // the LA's side
  std::optional<std::string> la_reference;
  // draft, submitted, received, more_info_requested, assessing, not_assessing, draft_plan,
  // plan_issued, no_plan, withdrawn
  std::string status = "draft";
  std::optional<Date> received_date;
  std::optional<Date> decision_date;    // decision whether to assess
  std::optional<std::string> decision;  // assess, not_assess
  std::optional<std::string> decision_reason;
  std::optional<Date> draft_plan_date;
  std::optional<Date> final_plan_date;
  std::optional<Date> no_plan_date;
  std::optional<std::string> request_outcome;     // SEN2 RequestOutcome Y N A W H
  std::optional<std::string> assessment_outcome;  // SEN2 AssessmentOutcome Y N A W H
  std::vector<ClockException> clock_exceptions;
};

struct EhcPlan {
  std::string id;
  PupilRef pupil;
  std::optional<std::string> la;
  Date issued;
  std::optional<std::string> named_setting;
  std::optional<Date> last_annual_review;
  std::optional<Date> next_annual_review;
  std::optional<Date> ceased;
  std::optional<int> cease_reason;  // SEN2 CeaseReason 1..9
  std::optional<std::string> referral_id;
};

// JSON conversion. From* functions append every problem found to `problems` and return false when
// there is at least one; the output is then partially filled and must not be used.
void ToJson(const Pupil& r, nlohmann::json& j);
void ToJson(const Sen& r, nlohmann::json& j);
void ToJson(const Cycle& r, nlohmann::json& j);
void ToJson(const Provision& r, nlohmann::json& j);
void ToJson(const Review& r, nlohmann::json& j);
void ToJson(const Referral& r, nlohmann::json& j);
void ToJson(const EhcPlan& r, nlohmann::json& j);
bool FromJson(const nlohmann::json& j, Pupil& out, Problems& problems);
bool FromJson(const nlohmann::json& j, Sen& out, Problems& problems);
bool FromJson(const nlohmann::json& j, Cycle& out, Problems& problems);
bool FromJson(const nlohmann::json& j, Provision& out, Problems& problems);
bool FromJson(const nlohmann::json& j, Review& out, Problems& problems);
bool FromJson(const nlohmann::json& j, Referral& out, Problems& problems);
bool FromJson(const nlohmann::json& j, EhcPlan& out, Problems& problems);

// Checks that `j` is a well-formed record of its declared kind (parses it and throws the value
// away). Returns the kind, or nullopt with problems.
std::optional<Kind> CheckShape(const nlohmann::json& j, Problems& problems);

// Limits every record is held to when parsed (docs/records.md, "Limits"): a text field has a
// maximum length in characters (sendsync's own; the DfE's exact lengths of UPN, ULN, LAESTAB and
// LA are domain rules that name the census error) and no control characters (free-text notes may
// hold tab and line breaks, nothing else may); money and durations are finite and at most a sane
// maximum. A value past a limit is a problem naming the field and the limit, so the record is
// quarantined.
struct TextLimit {
  size_t max_chars;
  bool multiline;  // tab, line feed and carriage return allowed (free-text notes)
};
// The limit of the text field named `field` (the last part of its path, e.g. "legal_surname").
TextLimit TextLimitOf(std::string_view field);
// The largest value the numeric field `field` may hold; nullopt when only finiteness is asked.
std::optional<double> NumberLimitOf(std::string_view field);

// Field names of a kind other than the envelope ("kind", "id", "pupil"): what merge and
// allow-lists work on.
const std::vector<std::string>& FieldNames(Kind kind);

}  // namespace sendsync::records
