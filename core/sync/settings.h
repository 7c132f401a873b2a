// How a link treats each record kind: directions, field authority, code maps, allow-lists.
// docs/sync.md describes the model.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/sync/field_authority.h"
#include "plugins/plugins.h"
#include "sendsync/sdk/status.h"

namespace sendsync::sync {

// How one link treats one record kind.
struct KindSettings {
  bool read = false;   // pull this kind from the link
  bool write = false;  // push hub changes of this kind to the link
  // Who wins a field both sides changed: kLink (this link owns it), kHub (the hub's value is
  // kept), absent = nobody: a conflict for a person. "*" sets the default for other fields.
  std::map<std::string, FieldAuthority> authority;
  // Local code -> canonical code, per field path ("provision", "needs.type", "history.provision").
  // When a field has a map, a value missing from it is a validation failure, never a guess.
  std::map<std::string, std::map<std::string, std::string>> code_maps;
  // Fields allowed to leave the hub through this link. {"*"} allows all.
  std::vector<std::string> allow;

  // Who wins `field`; nullopt when nobody does.
  std::optional<FieldAuthority> AuthorityFor(const std::string& field) const;
  bool Allows(const std::string& field) const;
};

struct LinkSettings {
  std::map<std::string, KindSettings> kinds;

  // Parses the settings JSON: {"kinds": {"sen": {"direction": "read|write|both", "authority":
  // {...}, "code_maps": {...}, "allow": [...]}}}. Errors name the key. With a manifest, a kind the
  // adapter cannot read or write is refused.
  static Result<LinkSettings> Parse(const nlohmann::json& j, const plugins::Manifest* manifest);
  nlohmann::json ToJson() const;
  // Every kind the adapter supports, in the directions it supports, with no authority, no code maps
  // and the default allow-lists.
  static LinkSettings Defaults(const plugins::Manifest& manifest);
  const KindSettings* Find(const std::string& kind) const;
};

// The fields of `kind` that may leave the hub when a link says nothing (data minimisation).
const std::vector<std::string>& DefaultAllow(const std::string& kind);

}  // namespace sendsync::sync
