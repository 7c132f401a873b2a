#include "fields.h"

#include <algorithm>

namespace sendsync::csv {
namespace {

using T = ValueType;

const std::vector<FieldSpec> kPupil = {
    {"pupil_id", T::kText},
    {"upn", T::kText},
    {"former_upn", T::kText},
    {"uln", T::kText},
    {"legal_surname", T::kText},
    {"legal_forename", T::kText},
    {"middle_names", T::kText},
    {"preferred_surname", T::kText},
    {"preferred_forename", T::kText},
    {"dob", T::kDate},
    {"sex", T::kText},
    {"nc_year", T::kText},
    {"school_urn", T::kText},
    {"laestab", T::kText},
    {"on_roll_from", T::kDate},
    {"on_roll_to", T::kDate},
    {"home_la", T::kText},
    {"eal", T::kBool},
    {"first_language", T::kText},
};

const std::vector<FieldSpec> kSen = {
    {"pupil_id", T::kText},
    {"upn", T::kText},
    {"provision", T::kText},
    {"provision_start", T::kDate},
    {"local_status", T::kText},
    {"need1", T::kText},
    {"need2", T::kText},
    {"sen_unit", T::kBool},
    {"resourced_provision", T::kBool},
    {"parents_informed", T::kDate},
    {"key_adult", T::kText},
};

const std::vector<FieldSpec> kProvision = {
    {"id", T::kText},
    {"pupil_id", T::kText},
    {"upn", T::kText},
    {"area", T::kText},
    {"intervention", T::kText},
    {"wave", T::kInt},
    {"group_size", T::kInt},
    {"delivery", T::kText},
    {"sessions_per_week", T::kNumber},
    {"minutes_per_session", T::kInt},
    {"staff_role", T::kText},
    {"provider", T::kText},
    {"start", T::kDate},
    {"end", T::kDate},
    {"parents_letter", T::kDate},
    {"hourly_rate", T::kMoney},
    {"resources_cost", T::kMoney},
    {"baseline_measure", T::kText},
    {"baseline_value", T::kText},
    {"baseline_date", T::kDate},
    {"exit_measure", T::kText},
    {"exit_value", T::kText},
    {"exit_date", T::kDate},
    {"target_ids", T::kList},
    {"cycle_id", T::kText},
};

const std::vector<FieldSpec> kReview = {
    {"id", T::kText},          {"pupil_id", T::kText},     {"upn", T::kText},
    {"cycle_id", T::kText},    {"date", T::kDate},         {"review_kind", T::kText},
    {"pupil_voice", T::kText}, {"parent_voice", T::kText}, {"parents_met", T::kBool},
    {"impact", T::kText},      {"decision", T::kText},     {"next_review", T::kDate},
};

const std::vector<FieldSpec> kNone;

}  // namespace

const char* ValueTypeName(ValueType type) {
  switch (type) {
    case T::kText:
      return "text";
    case T::kDate:
      return "date";
    case T::kInt:
      return "whole number";
    case T::kNumber:
      return "number";
    case T::kMoney:
      return "amount of money";
    case T::kBool:
      return "yes/no";
    case T::kList:
      return "list";
  }
  return "value";
}

const std::vector<std::string>& ReadKinds() {
  static const std::vector<std::string> k = {"pupil", "sen", "provision", "review"};
  return k;
}

const std::vector<std::string>& WriteKinds() {
  static const std::vector<std::string> k = {"sen", "provision", "review"};
  return k;
}

bool IsReadKind(std::string_view kind) {
  return std::find(ReadKinds().begin(), ReadKinds().end(), kind) != ReadKinds().end();
}

bool IsWriteKind(std::string_view kind) {
  return std::find(WriteKinds().begin(), WriteKinds().end(), kind) != WriteKinds().end();
}

const std::vector<FieldSpec>& KindFields(std::string_view kind) {
  if (kind == "pupil") return kPupil;
  if (kind == "sen") return kSen;
  if (kind == "provision") return kProvision;
  if (kind == "review") return kReview;
  return kNone;
}

const std::vector<std::string>& RequiredFields(std::string_view kind) {
  static const std::vector<std::string> pupil = {"upn", "legal_surname", "legal_forename", "dob",
                                                 "sex"};
  static const std::vector<std::string> sen = {"provision"};
  static const std::vector<std::string> provision = {
      "area", "intervention", "wave", "sessions_per_week", "minutes_per_session", "start"};
  static const std::vector<std::string> review = {"date", "review_kind"};
  static const std::vector<std::string> none;
  if (kind == "pupil") return pupil;
  if (kind == "sen") return sen;
  if (kind == "provision") return provision;
  if (kind == "review") return review;
  return none;
}

const FieldSpec* FindField(std::string_view kind, std::string_view name) {
  for (const FieldSpec& f : KindFields(kind))
    if (f.name == name) return &f;
  return nullptr;
}

}  // namespace sendsync::csv
