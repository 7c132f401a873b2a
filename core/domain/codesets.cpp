// Code sets as versioned data: loading, checking the document, and date-aware lookups.
#include <cstdio>
#include <cstdlib>
#include <set>

#include "core/domain/codesets.h"
#include "core/domain/internal.h"

namespace sendsync::domain {

using nlohmann::json;

namespace {

// Sets the validators use: a document without them is refused.
constexpr std::string_view kRequiredSets[] = {sets::kSenProvision,
                                              sets::kNeedType,
                                              sets::kBroadArea,
                                              sets::kSex,
                                              sets::kNcYear,
                                              sets::kUnknownUpnReason,
                                              sets::kRequestOutcome,
                                              sets::kAssessmentOutcome,
                                              sets::kReviewOutcome,
                                              sets::kCeaseReason,
                                              sets::kRequestSource,
                                              sets::kReviewKind,
                                              sets::kReviewDecision,
                                              sets::kTargetProgress,
                                              sets::kContributionRole,
                                              sets::kCycleStatus,
                                              sets::kProvisionWave,
                                              sets::kProvisionDelivery,
                                              sets::kRequesterRole,
                                              sets::kReferralStatus,
                                              sets::kReferralDecision,
                                              sets::kConsentBy,
                                              sets::kClockExceptionReason};

bool ValidConfidence(const std::string& c) {
  return c == "V" || c == "S" || c == "U";
}

Status ReadEntry(const json& j, const std::string& path, const std::string& set_confidence,
                 CodeEntry& e) {
  using namespace detail;
  if (!j.is_object()) return Status::InvalidArgument(path + ": expected an object");
  SENDSYNC_RETURN_IF_ERROR(RejectUnknownKeys(j, path,
                                             {"code", "label", "from", "until", "confidence",
                                              "note", "group", "only_with", "requester_roles"}));
  SENDSYNC_RETURN_IF_ERROR(ReadString(j, "code", path, e.code, true));
  SENDSYNC_RETURN_IF_ERROR(ReadString(j, "label", path, e.label, true));
  SENDSYNC_RETURN_IF_ERROR(ReadDate(j, "from", path, e.from));
  SENDSYNC_RETURN_IF_ERROR(ReadDate(j, "until", path, e.until));
  SENDSYNC_RETURN_IF_ERROR(ReadString(j, "confidence", path, e.confidence, false));
  SENDSYNC_RETURN_IF_ERROR(ReadString(j, "note", path, e.note, false));
  SENDSYNC_RETURN_IF_ERROR(ReadString(j, "group", path, e.group, false));
  SENDSYNC_RETURN_IF_ERROR(ReadStringList(j, "only_with", path, e.only_with));
  SENDSYNC_RETURN_IF_ERROR(ReadStringList(j, "requester_roles", path, e.requester_roles));
  if (e.confidence.empty()) e.confidence = set_confidence;
  if (!ValidConfidence(e.confidence))
    return Status::InvalidArgument(Join(path, "confidence") + ": must be V, S or U");
  if (e.from && e.until && *e.until <= *e.from)
    return Status::InvalidArgument(Join(path, "until") + ": must be after \"from\"");
  return Status();
}

Status ReadSet(const json& j, const std::string& path, CodeSet& set) {
  using namespace detail;
  if (!j.is_object()) return Status::InvalidArgument(path + ": expected an object");
  SENDSYNC_RETURN_IF_ERROR(RejectUnknownKeys(
      j, path, {"id", "label", "source", "confidence", "required_from", "note", "codes"}));
  SENDSYNC_RETURN_IF_ERROR(ReadString(j, "id", path, set.id, true));
  SENDSYNC_RETURN_IF_ERROR(ReadString(j, "label", path, set.label, true));
  SENDSYNC_RETURN_IF_ERROR(ReadString(j, "source", path, set.source, false));
  SENDSYNC_RETURN_IF_ERROR(ReadString(j, "confidence", path, set.confidence, true));
  if (!ValidConfidence(set.confidence))
    return Status::InvalidArgument(Join(path, "confidence") + ": must be V, S or U");
  SENDSYNC_RETURN_IF_ERROR(ReadDate(j, "required_from", path, set.required_from));
  auto codes = j.find("codes");
  if (codes == j.end() || !codes->is_array() || codes->empty())
    return Status::InvalidArgument(Join(path, "codes") + ": expected a non-empty array");
  std::set<std::string> seen;
  for (size_t i = 0; i < codes->size(); ++i) {
    CodeEntry e;
    std::string epath = Index(Join(path, "codes"), i);
    SENDSYNC_RETURN_IF_ERROR(ReadEntry((*codes)[i], epath, set.confidence, e));
    // A code may appear twice only for disjoint periods; the lookup takes the first in force,
    // so overlapping duplicates would be ambiguous.
    if (!seen.insert(e.code).second)
      for (const CodeEntry& other : set.entries)
        if (other.code == e.code) {
          bool disjoint = (other.until && e.from && *other.until <= *e.from) ||
                          (e.until && other.from && *e.until <= *other.from);
          if (!disjoint)
            return Status::InvalidArgument(Join(epath, "code") + ": \"" + e.code +
                                           "\" appears twice with overlapping dates");
        }
    set.entries.push_back(std::move(e));
  }
  return Status();
}

}  // namespace

bool CodeEntry::InForce(Date on) const {
  return (!from || *from <= on) && (!until || on < *until);
}

const CodeEntry* CodeSet::Find(std::string_view code) const {
  for (const CodeEntry& e : entries)
    if (e.code == code) return &e;
  return nullptr;
}

Date LatestCodesDate() {
  return Date(2999, 12, 31);
}

const CodeSets& CodeSets::Builtin() {
  static const CodeSets kBuiltin = [] {
    Result<CodeSets> r = FromJson(detail::EmbeddedJson("code_sets.json"));
    if (!r.ok()) {
      std::fprintf(stderr, "sendsync: built-in code sets are invalid: %s\n",
                   r.status().ToString().c_str());
      std::abort();
    }
    return std::move(r).value();
  }();
  return kBuiltin;
}

Result<CodeSets> CodeSets::FromJson(const json& doc) {
  using namespace detail;
  if (!doc.is_object()) return Status::InvalidArgument("code sets: expected a JSON object");
  SENDSYNC_RETURN_IF_ERROR(
      RejectUnknownKeys(doc, "", {"format", "version", "description", "sets"}));
  int format = 0;
  SENDSYNC_RETURN_IF_ERROR(ReadInt(doc, "format", "", format, true));
  if (format != 1)
    return Status::InvalidArgument("format: this hub reads code-set format 1, got " +
                                   std::to_string(format));
  CodeSets out;
  SENDSYNC_RETURN_IF_ERROR(ReadString(doc, "version", "", out.version_, true));
  auto list = doc.find("sets");
  if (list == doc.end() || !list->is_array())
    return Status::InvalidArgument("sets: expected an array");
  for (size_t i = 0; i < list->size(); ++i) {
    CodeSet set;
    SENDSYNC_RETURN_IF_ERROR(ReadSet((*list)[i], Index("sets", i), set));
    if (out.Find(set.id))
      return Status::InvalidArgument(Join(Index("sets", i), "id") + ": set \"" + set.id +
                                     "\" appears twice");
    out.sets_.push_back(std::move(set));
  }
  for (std::string_view required : kRequiredSets)
    if (!out.Find(required))
      return Status::InvalidArgument("sets: the set \"" + std::string(required) + "\" is required");
  // Need types name their broad area and the provision codes they are limited to: both must exist.
  const CodeSet* needs = out.Find(sets::kNeedType);
  for (size_t i = 0; i < needs->entries.size(); ++i) {
    const CodeEntry& e = needs->entries[i];
    if (!e.group.empty() && !out.Find(sets::kBroadArea)->Find(e.group))
      return Status::InvalidArgument("need_type " + e.code + ": group \"" + e.group +
                                     "\" is not a broad_area code");
    for (const std::string& p : e.only_with)
      if (!out.Find(sets::kSenProvision)->Find(p))
        return Status::InvalidArgument("need_type " + e.code + ": only_with \"" + p +
                                       "\" is not a sen_provision code");
  }
  return out;
}

const CodeSet* CodeSets::Find(std::string_view set) const {
  for (const CodeSet& s : sets_)
    if (s.id == set) return &s;
  return nullptr;
}

const CodeEntry* CodeSets::FindEntry(std::string_view set, std::string_view code) const {
  const CodeSet* s = Find(set);
  if (!s) return nullptr;
  return s->Find(code);
}

CodeStatus CodeSets::Check(std::string_view set, std::string_view code, Date on) const {
  const CodeSet* s = Find(set);
  if (!s) return CodeStatus::kUnknownSet;
  const CodeEntry* any = nullptr;
  for (const CodeEntry& e : s->entries) {
    if (e.code != code) continue;
    if (e.InForce(on)) return CodeStatus::kValid;
    any = &e;
  }
  if (!any) return CodeStatus::kUnknown;
  return any->from && on < *any->from ? CodeStatus::kNotYetInForce : CodeStatus::kEnded;
}

std::vector<std::string> CodeSets::CodesInForce(std::string_view set, Date on) const {
  std::vector<std::string> out;
  if (const CodeSet* s = Find(set))
    for (const CodeEntry& e : s->entries)
      if (e.InForce(on)) out.push_back(e.code);
  return out;
}

bool CodeSets::ProvisionValid(std::string_view c, Date on) const {
  return Valid(sets::kSenProvision, c, on);
}
bool CodeSets::NeedTypeValid(std::string_view c, Date on) const {
  return Valid(sets::kNeedType, c, on);
}
bool CodeSets::BroadAreaValid(std::string_view c, Date on) const {
  return Valid(sets::kBroadArea, c, on);
}
bool CodeSets::SexValid(std::string_view c, Date on) const {
  return Valid(sets::kSex, c, on);
}
bool CodeSets::NcYearValid(std::string_view c, Date on) const {
  return Valid(sets::kNcYear, c, on);
}
bool CodeSets::UnknownUpnReason(std::string_view c) const {
  return Valid(sets::kUnknownUpnReason, c, LatestCodesDate());
}
bool CodeSets::RequestOutcomeValid(std::string_view c, Date on) const {
  return Valid(sets::kRequestOutcome, c, on);
}
bool CodeSets::AssessmentOutcomeValid(std::string_view c, Date on) const {
  return Valid(sets::kAssessmentOutcome, c, on);
}
bool CodeSets::ReviewOutcomeValid(std::string_view c, Date on) const {
  return Valid(sets::kReviewOutcome, c, on);
}
bool CodeSets::CeaseReasonValid(int c, Date on) const {
  return Valid(sets::kCeaseReason, std::to_string(c), on);
}
bool CodeSets::RequestSourceValid(int c, Date on) const {
  return Valid(sets::kRequestSource, std::to_string(c), on);
}
bool CodeSets::ReviewKindValid(std::string_view c, Date on) const {
  return Valid(sets::kReviewKind, c, on);
}
bool CodeSets::ReviewDecisionValid(std::string_view c, Date on) const {
  return Valid(sets::kReviewDecision, c, on);
}
bool CodeSets::TargetProgressValid(std::string_view c, Date on) const {
  return Valid(sets::kTargetProgress, c, on);
}

std::string_view CodeSets::BroadAreaOfNeed(std::string_view need_type) const {
  const CodeEntry* e = FindEntry(sets::kNeedType, need_type);
  return e ? std::string_view(e->group) : std::string_view();
}

}  // namespace sendsync::domain
