// Internal to core/store: small helpers for building batched SQL.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/store/db.h"

namespace sendsync::store::detail {

// "(?,?,?)" with n placeholders.
std::string InList(size_t n);

// Calls `fn(first, last)` for consecutive slices of at most `chunk` elements of [0, n).
Status ForChunks(size_t n, size_t chunk, const std::function<Status(size_t, size_t)>& fn);

// Optional text as a Value (nullopt -> NULL).
Value Opt(const std::optional<std::string>& v);
Value OptInt(const std::optional<int64_t>& v);
Value TextOrNull(const std::string& v);  // "" -> NULL
std::optional<int64_t> OptIntOf(const Value& v);

// Moves the hub generation on (see HubGeneration in store.h); every store function that changes
// records, link records or links calls it in the caller's transaction (where it moves once, at
// COMMIT: Conn::HubChanged).
Status BumpHubGeneration(Conn& conn);

// Parses stored JSON text; a damaged value becomes a Corruption status naming `what`.
Result<nlohmann::json> ParseStored(const std::string& text, const std::string& what);

}  // namespace sendsync::store::detail
