#include "config.h"

#include <algorithm>
#include <regex>

#include <Poco/Exception.h>
#include <Poco/URI.h>

namespace sendsync::la_portal {

using nlohmann::json;

json ConfigSchema() {
  return {
      {"type", "object"},
      {"required", {"base_url", "la", "auth"}},
      {"additionalProperties", false},
      {"properties",
       {{"base_url",
         {{"type", "string"},
          {"description",
           "The LA's Referral API server URL, without /v1 (https://; http:// only on loopback)"}}},
        {"la",
         {{"type", "string"},
          {"pattern", "^[0-9]{3}$"},
          {"description", "Three-digit code of the LA this link submits to"}}},
        {"auth",
         {{"type", "object"},
          {"description", "How this LA authenticates callers: oauth2 or api_key"},
          {"required", {"type"}},
          {"additionalProperties", false},
          {"properties",
           {{"type", {{"type", "string"}, {"enum", {"oauth2", "api_key"}}}},
            {"token_url", {{"type", "string"}, {"description", "oauth2: the LA's token URL"}}},
            {"client_id", {{"type", "string"}}},
            {"client_secret", {{"type", "string"}, {"secret", true}}},
            {"scope", {{"type", "string"}}},
            {"client_auth", {{"type", "string"}, {"enum", {"basic", "form"}}}},
            {"header",
             {{"type", "string"}, {"description", "api_key: the header (default X-API-Key)"}}},
            {"key", {{"type", "string"}, {"secret", true}}}}}}},
        {"ca_file",
         {{"type", "string"}, {"description", "PEM file of CAs to trust for the LA's server"}}},
        {"verify_tls", {{"type", "boolean"}, {"default", true}}},
        {"timeout_ms", {{"type", "integer"}, {"minimum", 1000}, {"default", 30000}}},
        {"la_name",
         {{"type", "string"},
          {"description",
           "The LA's name as it is known to the school (e.g. \"Example Borough Council\"), shown "
           "in the evidence pack beside its code"}}},
        {"school_name",
         {{"type", "string"},
          {"description",
           "The school's name as the LA knows it, for referrals whose context carries none (the "
           "hub holds no school record; the API requires a name)"}}},
        {"fonts_dir",
         {{"type", "string"},
          {"description",
           "Folder with DejaVuSans.ttf and DejaVuSans-Bold.ttf for the evidence pack PDF; "
           "without them the PDF uses Helvetica (Latin-1)"}}}}}};
}

bool IsLoopbackHttp(const std::string& url) {
  try {
    Poco::URI u(url);
    const std::string h = u.getHost();
    return u.getScheme() == "http" && (h == "127.0.0.1" || h == "localhost" || h == "::1");
  } catch (const Poco::Exception&) {
    return false;
  }
}

namespace {

Status CheckUrl(const std::string& key, const std::string& url) {
  try {
    Poco::URI u(url);
    if (u.getScheme() == "https" && !u.getHost().empty()) return Status::OK();
  } catch (const Poco::Exception&) {
    return Status::InvalidArgument(key + " is not a URL");
  }
  if (IsLoopbackHttp(url)) return Status::OK();
  return Status::InvalidArgument(key + " must be an https:// URL (http:// only on loopback)");
}

Status Str(const json& j, const std::string& path, const char* key, std::string& out,
           bool required) {
  auto it = j.find(key);
  if (it == j.end()) {
    return required ? Status::InvalidArgument(path + key + " is required") : Status::OK();
  }
  if (!it->is_string()) return Status::InvalidArgument(path + key + " must be a string");
  out = it->get<std::string>();
  if (required && out.empty()) return Status::InvalidArgument(path + key + " must not be empty");
  return Status::OK();
}

Status ParseAuth(const json& a, AuthConfig& out) {
  if (!a.is_object()) return Status::InvalidArgument("auth must be an object");
  for (auto it = a.begin(); it != a.end(); ++it) {
    static const std::vector<std::string> kKnown = {
        "type", "token_url", "client_id", "client_secret", "scope", "client_auth", "header", "key"};
    if (std::find(kKnown.begin(), kKnown.end(), it.key()) == kKnown.end())
      return Status::InvalidArgument("auth." + it.key() + " is not a known setting");
  }
  SENDSYNC_RETURN_IF_ERROR(Str(a, "auth.", "type", out.type, true));
  if (out.type == "oauth2") {
    SENDSYNC_RETURN_IF_ERROR(Str(a, "auth.", "token_url", out.token_url, true));
    SENDSYNC_RETURN_IF_ERROR(CheckUrl("auth.token_url", out.token_url));
    SENDSYNC_RETURN_IF_ERROR(Str(a, "auth.", "client_id", out.client_id, true));
    SENDSYNC_RETURN_IF_ERROR(Str(a, "auth.", "client_secret", out.client_secret, true));
    SENDSYNC_RETURN_IF_ERROR(Str(a, "auth.", "scope", out.scope, false));
    SENDSYNC_RETURN_IF_ERROR(Str(a, "auth.", "client_auth", out.client_auth, false));
    if (out.client_auth != "basic" && out.client_auth != "form")
      return Status::InvalidArgument("auth.client_auth must be basic or form");
    return Status::OK();
  }
  if (out.type == "api_key") {
    SENDSYNC_RETURN_IF_ERROR(Str(a, "auth.", "header", out.header, false));
    static const std::regex kToken("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$");  // RFC 9110 field name
    if (!std::regex_match(out.header, kToken))
      return Status::InvalidArgument("auth.header is not a valid HTTP header name");
    return Str(a, "auth.", "key", out.key, true);
  }
  return Status::InvalidArgument("auth.type must be oauth2 or api_key");
}

}  // namespace

Result<Config> ParseConfig(const json& j) {
  if (!j.is_object()) return Status::InvalidArgument("the configuration must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    static const std::vector<std::string> kKnown = {"base_url",  "la",          "auth",
                                                    "ca_file",   "verify_tls",  "timeout_ms",
                                                    "fonts_dir", "school_name", "la_name"};
    if (std::find(kKnown.begin(), kKnown.end(), it.key()) == kKnown.end())
      return Status::InvalidArgument(it.key() + " is not a known setting");
  }
  Config c;
  SENDSYNC_RETURN_IF_ERROR(Str(j, "", "base_url", c.base_url, true));
  SENDSYNC_RETURN_IF_ERROR(CheckUrl("base_url", c.base_url));
  while (!c.base_url.empty() && c.base_url.back() == '/') c.base_url.pop_back();
  SENDSYNC_RETURN_IF_ERROR(Str(j, "", "la", c.la, true));
  static const std::regex kLa("^[0-9]{3}$");
  if (!std::regex_match(c.la, kLa))
    return Status::InvalidArgument("la must be a three-digit LA code");
  if (!j.contains("auth")) return Status::InvalidArgument("auth is required");
  SENDSYNC_RETURN_IF_ERROR(ParseAuth(j["auth"], c.auth));
  SENDSYNC_RETURN_IF_ERROR(Str(j, "", "ca_file", c.ca_file, false));
  if (j.contains("verify_tls")) {
    if (!j["verify_tls"].is_boolean())
      return Status::InvalidArgument("verify_tls must be true or false");
    c.verify_tls = j["verify_tls"];
  }
  if (j.contains("timeout_ms")) {
    if (!j["timeout_ms"].is_number_integer() || j["timeout_ms"].get<long>() < 1000)
      return Status::InvalidArgument("timeout_ms must be a whole number of at least 1000");
    c.timeout = std::chrono::milliseconds(j["timeout_ms"].get<long>());
  }
  SENDSYNC_RETURN_IF_ERROR(Str(j, "", "fonts_dir", c.fonts_dir, false));
  SENDSYNC_RETURN_IF_ERROR(Str(j, "", "school_name", c.school_name, false));
  SENDSYNC_RETURN_IF_ERROR(Str(j, "", "la_name", c.la_name, false));
  return c;
}

}  // namespace sendsync::la_portal
