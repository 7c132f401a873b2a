// What a queued change does to the record at the link: the "op" of a change in the outbox and in
// a write request. Used by the host (outbox rows, the push) and by adapter authors.
#pragma once

#include <string_view>

#include "sendsync/sdk/wire_enum.h"

namespace sendsync {

enum class ChangeOp { kUpsert, kDelete };

inline constexpr wire::EnumTable<ChangeOp, 2> kChangeOpNames{
    "change op", {{{ChangeOp::kUpsert, "upsert"}, {ChangeOp::kDelete, "delete"}}}};

// "upsert" or "delete".
inline const char* ChangeOpName(ChangeOp op) {
  return kChangeOpNames.Name(op);
}
inline Result<ChangeOp> ParseChangeOp(std::string_view text) {
  return kChangeOpNames.Parse(text);
}

}  // namespace sendsync
