// The limits of docs/records.md, "Limits". Keep the two in step: the docs table lists these values.
#include <map>

#include "sendsync/sdk/records.h"

namespace sendsync::records {

namespace {

constexpr TextLimit kIdentifier{128, false};
constexpr TextLimit kCode{100, false};
constexpr TextLimit kName{100, false};
constexpr TextLimit kShortText{500, false};
constexpr TextLimit kFreeText{20000, true};

const std::map<std::string_view, TextLimit>& TextLimits() {
  static const std::map<std::string_view, TextLimit> limits = {
      // The DfE's exact lengths (UPN 13, ULN 10, LAESTAB 7, LA 3) are domain rules (UPN_LENGTH,
      // ULN_FORMAT, ...) that name the census error; the parser only caps them as codes.
      {"upn", kCode},
      {"former_upn", kCode},
      {"uln", kCode},
      {"laestab", kCode},
      {"la", kCode},
      {"home_la", kCode},
      // Identifiers and references to other records.
      {"id", kIdentifier},
      {"cycle_id", kIdentifier},
      {"referral_id", kIdentifier},
      {"target_id", kIdentifier},
      {"la_reference", kIdentifier},
      {"cycle_ids", kIdentifier},
      {"review_ids", kIdentifier},
      {"provision_ids", kIdentifier},
      {"planned_provision", kIdentifier},
      {"target_ids", kIdentifier},
      // Codes (before code maps run, a system's own wording).
      {"school_urn", kCode},
      {"sex", kCode},
      {"nc_year", kCode},
      {"provision", kCode},
      {"type", kCode},
      {"area", kCode},
      {"delivery", kCode},
      {"status", kCode},
      {"progress", kCode},
      {"role", kCode},
      {"review_kind", kCode},
      {"decision", kCode},
      {"la_decision", kCode},
      {"requester_role", kCode},
      {"by", kCode},
      {"request_outcome", kCode},
      {"assessment_outcome", kCode},
      {"reason", kCode},
      {"stage_model", kCode},
      {"stage", kCode},
      {"relationship", kCode},
      // Names of people.
      {"legal_surname", kName},
      {"legal_forename", kName},
      {"middle_names", kName},
      {"preferred_surname", kName},
      {"preferred_forename", kName},
      {"name", kName},
      {"requester_name", kName},
      {"key_adult", kName},
      // Short text on one line.
      {"local_status", kShortText},
      {"named_setting", kShortText},
      {"provider", kShortText},
      {"staff_role", kShortText},
      {"intervention", kShortText},
      {"measure", kShortText},
      {"value", kShortText},
      {"first_language", kShortText},
      {"phone", kShortText},
      {"email", kShortText},
      {"subject", kShortText},
      {"result", kShortText},
      {"assessment", kShortText},
      // Free-text notes: the only fields that may hold tab and line breaks.
      {"summary", kFreeText},
      {"assessment_summary", kFreeText},
      {"description", kFreeText},
      {"success_criteria", kFreeText},
      {"pupil_voice", kFreeText},
      {"parent_voice", kFreeText},
      {"impact", kFreeText},
      {"note", kFreeText},
      {"parent_views", kFreeText},
      {"pupil_views", kFreeText},
      {"decision_reason", kFreeText},
      {"address", kFreeText},
      {"reasons", kFreeText},
      {"unmet_needs", kFreeText},
      {"report", kFreeText},
  };
  return limits;
}

}  // namespace

TextLimit TextLimitOf(std::string_view field) {
  auto it = TextLimits().find(field);
  return it == TextLimits().end() ? kShortText : it->second;
}

std::optional<double> NumberLimitOf(std::string_view field) {
  static const std::map<std::string_view, double> limits = {
      {"sessions_per_week", 100},     // more than 14 a day, every day
      {"minutes_per_session", 1440},  // a whole day
      {"group_size", 1000},           // a whole school
      {"hourly_rate", 10000},         // pounds per staff hour
      {"resources_cost", 10000000},   // pounds a year
      {"possible_sessions", 1000},    // two a day for a whole year is under 400
      {"attended_sessions", 1000},
  };
  auto it = limits.find(field);
  if (it == limits.end()) return std::nullopt;
  return it->second;
}

}  // namespace sendsync::records
