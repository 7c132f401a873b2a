// The CTF adapter's configuration: its JSON Schema (for the manifest) and the checks Configure()
// runs, which name the offending key in every refusal. Internal to adapters/ctf.
#pragma once

#include <filesystem>
#include <optional>
#include <set>
#include <string>

#include <sendsync/sdk/status.h>
#include <nlohmann/json.hpp>

namespace sendsync::ctf {

struct School {
  std::string la;     // 3 digits (or XXX for an unknown destination)
  std::string estab;  // 4 digits, LLLL for an LA, XXXX for an unknown destination
  std::string name;
};

struct CtfConfig {
  std::filesystem::path drop_folder;
  std::optional<std::filesystem::path> out_folder;  // writing is off without it
  std::string ctf_version = "25.0";                 // written into files; accepted on read
  std::set<std::string> accept_versions;            // read: this version and the previous one
  std::optional<School> source;                     // the hub's school (or LA) as sender
  School destination{"XXX", "XXXX", ""};            // unknown unless configured
  int settle_seconds = 5;
  std::set<std::string> extra_need_types;

  bool destination_unknown() const { return destination.la == "XXX"; }
};

// The schema the manifest declares ("additionalProperties": false throughout).
nlohmann::json ConfigSchema();

// Checks `config` and fills the defaults. Refusals are InvalidArgument naming the key.
Result<CtfConfig> ParseConfig(const nlohmann::json& config);

}  // namespace sendsync::ctf
