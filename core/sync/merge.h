// The three-way merge of one record (pure) and the code maps between a link's codes and the hub's.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/sync/settings.h"

namespace sendsync::sync {

struct FieldConflict {
  std::string field;
  std::optional<nlohmann::json> base, ours, theirs;  // nullopt = the field is absent
};

struct MergeOutcome {
  nlohmann::json merged;             // the hub's fields after the merge
  nlohmann::json agreed_base;        // what the link and the hub now agree on (the link's new base)
  std::vector<std::string> changed;  // hub fields that changed
  std::vector<FieldConflict> conflicts;
};

// Merges `theirs` (the fields a link sent) into `ours` (the hub's fields; null when the hub has no
// such record) against `base` (what this link last agreed; null when never). A field absent from
// `theirs` means the link has no opinion on it; an explicit null clears it. Fields in `held` (open
// conflicts) are left alone. Authority settles fields both sides changed.
MergeOutcome Merge(const nlohmann::json* base, const nlohmann::json* ours,
                   const nlohmann::json& theirs, const KindSettings& settings,
                   const std::set<std::string>& held);

// Applies the link's code maps to a record in place; returns a problem per unmapped value.
std::vector<std::string> ApplyCodeMaps(nlohmann::json& record, const KindSettings& settings);
// Maps canonical codes back to the link's local codes (where several local codes map to one
// canonical code, the alphabetically first is used).
void ReverseCodeMaps(nlohmann::json& record, const KindSettings& settings);

}  // namespace sendsync::sync
