// The rules document (time limits, conventions, thresholds) and its loader.
#include <cstdio>
#include <cstdlib>

#include "core/domain/internal.h"
#include "core/domain/rules.h"

namespace sendsync::domain {

using nlohmann::json;

namespace {

struct Limit {
  const char* name;
  int Rules::*field;
};

constexpr Limit kLimits[] = {
    {"decide_to_assess_days", &Rules::decide_to_assess_days},
    {"no_plan_days", &Rules::no_plan_days},
    {"final_plan_days", &Rules::final_plan_days},
    {"draft_comment_days", &Rules::draft_comment_days},
    {"annual_review_months", &Rules::annual_review_months},
    {"review_notice_days", &Rules::review_notice_days},
    {"review_report_days", &Rules::review_report_days},
    {"review_decision_days", &Rules::review_decision_days},
    {"amended_plan_days", &Rules::amended_plan_days},
    {"amendment_whole_days", &Rules::amendment_whole_days},
    {"parent_meetings_per_year", &Rules::parent_meetings_per_year},
    {"sen_support_review_days", &Rules::sen_support_review_days},
    {"min_completed_cycles", &Rules::min_completed_cycles},
    {"advice_days", &Rules::advice_days},
    {"reassessment_days", &Rules::reassessment_days},
};

// "mm-dd" → (month, day); any year's calendar must hold it (29 February is refused).
Status ReadMonthDay(const json& v, const std::string& path, std::pair<int, int>& out) {
  std::string s = v.is_string() ? v.get<std::string>() : "";
  std::optional<Date> d = s.size() == 5 ? Date::Parse("2001-" + s) : std::nullopt;
  if (!d) return Status::InvalidArgument(path + ": expected \"mm-dd\", got " + v.dump());
  out = {d->month(), d->day()};
  return Status();
}

Status ReadConfidence(const json& j, const std::string& path, std::string& out) {
  SENDSYNC_RETURN_IF_ERROR(detail::ReadString(j, "confidence", path, out, true));
  if (out != "V" && out != "S" && out != "U")
    return Status::InvalidArgument(detail::Join(path, "confidence") + ": must be V, S or U");
  return Status();
}

Status ReadLimits(const json& doc, Rules& r) {
  using namespace detail;
  auto limits = doc.find("limits");
  if (limits == doc.end() || !limits->is_object())
    return Status::InvalidArgument("limits: expected an object");
  for (auto it = limits->begin(); it != limits->end(); ++it) {
    bool known = false;
    for (const Limit& l : kLimits) known = known || it.key() == l.name;
    if (!known) return Status::InvalidArgument("limits." + it.key() + ": is not a known limit");
  }
  for (const Limit& l : kLimits) {
    std::string path = std::string("limits.") + l.name;
    auto v = limits->find(l.name);
    if (v == limits->end() || !v->is_object())
      return Status::InvalidArgument(path + ": is required (an object with value and confidence)");
    SENDSYNC_RETURN_IF_ERROR(RejectUnknownKeys(*v, path, {"value", "confidence", "source"}));
    RuleFact fact;
    fact.name = l.name;
    SENDSYNC_RETURN_IF_ERROR(ReadInt(*v, "value", path, fact.value, true));
    SENDSYNC_RETURN_IF_ERROR(ReadConfidence(*v, path, fact.confidence));
    SENDSYNC_RETURN_IF_ERROR(ReadString(*v, "source", path, fact.source, false));
    if (fact.value <= 0) return Status::InvalidArgument(path + ".value: must be positive");
    r.*(l.field) = fact.value;
    r.facts.push_back(std::move(fact));
  }
  return Status();
}

Status ReadExceptions(const json& doc, const CodeSets& codes, Rules& r) {
  using namespace detail;
  auto list = doc.find("exceptions");
  if (list == doc.end() || !list->is_array())
    return Status::InvalidArgument("exceptions: expected an array");
  for (size_t i = 0; i < list->size(); ++i) {
    const json& j = (*list)[i];
    std::string path = Index("exceptions", i);
    if (!j.is_object()) return Status::InvalidArgument(path + ": expected an object");
    SENDSYNC_RETURN_IF_ERROR(RejectUnknownKeys(
        j, path, {"reason", "effect", "min_days", "window_shift_days", "confidence", "note"}));
    ExceptionRule e;
    std::string effect, confidence;
    SENDSYNC_RETURN_IF_ERROR(ReadString(j, "reason", path, e.reason, true));
    SENDSYNC_RETURN_IF_ERROR(ReadString(j, "effect", path, effect, true));
    SENDSYNC_RETURN_IF_ERROR(ReadInt(j, "min_days", path, e.min_days, true));
    SENDSYNC_RETURN_IF_ERROR(ReadConfidence(j, path, confidence));
    auto shift = j.find("window_shift_days");
    if (shift != j.end()) {
      if (!shift->is_number_integer() || std::abs(shift->get<long long>()) > 366)
        return Status::InvalidArgument(path +
                                       ".window_shift_days: expected a whole number of "
                                       "days within a year");
      e.window_shift_days = shift->get<int>();
    }
    if (effect != "suspend" && effect != "excuse")
      return Status::InvalidArgument(path + ".effect: must be \"suspend\" or \"excuse\"");
    e.suspends = effect == "suspend";
    if (!codes.Find(sets::kClockExceptionReason)->Find(e.reason))
      return Status::InvalidArgument(path + ".reason: \"" + e.reason +
                                     "\" is not in the clock_exception_reason code set");
    if (r.FindException(e.reason))
      return Status::InvalidArgument(path + ".reason: \"" + e.reason + "\" appears twice");
    r.exceptions.push_back(std::move(e));
  }
  for (const CodeEntry& c : codes.Find(sets::kClockExceptionReason)->entries)
    if (!r.FindException(c.code))
      return Status::InvalidArgument("exceptions: no rule for the reason \"" + c.code + "\"");
  return Status();
}

Status ReadPhaseTransfers(const json& doc, const CodeSets& codes, Rules& r) {
  using namespace detail;
  auto list = doc.find("phase_transfers");
  if (list == doc.end() || !list->is_array())
    return Status::InvalidArgument("phase_transfers: expected an array");
  for (size_t i = 0; i < list->size(); ++i) {
    const json& j = (*list)[i];
    std::string path = Index("phase_transfers", i);
    if (!j.is_object()) return Status::InvalidArgument(path + ": expected an object");
    SENDSYNC_RETURN_IF_ERROR(
        RejectUnknownKeys(j, path, {"nc_year", "to", "deadline", "confidence", "note"}));
    PhaseTransfer t;
    std::string confidence;
    SENDSYNC_RETURN_IF_ERROR(ReadString(j, "nc_year", path, t.nc_year, true));
    SENDSYNC_RETURN_IF_ERROR(ReadString(j, "to", path, t.to_phase, true));
    SENDSYNC_RETURN_IF_ERROR(ReadConfidence(j, path, confidence));
    if (!codes.NcYearValid(t.nc_year, LatestCodesDate()))
      return Status::InvalidArgument(path + ".nc_year: \"" + t.nc_year +
                                     "\" is not an nc_year code");
    auto deadline = j.find("deadline");
    if (deadline == j.end()) return Status::InvalidArgument(path + ".deadline: is required");
    std::pair<int, int> md;
    SENDSYNC_RETURN_IF_ERROR(ReadMonthDay(*deadline, path + ".deadline", md));
    t.month = md.first;
    t.day = md.second;
    r.phase_transfers.push_back(std::move(t));
  }
  return Status();
}

// {"value": [...], "confidence": ..., "note": ...}
Status ReadValueList(const json& doc, const char* key, std::vector<std::string>& out) {
  using namespace detail;
  auto v = doc.find(key);
  if (v == doc.end() || !v->is_object())
    return Status::InvalidArgument(std::string(key) + ": expected an object with value");
  SENDSYNC_RETURN_IF_ERROR(RejectUnknownKeys(*v, key, {"value", "confidence", "note"}));
  std::string confidence;
  SENDSYNC_RETURN_IF_ERROR(ReadConfidence(*v, key, confidence));
  SENDSYNC_RETURN_IF_ERROR(ReadStringList(*v, "value", key, out));
  if (out.empty()) return Status::InvalidArgument(std::string(key) + ".value: must not be empty");
  return Status();
}

}  // namespace

const ExceptionRule* Rules::FindException(std::string_view reason) const {
  for (const ExceptionRule& e : exceptions)
    if (e.reason == reason) return &e;
  return nullptr;
}

const Rules& Rules::Builtin() {
  static const Rules kBuiltin = [] {
    Result<Rules> r = FromJson(detail::EmbeddedJson("rules.json"));
    if (!r.ok()) {
      std::fprintf(stderr, "sendsync: built-in rules are invalid: %s\n",
                   r.status().ToString().c_str());
      std::abort();
    }
    return std::move(r).value();
  }();
  return kBuiltin;
}

Result<Rules> Rules::FromJson(const json& doc) {
  using namespace detail;
  if (!doc.is_object()) return Status::InvalidArgument("rules: expected a JSON object");
  SENDSYNC_RETURN_IF_ERROR(RejectUnknownKeys(doc, "",
                                             {"format", "description", "limits", "exceptions",
                                              "phase_transfers", "term_ends", "specialist_roles"}));
  int format = 0;
  SENDSYNC_RETURN_IF_ERROR(ReadInt(doc, "format", "", format, true));
  if (format != 1)
    return Status::InvalidArgument("format: this hub reads rules format 1, got " +
                                   std::to_string(format));
  const CodeSets& codes = CodeSets::Builtin();
  Rules r;
  SENDSYNC_RETURN_IF_ERROR(ReadLimits(doc, r));
  SENDSYNC_RETURN_IF_ERROR(ReadExceptions(doc, codes, r));
  SENDSYNC_RETURN_IF_ERROR(ReadPhaseTransfers(doc, codes, r));
  std::vector<std::string> ends;
  SENDSYNC_RETURN_IF_ERROR(ReadValueList(doc, "term_ends", ends));
  for (size_t i = 0; i < ends.size(); ++i) {
    std::pair<int, int> md;
    SENDSYNC_RETURN_IF_ERROR(ReadMonthDay(json(ends[i]), Index("term_ends.value", i), md));
    // Term ends are in school-year order (September first).
    if (!r.term_ends.empty()) {
      auto key = [](std::pair<int, int> x) { return ((x.first + 3) % 12) * 100 + x.second; };
      if (key(md) <= key(r.term_ends.back()))
        return Status::InvalidArgument(Index("term_ends.value", i) +
                                       ": term ends must be in school-year order");
    }
    r.term_ends.push_back(md);
  }
  SENDSYNC_RETURN_IF_ERROR(ReadValueList(doc, "specialist_roles", r.specialist_roles));
  for (size_t i = 0; i < r.specialist_roles.size(); ++i)
    if (!codes.Find(sets::kContributionRole)->Find(r.specialist_roles[i]))
      return Status::InvalidArgument(Index("specialist_roles.value", i) + ": \"" +
                                     r.specialist_roles[i] + "\" is not a contribution_role code");
  return r;
}

}  // namespace sendsync::domain
