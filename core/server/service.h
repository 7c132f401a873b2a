// `sendsync serve` as an object: the store, the engine, the scheduler, the metrics and the HTTP
// server wired together, started and stopped in the right order. The serve command and the
// server's tests use it; WaitForStopSignal is the command's main loop.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/config/config.h"
#include "core/audit/anchor.h"
#include "core/server/http_server.h"
#include "core/server/scheduler.h"
#include "core/store/store.h"
#include "core/sync/sync.h"

namespace sendsync::server {

struct ServiceOptions {
  std::string store_url;
  std::string plugin_dir;
  std::string listen = "127.0.0.1:0";  // host:port; port 0 picks a free one
  std::string tls_cert, tls_key;
  std::string web_root;  // "" : DefaultWebRoot()
  // The chart library served as /ui/vendor/chart.js ("" or missing: 404, the page shows tables).
  std::string chart_js = kDefaultChartJs;
  int http_threads = 64;
  int summary_cache_mb = 64;  // 0: no summary cache, and no due list cache
  int64_t max_request_bytes = 1 << 20;
  // The HTTP server's deadlines and connection caps (docs/server.md, "Slow and idle clients").
  int header_timeout_ms = 10000;
  int body_timeout_ms = 30000;
  int keepalive_timeout_ms = 5000;
  int max_connections = 4096;
  int max_connections_per_address = 64;
  sync::EngineOptions engine;
  SchedulerOptions scheduler;
  // Where the audit chain is anchored after runs, every minute when it moved and at stop.
  // An empty file: not anchored (tests that do not look at anchors).
  audit::AnchorOptions anchors;
  // Today's date for the API's clocks; null: the local date. For tests that move the date.
  std::function<Date()> today;
};

// The service's options from a loaded config (listen, TLS, web root, limits, retries) on top of
// the engine options the CLI context built.
ServiceOptions OptionsFrom(const config::Config& cfg, const std::string& store_url,
                           const std::string& plugin_dir, const sync::EngineOptions& engine);

// <folder of the running executable>/../share/sendsync/web.
std::string DefaultWebRoot();

// The dashboard's folder to serve: `web_root`, or DefaultWebRoot() when it is "". InvalidArgument
// saying which folder and why when it does not exist, is not a folder or holds no index.html
// (an empty folder): a service that answers "not found" at / is refused before it starts.
Result<std::string> CheckWebRoot(const std::string& web_root);

// Splits "host:port" ("[::1]:80" too); InvalidArgument naming `what` when it is not one.
Status ParseListen(const std::string& listen, const std::string& what, std::string& host,
                   uint16_t& port);

class Service {
 public:
  // Opens the store, builds the engine, starts the scheduler and the HTTP server.
  static Result<std::unique_ptr<Service>> Start(const ServiceOptions& options);
  ~Service();

  // Stops the scheduler (runs stop at their next safe point and are joined), then the HTTP
  // server (requests in flight finish). Safe to call more than once.
  void Stop();

  uint16_t port() const;
  std::string base_url() const;  // http(s)://host:port
  Scheduler& scheduler();
  store::Store& store();

 private:
  Service() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Blocks SIGTERM and SIGINT in this thread and every thread it starts afterwards, so that
// WaitForStopSignal receives them. Call before Service::Start.
void BlockStopSignals();
// Waits for SIGTERM or SIGINT; returns the signal's number.
int WaitForStopSignal();

}  // namespace sendsync::server
