#include "config.h"

#include <unistd.h>

#include <Poco/Exception.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/URI.h>

namespace sendsync::mis_api_adapter {

using nlohmann::json;

namespace {

bool IsLoopback(const std::string& host) {
  if (host == "localhost") return true;
  Poco::Net::IPAddress ip;
  return Poco::Net::IPAddress::tryParse(host, ip) && ip.isLoopback();
}

Status Refuse(const std::string& key, const std::string& why) {
  return Status::InvalidArgument("config key '" + key + "' " + why);
}

// Reads an optional integer in [lo, hi].
Status ReadInt(const json& j, const char* key, int lo, int hi, int& out) {
  if (!j.contains(key)) return Status::OK();
  const json& v = j[key];
  if (!v.is_number_integer() || v.get<long long>() < lo || v.get<long long>() > hi)
    return Refuse(
        key, "must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
  out = v.get<int>();
  return Status::OK();
}

Status ReadBaseUrl(const json& j, Config& c) {
  if (!j.contains("base_url") || !j["base_url"].is_string() ||
      j["base_url"].get<std::string>().empty())
    return Refuse("base_url", "is required: the API's address, e.g. https://api.example/v1.0");
  c.base_url = j["base_url"];
  Poco::URI uri;
  try {
    uri = Poco::URI(c.base_url);
  } catch (const Poco::Exception&) {
    return Refuse("base_url", "is not a URL");
  }
  const std::string scheme = uri.getScheme();
  if (scheme != "https" && scheme != "http") return Refuse("base_url", "must start with https://");
  if (uri.getHost().empty()) return Refuse("base_url", "has no host name");
  // Credentials belong in 'token' (a secret reference), never in a URL that describe() shows.
  if (!uri.getUserInfo().empty())
    return Refuse("base_url", "must not contain a user name or password; set 'token' instead");
  if (!uri.getRawQuery().empty() || !uri.getFragment().empty())
    return Refuse("base_url", "must not have a query (?...) or fragment (#...)");
  if (scheme == "http" && !IsLoopback(uri.getHost()))
    return Refuse("base_url",
                  "uses http:// to a remote host; pupil data must travel over https://");
  while (!c.base_url.empty() && c.base_url.back() == '/') c.base_url.pop_back();
  return Status::OK();
}

}  // namespace

json ConfigSchema() {
  return {
      {"type", "object"},
      {"required", {"base_url", "school_id", "token"}},
      {"additionalProperties", false},
      {"properties",
       {{"base_url",
         {{"type", "string"},
          {"minLength", 1},
          {"description",
           "the API's base address including its version, e.g. https://api.example/v1.0 "
           "(http:// only to this machine, for tests)"}}},
        {"school_id",
         {{"type", "string"},
          {"minLength", 1},
          {"description", "the school's id in the API (as shown by the MIS vendor)"}}},
        {"token",
         {{"type", "string"},
          {"minLength", 1},
          {"secret", true},
          {"description",
           "bearer token for this school; give a reference such as env:MIS_TOKEN or "
           "file:/etc/sendsync/mis.token"}}},
        {"ca_file",
         {{"type", "string"},
          {"minLength", 1},
          {"description", "PEM file of certificate authorities to trust besides the system's"}}},
        {"verify_tls",
         {{"type", "boolean"},
          {"default", true},
          {"description", "check the server's certificate; turn off only in a test lab"}}},
        {"per_page",
         {{"type", "integer"},
          {"minimum", 1},
          {"maximum", 1000},
          {"default", 100},
          {"description", "students asked for per page"}}},
        {"requests_in_flight",
         {{"type", "integer"},
          {"minimum", 1},
          {"maximum", 16},
          {"default", 4},
          {"description",
           "pages fetched at once when the API splits its students into id ranges "
           "(GET .../students/ranges); 1 reads one page at a time"}}},
        {"timeout_seconds",
         {{"type", "integer"},
          {"minimum", 1},
          {"maximum", 600},
          {"default", 30},
          {"description", "how long one request may take before it counts as failed"}}},
        {"max_retry_after_seconds",
         {{"type", "integer"},
          {"minimum", 0},
          {"maximum", 3600},
          {"default", 30},
          {"description",
           "a 429/503 Retry-After up to this long is waited out inside the call; a longer one "
           "hands the wait back to sendsync's scheduler"}}}}}};
}

Result<Config> ParseConfig(const json& j) {
  if (!j.is_object())
    return Status::InvalidArgument("the configuration must be a JSON object of settings");
  const json schema = ConfigSchema();
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!schema["properties"].contains(it.key()))
      return Refuse(it.key(),
                    "is not a setting of the mis-api adapter (known: base_url, "
                    "school_id, token, ca_file, verify_tls, per_page, "
                    "requests_in_flight, timeout_seconds, max_retry_after_seconds)");
  Config c;
  SENDSYNC_RETURN_IF_ERROR(ReadBaseUrl(j, c));
  if (!j.contains("school_id") || !j["school_id"].is_string() ||
      j["school_id"].get<std::string>().empty())
    return Refuse("school_id", "is required: the school's id in the API");
  c.school_id = j["school_id"];
  if (!j.contains("token") || !j["token"].is_string() || j["token"].get<std::string>().empty())
    return Refuse("token", "is required: a bearer token (or a reference to one) for this school");
  c.token = j["token"];
  if (c.token.find_first_of("\r\n") != std::string::npos)
    return Refuse("token", "contains a line break; check the file or variable it comes from");
  if (j.contains("ca_file")) {
    if (!j["ca_file"].is_string() || j["ca_file"].get<std::string>().empty())
      return Refuse("ca_file", "must be the path of a PEM file");
    c.ca_file = j["ca_file"];
    if (::access(c.ca_file.c_str(), R_OK) != 0)
      return Refuse("ca_file", "names '" + c.ca_file + "', which cannot be read");
  }
  if (j.contains("verify_tls")) {
    if (!j["verify_tls"].is_boolean()) return Refuse("verify_tls", "must be true or false");
    c.verify_tls = j["verify_tls"];
  }
  SENDSYNC_RETURN_IF_ERROR(ReadInt(j, "per_page", 1, 1000, c.per_page));
  SENDSYNC_RETURN_IF_ERROR(ReadInt(j, "requests_in_flight", 1, 16, c.requests_in_flight));
  SENDSYNC_RETURN_IF_ERROR(ReadInt(j, "timeout_seconds", 1, 600, c.timeout_seconds));
  SENDSYNC_RETURN_IF_ERROR(
      ReadInt(j, "max_retry_after_seconds", 0, 3600, c.max_retry_after_seconds));
  return c;
}

}  // namespace sendsync::mis_api_adapter
