// Configuration of the mis-api adapter: its JSON Schema (for the manifest) and the checks Configure
// runs. Internal to adapters/mis_api.
#pragma once

#include <string>

#include <sendsync/sdk/status.h>
#include <nlohmann/json.hpp>

namespace sendsync::mis_api_adapter {

struct Config {
  std::string base_url;   // e.g. https://api.example/v1.0 (no trailing slash)
  std::string school_id;  // the API's id for the school
  std::string token;      // secret: never logged, never in a message or describe()
  std::string ca_file;    // extra PEM bundle to trust; empty = the system's
  bool verify_tls = true;
  int per_page = 100;
  int requests_in_flight = 4;  // pages fetched at once when the API offers id ranges
  int timeout_seconds = 30;
  int max_retry_after_seconds = 30;
};

// The config_schema of the manifest (token marked "secret": true).
nlohmann::json ConfigSchema();

// Checks `j` against the schema's rules and the ones a schema cannot say (http:// only to
// loopback, no credentials in the URL). Errors name the config key and never quote the token.
Result<Config> ParseConfig(const nlohmann::json& j);

}  // namespace sendsync::mis_api_adapter
