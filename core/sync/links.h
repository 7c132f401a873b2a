// Links: what `sendsync link …` and the admin API do (add, test, secrets, schedules).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "plugins/plugins.h"
#include "sendsync/sdk/status.h"

namespace sendsync::store {
class Store;
}  // namespace sendsync::store

namespace sendsync::sync {

struct LinkSpec {
  std::string name, school_urn, adapter_id, schedule = "manual";
  std::string adapter_version;  // an installed version to pin; "" follows the newest
  nlohmann::json config;        // secret fields as env:NAME or file:PATH references
  nlohmann::json settings;      // null: defaults from the adapter's manifest
};

// Checks the adapter exists and is usable, the config against its schema (secret fields must be
// references, never the secret itself), the settings, the schedule; then stores the link.
Result<int64_t> AddLink(store::Store& store, const LinkSpec& spec,
                        const plugins::RuntimeOptions& runtime, const std::string& plugin_dir,
                        const std::string& actor);
// Calls the adapter's check with the link's configuration, using the adapter version the link is
// pinned to, or `version` when given (to try a version before pinning it).
Status TestLink(store::Store& store, const std::string& name,
                const plugins::RuntimeOptions& runtime, const std::string& plugin_dir,
                const std::string& version = "");
// Resolves env:NAME / file:PATH references in the secret fields of `config`.
Result<nlohmann::json> ResolveSecrets(const nlohmann::json& config,
                                      const std::vector<std::string>& secret_fields);
// Parses a schedule: "manual", "every 30s|15m|2h", "daily HH:MM", "hourly". Errors say the forms.
Status ValidateSchedule(const std::string& schedule);

}  // namespace sendsync::sync
