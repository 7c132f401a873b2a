// The host's configuration file (JSON): where data lives, which store, which plugins, how the
// service listens and logs. Validated on load with errors that name the key. The CLI and
// `sendsync serve` both read it; command-line flags and environment variables override it.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "sendsync/sdk/status.h"

namespace sendsync::config {

struct Config {
  std::string data_dir = "var";  // relative paths are taken from the config file's folder
  std::string store_url;         // default: sqlite:<data_dir>/sendsync.db
  std::string plugin_dir;        // default: the bundled folder next to the binary
  std::string listen = "127.0.0.1:8470";
  std::string tls_cert, tls_key;  // both or neither: HTTPS when given
  std::string log_level = "warn";
  std::string log_file;                // empty: stderr
  std::string worker_mode = "worker";  // or "in-process" (trusted adapters only)
  int call_timeout_seconds = 120;
  int memory_limit_mb = 2048;
  int max_attempts = 8;
  int backoff_base_seconds = 2;
  int backoff_max_seconds = 3600;
  int max_request_bytes = 1 << 20;
  // The audit chain's anchors (core/audit/anchor.h); default <data_dir>/audit-anchors.jsonl and
  // <data_dir>/audit-anchor.key.
  std::string audit_anchor_file, audit_anchor_key;
  // Signed adapter packages (`sendsync adapters install`): where installed versions go (default
  // <data_dir>/adapters), the folder of trusted vendors' public keys (*.pub; default
  // <data_dir>/trusted-keys) and the largest package accepted.
  std::string adapters_dir, trusted_keys_dir;
  int max_adapter_package_mb = 64;
  // `sendsync serve` only.
  std::string web_root;  // dashboard files; default <sendsync's folder>/../share/sendsync/web
  // The chart library the register page draws with (Debian's libjs-chart.js), served as
  // /ui/vendor/chart.js. Missing: the page shows its tables only; serve still starts.
  std::string chart_js = "/usr/share/javascript/chart.js/chart.min.js";
  int retry_base_seconds = 60;   // a scheduled run that failed is retried after this, doubling
  int retry_max_seconds = 3600;  // ... up to this
  int max_parallel_runs = 2;     // links the scheduler runs at the same time
  // Several hosts on one PostgreSQL store (docs/scale-out.md). host_id names this host in leases,
  // runs, logs and `sendsync hosts list` (default: the machine's hostname; SENDSYNC_HOST_ID and
  // `serve --host-id` override it); letters, digits, '.', '_' and '-' only.
  std::string host_id;
  int lease_seconds = 120;            // a dead host's links are free again after this
  int schedule_jitter_seconds = 0;    // each host waits 0..this before starting a due link
  int http_threads = 64;              // requests answered at once (idle connections hold no thread)
  int header_timeout_seconds = 10;    // a request's line and headers must arrive within this
  int body_timeout_seconds = 30;      // ... and its body within this after them
  int keepalive_timeout_seconds = 5;  // an idle kept-alive connection is closed after this
  int max_connections = 4096;         // open at once; the oldest idle one makes way when full
  int max_connections_per_address = 64;  // from one client address (a reverse proxy is one)
  int summary_cache_mb = 64;  // pupils' summaries kept while the hub is unchanged; 0: none
  // Plain HTTP on an address other than loopback sends tokens and pupils' records in clear, so it
  // is refused unless this says so (e.g. a TLS-terminating reverse proxy on a private network).
  bool allow_plain_http = false;
  std::string source;  // the file it came from, "" for defaults

  // The store URL after defaults.
  std::string StoreUrl() const;
  nlohmann::json ToJson() const;
};

// Checks a host id: 1..64 of letters, digits, '.', '_' and '-' (it is the first part of a lease
// holder "host:pid:n", so never a ':'). `what` names the setting in the error.
Status CheckHostId(const std::string& host_id, const std::string& what);

// The URL with any password replaced by *** (postgresql://user:***@host/db), safe to print.
std::string MaskUrlPassword(const std::string& url);

// Refuses to serve plain HTTP (no TLS) on `listen` when its host is not a loopback address
// (127.0.0.0/8, ::1, localhost), unless `allow_plain_http`. `what` names the setting in the error.
Status CheckPlainHttp(const std::string& listen, bool tls, bool allow_plain_http,
                      const std::string& what);

// Parses and checks a config file. Every problem names the key ("listen: ..."); unknown keys are
// refused so a typo is not silently ignored.
Result<Config> Load(const std::string& path);

// The config file a command reads when neither --config nor $SENDSYNC_CONFIG names one: the
// packaged `installed_config` (/etc/sendsync/sendsync.json) when the running program `exe` is
// the installed one (`installed_exe`, e.g. /usr/bin/sendsync) and the file exists; "" otherwise,
// so that a sendsync run from a build tree never reads a machine's installed configuration.
std::string DefaultConfigPath(const std::string& exe, const std::string& installed_exe,
                              const std::string& installed_config);
Result<Config> FromJson(const nlohmann::json& j, const std::string& base_dir);

}  // namespace sendsync::config
