// Who wins a field that both the hub and a link changed: the values of a link's settings
// "authority" map (docs/links.md). Parsed when the settings are read (core/sync/settings.cpp).
#pragma once

#include <string_view>

#include "sendsync/sdk/wire_enum.h"

namespace sendsync::sync {

enum class FieldAuthority {
  kLink,  // the link owns the field: its value is taken
  kHub,   // the hub's value is kept and goes to the link
};

inline constexpr wire::EnumTable<FieldAuthority, 2> kFieldAuthorityNames{
    "field authority", {{{FieldAuthority::kLink, "link"}, {FieldAuthority::kHub, "hub"}}}};

inline const char* FieldAuthorityName(FieldAuthority a) {
  return kFieldAuthorityNames.Name(a);
}
inline Result<FieldAuthority> ParseFieldAuthority(std::string_view text) {
  return kFieldAuthorityNames.Parse(text);
}

}  // namespace sendsync::sync
