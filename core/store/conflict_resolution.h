// How a person settled a field conflict: the `resolution` column of conflicts, `--take` on the
// command line and "take" in the API.
#pragma once

#include <string_view>

#include "sendsync/sdk/wire_enum.h"

namespace sendsync::store {

enum class ConflictResolution {
  kOurs,    // the hub's value stays and goes to the link
  kTheirs,  // the link's value is taken into the hub
  kValue,   // a value the person gave
};

inline constexpr wire::EnumTable<ConflictResolution, 3> kConflictResolutionNames{
    "conflict resolution",
    {{{ConflictResolution::kOurs, "ours"},
      {ConflictResolution::kTheirs, "theirs"},
      {ConflictResolution::kValue, "value"}}}};

inline const char* ConflictResolutionName(ConflictResolution r) {
  return kConflictResolutionNames.Name(r);
}
inline Result<ConflictResolution> ParseConflictResolution(std::string_view text) {
  return kConflictResolutionNames.Parse(text);
}

}  // namespace sendsync::store
