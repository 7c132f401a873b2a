#include "base/config/config.h"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace sendsync::config {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

Status Bad(const std::string& key, const std::string& why) {
  return Status::InvalidArgument("config: " + key + ": " + why);
}

std::string Under(const std::string& base, const std::string& p) {
  if (p.empty() || fs::path(p).is_absolute() || base.empty()) return p;
  return (fs::path(base) / p).lexically_normal().string();
}

}  // namespace

Status CheckPlainHttp(const std::string& listen, bool tls, bool allow_plain_http,
                      const std::string& what) {
  if (tls || allow_plain_http) return Status::OK();
  std::string host = listen.substr(0, listen.rfind(':'));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0) return Status::OK();
  return Status::InvalidArgument(
      what + ": " + listen +
      " is not a loopback address and no TLS is set, so API tokens and pupils' records would "
      "cross the network in clear; set tls_cert and tls_key, or \"allow_plain_http\": true when "
      "a TLS-terminating proxy in front of it is the only client");
}

Status CheckHostId(const std::string& id, const std::string& what) {
  if (id.empty() || id.size() > 64)
    return Status::InvalidArgument(what + ": a host id is 1..64 characters");
  for (char ch : id)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '_' && ch != '-')
      return Status::InvalidArgument(what + ": '" + id +
                                     "' has a character other than letters, digits, '.', '_', '-'");
  return Status::OK();
}

std::string MaskUrlPassword(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const size_t start = scheme + 3;
  const size_t end = url.find_first_of("/?#", start);
  const size_t at = url.rfind('@', end == std::string::npos ? url.size() : end);
  if (at == std::string::npos || at < start) return url;
  const size_t colon = url.find(':', start);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

std::string Config::StoreUrl() const {
  if (!store_url.empty()) return store_url;
  return "sqlite:" + (fs::path(data_dir) / "sendsync.db").string();
}

json Config::ToJson() const {
  return {{"data_dir", data_dir},
          {"store_url", MaskUrlPassword(StoreUrl())},  // never a password
          {"plugin_dir", plugin_dir},
          {"listen", listen},
          {"tls_cert", tls_cert},
          {"tls_key", tls_key},
          {"log_level", log_level},
          {"log_file", log_file},
          {"audit_anchor_file", audit_anchor_file},
          {"audit_anchor_key", audit_anchor_key},
          {"adapters_dir", adapters_dir},
          {"trusted_keys_dir", trusted_keys_dir},
          {"max_adapter_package_mb", max_adapter_package_mb},
          {"worker_mode", worker_mode},
          {"call_timeout_seconds", call_timeout_seconds},
          {"memory_limit_mb", memory_limit_mb},
          {"max_attempts", max_attempts},
          {"backoff_base_seconds", backoff_base_seconds},
          {"backoff_max_seconds", backoff_max_seconds},
          {"max_request_bytes", max_request_bytes},
          {"web_root", web_root},
          {"chart_js", chart_js},
          {"retry_base_seconds", retry_base_seconds},
          {"retry_max_seconds", retry_max_seconds},
          {"max_parallel_runs", max_parallel_runs},
          {"host_id", host_id},
          {"lease_seconds", lease_seconds},
          {"schedule_jitter_seconds", schedule_jitter_seconds},
          {"http_threads", http_threads},
          {"header_timeout_seconds", header_timeout_seconds},
          {"body_timeout_seconds", body_timeout_seconds},
          {"keepalive_timeout_seconds", keepalive_timeout_seconds},
          {"max_connections", max_connections},
          {"max_connections_per_address", max_connections_per_address},
          {"summary_cache_mb", summary_cache_mb},
          {"allow_plain_http", allow_plain_http}};
}

namespace {

// Every key is known and of its type (text, a whole number in range, true/false).
Status CheckKeys(const json& j) {
  static const std::set<std::string> kStrings = {
      "data_dir",         "store_url",    "plugin_dir",       "listen",
      "tls_cert",         "tls_key",      "log_level",        "log_file",
      "worker_mode",      "web_root",     "chart_js",         "audit_anchor_file",
      "audit_anchor_key", "adapters_dir", "trusted_keys_dir", "host_id"};
  static const std::set<std::string> kInts = {
      "call_timeout_seconds",   "memory_limit_mb",
      "max_attempts",           "backoff_base_seconds",
      "backoff_max_seconds",    "max_request_bytes",
      "retry_base_seconds",     "retry_max_seconds",
      "max_parallel_runs",      "http_threads",
      "summary_cache_mb",       "header_timeout_seconds",
      "body_timeout_seconds",   "keepalive_timeout_seconds",
      "max_connections",        "max_connections_per_address",
      "max_adapter_package_mb", "lease_seconds",
      "schedule_jitter_seconds"};
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    if (kStrings.count(k)) {
      if (!it->is_string()) return Bad(k, "must be text");
    } else if (kInts.count(k)) {
      // 0 turns the cache (or the jitter) off
      const int64_t least = k == "summary_cache_mb" || k == "schedule_jitter_seconds" ? 0 : 1;
      if (!it->is_number_integer() || it->get<int64_t>() < least || it->get<int64_t>() > 1 << 30)
        return Bad(k, least ? "must be a positive whole number" : "must be a whole number >= 0");
    } else if (k == "allow_plain_http") {
      if (!it->is_boolean()) return Bad(k, "must be true or false");
    } else {
      return Bad(k, "unknown key");
    }
  }
  return Status::OK();
}

// Copies the keys present in `j` over the defaults in `c`; CheckKeys has checked their types.
void ReadValues(const json& j, Config& c) {
  auto str = [&](const char* k, std::string& out) {
    if (j.contains(k)) out = j[k].get<std::string>();
  };
  auto num = [&](const char* k, int& out) {
    if (j.contains(k)) out = j[k].get<int>();
  };
  str("data_dir", c.data_dir);
  str("store_url", c.store_url);
  str("plugin_dir", c.plugin_dir);
  str("listen", c.listen);
  str("tls_cert", c.tls_cert);
  str("tls_key", c.tls_key);
  str("log_level", c.log_level);
  str("log_file", c.log_file);
  str("worker_mode", c.worker_mode);
  num("call_timeout_seconds", c.call_timeout_seconds);
  num("memory_limit_mb", c.memory_limit_mb);
  num("max_attempts", c.max_attempts);
  num("backoff_base_seconds", c.backoff_base_seconds);
  num("backoff_max_seconds", c.backoff_max_seconds);
  num("max_request_bytes", c.max_request_bytes);
  str("web_root", c.web_root);
  str("chart_js", c.chart_js);
  str("audit_anchor_file", c.audit_anchor_file);
  str("audit_anchor_key", c.audit_anchor_key);
  str("adapters_dir", c.adapters_dir);
  str("trusted_keys_dir", c.trusted_keys_dir);
  num("max_adapter_package_mb", c.max_adapter_package_mb);
  num("retry_base_seconds", c.retry_base_seconds);
  num("retry_max_seconds", c.retry_max_seconds);
  num("max_parallel_runs", c.max_parallel_runs);
  str("host_id", c.host_id);
  num("lease_seconds", c.lease_seconds);
  num("schedule_jitter_seconds", c.schedule_jitter_seconds);
  num("http_threads", c.http_threads);
  num("summary_cache_mb", c.summary_cache_mb);
  num("header_timeout_seconds", c.header_timeout_seconds);
  num("body_timeout_seconds", c.body_timeout_seconds);
  num("keepalive_timeout_seconds", c.keepalive_timeout_seconds);
  num("max_connections", c.max_connections);
  num("max_connections_per_address", c.max_connections_per_address);
  if (j.contains("allow_plain_http")) c.allow_plain_http = j["allow_plain_http"].get<bool>();
}

// Relative file and folder paths are relative to `base` (the config file's folder).
void ResolvePaths(const std::string& base, Config& c) {
  c.data_dir = Under(base, c.data_dir);
  c.plugin_dir = Under(base, c.plugin_dir);
  c.tls_cert = Under(base, c.tls_cert);
  c.tls_key = Under(base, c.tls_key);
  c.log_file = Under(base, c.log_file);
  c.web_root = Under(base, c.web_root);
  c.chart_js = Under(base, c.chart_js);
  c.audit_anchor_file = Under(base, c.audit_anchor_file);
  c.audit_anchor_key = Under(base, c.audit_anchor_key);
  c.adapters_dir = Under(base, c.adapters_dir);
  c.trusted_keys_dir = Under(base, c.trusted_keys_dir);
  if (c.store_url.rfind("sqlite:", 0) == 0)
    c.store_url = "sqlite:" + Under(base, c.store_url.substr(7));
}

// The values make sense on their own and together; files and folders named exist.
Status CheckValues(const Config& c) {
  static const std::set<std::string> kLevels = {"debug", "info", "warn", "error", "off"};
  if (!kLevels.count(c.log_level))
    return Bad("log_level", "must be debug, info, warn, error or off");
  if (c.worker_mode != "worker" && c.worker_mode != "in-process")
    return Bad("worker_mode", "must be \"worker\" or \"in-process\"");
  size_t colon = c.listen.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return Bad("listen", "must be host:port, e.g. 127.0.0.1:8470");
  std::string port = c.listen.substr(colon + 1);
  if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port.substr(0, 6)) > 65535)
    return Bad("listen", "port must be 0..65535");
  SENDSYNC_RETURN_IF_ERROR(
      CheckPlainHttp(c.listen, !c.tls_cert.empty(), c.allow_plain_http, "config: listen"));
  if (c.tls_cert.empty() != c.tls_key.empty())
    return Bad(c.tls_cert.empty() ? "tls_cert" : "tls_key",
               "give both tls_cert and tls_key (PEM files), or neither");
  for (const auto& [k, v] :
       {std::pair<const char*, std::string>{"tls_cert", c.tls_cert}, {"tls_key", c.tls_key}})
    if (!v.empty() && !fs::is_regular_file(v)) return Bad(k, "no such file " + v);
  if (!c.plugin_dir.empty() && !fs::is_directory(c.plugin_dir))
    return Bad("plugin_dir", "no such folder " + c.plugin_dir);
  if (!c.web_root.empty() && !fs::is_directory(c.web_root))
    return Bad("web_root", "no such folder " + c.web_root);
  if (c.backoff_base_seconds > c.backoff_max_seconds)
    return Bad("backoff_base_seconds", "is larger than backoff_max_seconds");
  if (c.retry_base_seconds > c.retry_max_seconds)
    return Bad("retry_base_seconds", "is larger than retry_max_seconds");
  if (c.max_parallel_runs > 64) return Bad("max_parallel_runs", "must be at most 64");
  if (!c.host_id.empty()) SENDSYNC_RETURN_IF_ERROR(CheckHostId(c.host_id, "config: host_id"));
  if (c.lease_seconds < 2 || c.lease_seconds > 86400)
    return Bad("lease_seconds", "must be 2..86400");
  if (c.schedule_jitter_seconds > 3600) return Bad("schedule_jitter_seconds", "must be 0..3600");
  if (c.http_threads < 2 || c.http_threads > 1024) return Bad("http_threads", "must be 2..1024");
  if (c.summary_cache_mb > 16384) return Bad("summary_cache_mb", "must be at most 16384");
  if (c.header_timeout_seconds > 300) return Bad("header_timeout_seconds", "must be 1..300");
  if (c.body_timeout_seconds > 3600) return Bad("body_timeout_seconds", "must be 1..3600");
  if (c.keepalive_timeout_seconds > 300) return Bad("keepalive_timeout_seconds", "must be 1..300");
  if (c.max_connections < 16 || c.max_connections > 1000000)
    return Bad("max_connections", "must be 16..1000000");
  if (c.max_connections_per_address > c.max_connections)
    return Bad("max_connections_per_address", "must be at most max_connections");
  return Status::OK();
}

}  // namespace

Result<Config> FromJson(const json& j, const std::string& base) {
  if (!j.is_object()) return Bad("(top)", "must be a JSON object");
  SENDSYNC_RETURN_IF_ERROR(CheckKeys(j));
  Config c;
  ReadValues(j, c);
  ResolvePaths(base, c);
  SENDSYNC_RETURN_IF_ERROR(CheckValues(c));
  return c;
}

Result<Config> Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("config: cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  json j;
  try {
    j = json::parse(ss.str());
  } catch (const json::parse_error& e) {
    return Status::InvalidArgument("config: " + path + " is not valid JSON: " + e.what());
  }
  auto c = FromJson(j, fs::path(path).parent_path().string());
  if (!c.ok()) return c.status().WithContext(path);
  c->source = path;
  return c;
}

std::string DefaultConfigPath(const std::string& exe, const std::string& installed_exe,
                              const std::string& installed_config) {
  if (exe.empty() || installed_exe.empty() || exe != installed_exe) return "";
  std::error_code ec;
  return std::filesystem::is_regular_file(installed_config, ec) ? installed_config : "";
}

}  // namespace sendsync::config
