// ValidateJson: parse a canonical record (shape problems become RECORD_SHAPE issues) and validate
// it. The sync engine's hot path: one parse, no regexes, no copies of the JSON.
#include <nlohmann/json.hpp>

#include "core/domain/internal.h"
#include "core/domain/validation.h"

namespace sendsync::domain {

namespace {

template <typename Record>
std::vector<Issue> ParseAndValidate(const nlohmann::json& j, const CodeSets& sets) {
  Record record;
  records::Problems problems;
  if (records::FromJson(j, record, problems)) return Validate(record, sets);
  std::vector<Issue> out;
  out.reserve(problems.size());
  for (records::Problem& p : problems)
    detail::Add(out, "RECORD_SHAPE", std::move(p.path), std::move(p.message));
  return out;
}

}  // namespace

std::vector<Issue> ValidateJson(const nlohmann::json& j, const CodeSets& sets) {
  std::vector<Issue> out;
  if (!j.is_object()) {
    detail::Add(out, "RECORD_SHAPE", "$", "expected a JSON object");
    return out;
  }
  auto k = j.find("kind");
  if (k == j.end() || !k->is_string()) {
    detail::Add(out, "RECORD_SHAPE", "kind",
                k == j.end() ? "is required" : "expected a string naming the record kind");
    return out;
  }
  std::optional<records::Kind> kind = records::ParseKind(k->get_ref<const std::string&>());
  if (!kind) {
    detail::Add(out, "RECORD_SHAPE", "kind", "unknown record kind " + k->dump());
    return out;
  }
  switch (*kind) {
    case records::Kind::kPupil:
      return ParseAndValidate<records::Pupil>(j, sets);
    case records::Kind::kSen:
      return ParseAndValidate<records::Sen>(j, sets);
    case records::Kind::kCycle:
      return ParseAndValidate<records::Cycle>(j, sets);
    case records::Kind::kProvision:
      return ParseAndValidate<records::Provision>(j, sets);
    case records::Kind::kReview:
      return ParseAndValidate<records::Review>(j, sets);
    case records::Kind::kReferral:
      return ParseAndValidate<records::Referral>(j, sets);
    case records::Kind::kEhcPlan:
      return ParseAndValidate<records::EhcPlan>(j, sets);
  }
  return out;
}

}  // namespace sendsync::domain
