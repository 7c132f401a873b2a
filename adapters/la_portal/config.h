// Configuration of one la-portal link: where the LA's Referral API is, which LA it is, how to
// authenticate (OAuth2 client credentials or an API key), TLS, and the evidence pack's fonts.
// The JSON Schema in ConfigSchema() is the manifest's config_schema; Parse checks the same rules
// by hand (adapters do not link the host's schema validator) and names the key at fault, never a
// secret's value.
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "sendsync/sdk/status.h"

namespace sendsync::la_portal {

struct AuthConfig {
  std::string type;  // "oauth2" or "api_key"
  // oauth2
  std::string token_url, client_id, client_secret, scope;
  std::string client_auth = "basic";  // "basic" (HTTP Basic) or "form" (fields in the body)
  // api_key
  std::string header = "X-API-Key";
  std::string key;
};

struct Config {
  std::string base_url;  // the LA's server URL; API paths (/v1/...) are appended to it
  std::string la;        // three-digit LA code this link submits to
  AuthConfig auth;
  std::string ca_file;
  bool verify_tls = true;
  std::chrono::milliseconds timeout{30000};
  std::string fonts_dir = "/usr/share/fonts/truetype/dejavu";  // DejaVuSans(.ttf, -Bold.ttf)
  // The school's name for submissions whose context has none (the hub keeps no school record).
  std::string school_name;
  // The LA's name for the evidence pack (the hub holds no table of LA names; without it the
  // pack names the LA by its code).
  std::string la_name;
};

nlohmann::json ConfigSchema();
Result<Config> ParseConfig(const nlohmann::json& j);

// True for http:// URLs on a loopback host (allowed for labs and tests; everything else must be
// https://, since referrals carry special-category data).
bool IsLoopbackHttp(const std::string& url);

}  // namespace sendsync::la_portal
