#include "core/server/service.h"

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <mutex>

#include "base/log/log.h"
#include "core/server/api.h"
#include "core/server/http_server.h"
#include "core/server/metrics.h"
#include "sendsync/sdk/version.h"

namespace sendsync::server {

namespace fs = std::filesystem;
using nlohmann::json;

ServiceOptions OptionsFrom(const config::Config& cfg, const std::string& store_url,
                           const std::string& plugin_dir, const sync::EngineOptions& engine) {
  ServiceOptions o;
  o.store_url = store_url;
  o.plugin_dir = plugin_dir;
  o.listen = cfg.listen;
  o.tls_cert = cfg.tls_cert;
  o.tls_key = cfg.tls_key;
  o.web_root = cfg.web_root;
  o.chart_js = cfg.chart_js;
  o.http_threads = cfg.http_threads;
  o.summary_cache_mb = cfg.summary_cache_mb;
  o.max_request_bytes = cfg.max_request_bytes;
  o.header_timeout_ms = cfg.header_timeout_seconds * 1000;
  o.body_timeout_ms = cfg.body_timeout_seconds * 1000;
  o.keepalive_timeout_ms = cfg.keepalive_timeout_seconds * 1000;
  o.max_connections = cfg.max_connections;
  o.max_connections_per_address = cfg.max_connections_per_address;
  o.engine = engine;
  o.scheduler.backoff.base_ms = int64_t{cfg.retry_base_seconds} * 1000;
  o.scheduler.backoff.max_ms = int64_t{cfg.retry_max_seconds} * 1000;
  o.scheduler.max_parallel_runs = cfg.max_parallel_runs;
  o.scheduler.jitter = std::chrono::seconds(cfg.schedule_jitter_seconds);
  return o;
}

std::string DefaultWebRoot() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  return (exe.parent_path() / ".." / "share" / "sendsync" / "web").lexically_normal().string();
}

Result<std::string> CheckWebRoot(const std::string& web_root) {
  const std::string root = web_root.empty() ? DefaultWebRoot() : web_root;
  const std::string from = web_root.empty() ? " (the default: web_root is not set)" : "";
  const std::string fix =
      "; set web_root in the config to the folder holding the dashboard's files (index.html, "
      "app.js), e.g. <prefix>/share/sendsync/web";
  std::error_code ec;
  if (root.empty())
    return Status::InvalidArgument("web_root: not set and the default cannot be found" + fix);
  if (!fs::exists(root, ec))
    return Status::InvalidArgument("web_root: no such folder " + root + from + fix);
  if (!fs::is_directory(root, ec))
    return Status::InvalidArgument("web_root: " + root + from + " is not a folder" + fix);
  if (!fs::is_regular_file(fs::path(root) / "index.html", ec))
    return Status::InvalidArgument("web_root: " + root + from +
                                   " holds no dashboard (no index.html)" + fix);
  return root;
}

Status ParseListen(const std::string& listen, const std::string& what, std::string& host,
                   uint16_t& port) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return Status::InvalidArgument(what + " must be host:port, e.g. 127.0.0.1:8470");
  host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const std::string p = listen.substr(colon + 1);
  if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(p) > 65535)
    return Status::InvalidArgument(what + ": port must be 0..65535");
  port = static_cast<uint16_t>(std::stoi(p));
  return Status::OK();
}

struct Service::Impl {
  ServiceOptions options;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<sync::Engine> engine;
  Metrics metrics;
  std::unique_ptr<Scheduler> scheduler;
  std::unique_ptr<SummaryCache> summaries;  // before env, which points at it
  std::unique_ptr<DueCache> due;            // the same
  TokenCache tokens;
  std::unique_ptr<ApiEnv> env;
  std::unique_ptr<HttpServer> http;
  std::string host;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  bool stopped = false;
  int64_t started_at_ms = store::NowMs();
  std::string listen;  // where the HTTP server listens, once it does

  void Heartbeat() {
    store::Host h;
    h.holder = engine->holder();
    h.host_id = h.holder.substr(0, h.holder.find(':'));
    {
      std::lock_guard<std::mutex> lock(listen_mu);
      h.listen = listen;
    }
    h.version = SENDSYNC_VERSION;
    h.started_at = started_at_ms;
    h.heartbeat_at = store::NowMs();
    auto c = store->Connect();
    Status st = c.ok() ? store::HostHeartbeat(**c, h) : c.status();
    if (!st.ok())
      log::Write(log::Level::kWarn, "host.heartbeat_failed",
                 {{"host_id", h.host_id}, {"error", st.message()}});
  }
  std::mutex listen_mu;

  // Anchors the audit chain when it moved since the last anchor (WriteAnchor skips otherwise).
  void Anchor() {
    if (options.anchors.file.empty()) return;
    auto c = store->Connect();
    Result<std::optional<audit::Anchor>> a =
        c.ok() ? audit::WriteAnchor(**c, options.anchors, audit::StoreIdentity(options.store_url))
               : Result<std::optional<audit::Anchor>>(c.status());
    if (!a.ok())
      log::Write(log::Level::kError, "audit.anchor_failed",
                 {{"file", options.anchors.file}, {"error", a.status().message()}});
  }
};

Result<std::unique_ptr<Service>> Service::Start(const ServiceOptions& options) {
  auto web_root = CheckWebRoot(options.web_root);
  if (!web_root.ok()) return web_root.status();
  std::unique_ptr<Service> svc(new Service());
  svc->impl_ = std::make_unique<Impl>();
  Impl& I = *svc->impl_;
  I.options = options;
  uint16_t port = 0;
  SENDSYNC_RETURN_IF_ERROR(ParseListen(options.listen, "listen", I.host, port));
  auto st = store::Store::Open(options.store_url, store::OpenMode::kMustExist);
  if (!st.ok()) return st.status();
  I.store = std::move(*st);
  sync::EngineOptions eo = options.engine;
  if (eo.plugin_dir.empty()) eo.plugin_dir = options.plugin_dir;
  I.engine = std::make_unique<sync::Engine>(*I.store, eo);
  SchedulerOptions so = options.scheduler;
  Impl* impl = &I;
  // Recorded in the store at start and every heartbeat_every: `sendsync hosts list`.
  so.heartbeat = [impl] { impl->Heartbeat(); };
  if (!options.anchors.file.empty()) {
    so.anchor = [impl] { impl->Anchor(); };
  }
  I.scheduler = std::make_unique<Scheduler>(*I.store, *I.engine, I.metrics, so);
  I.env =
      std::make_unique<ApiEnv>(ApiEnv{*I.store, *I.engine, *I.scheduler, I.metrics, eo.plugin_dir,
                                      eo.runtime, eo, options.max_request_bytes});
  I.env->tokens = &I.tokens;
  I.env->pupil_lines = MakePupilLinesCache();
  I.env->anchors = options.anchors;
  I.env->store_id = audit::StoreIdentity(options.store_url);
  if (options.summary_cache_mb > 0) {
    I.summaries =
        std::make_unique<SummaryCache>(static_cast<size_t>(options.summary_cache_mb) << 20);
    I.env->summaries = I.summaries.get();
    // The due list's lines: a set per school, date and window asked about (a whole LA's at
    // 20,000 pupils, about 5,000 lines, a few MB).
    I.due = std::make_unique<DueCache>(kDueCacheBytes);
    I.env->due = I.due.get();
  }
  I.env->today = options.today;

  HttpOptions h;
  h.host = I.host;
  h.port = port;
  h.tls_cert = options.tls_cert;
  h.tls_key = options.tls_key;
  h.threads = options.http_threads;
  h.limits.header_timeout_ms = options.header_timeout_ms;
  h.limits.body_timeout_ms = options.body_timeout_ms;
  h.limits.keepalive_timeout_ms = options.keepalive_timeout_ms;
  h.limits.max_connections = options.max_connections;
  h.limits.max_connections_per_address = options.max_connections_per_address;
  h.web_root = *web_root;
  h.chart_js = options.chart_js;
  if (ChartLibraryPath(h.chart_js).empty())
    log::Write(log::Level::kWarn, "service.no_chart_library",
               {{"chart_js", h.chart_js},
                {"effect", "the register page shows its figures as tables only"},
                {"fix", "install the Debian package libjs-chart.js or set chart_js"}});
  h.health = [impl]() {
    const std::string& holder = impl->engine->holder();
    json j = {{"version", SENDSYNC_VERSION},
              {"host_id", holder.substr(0, holder.find(':'))},
              {"holder", holder}};
    bool store_ok = false;
    if (auto c = impl->store->Connect(); c.ok()) store_ok = (*c)->Query("SELECT 1").ok();
    const bool sched_ok = impl->scheduler->Alive();
    j["store"] = store_ok ? "ok" : "unreachable";
    j["scheduler"] = sched_ok ? "ok" : "stalled";
    j["ok"] = store_ok && sched_ok;
    j["uptime_seconds"] = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::steady_clock::now() - impl->started)
                              .count();
    return std::make_pair(store_ok && sched_ok, j);
  };
  h.metrics = [impl]() {
    auto c = impl->store->Connect();
    return impl->metrics.Render(c.ok() ? c->get() : nullptr);
  };
  I.scheduler->Start();
  I.http = std::make_unique<HttpServer>(*I.env);
  Status hs = I.http->Start(h);
  if (!hs.ok()) {
    I.scheduler->Stop();
    return hs;
  }
  {
    std::lock_guard<std::mutex> lock(I.listen_mu);
    I.listen = I.host + ":" + std::to_string(I.http->port());
  }
  I.Heartbeat();  // with the address now known
  log::Write(log::Level::kInfo, "service.started",
             {{"listen", I.host + ":" + std::to_string(I.http->port())},
              {"host_id", I.engine->holder().substr(0, I.engine->holder().find(':'))},
              {"store", I.store->db().url().display},
              {"tls", I.http->tls()},
              {"scheduler", options.scheduler.enabled},
              {"web_root", h.web_root}});
  return svc;
}

Service::~Service() {
  Stop();
}

void Service::Stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  if (!impl_->scheduler) return;  // Start failed before anything ran (e.g. no store)
  log::Write(log::Level::kInfo, "service.stopping",
             {{"running_runs", impl_->scheduler->RunningCount()}});
  impl_->scheduler->Stop();
  if (impl_->http) impl_->http->Stop();
  impl_->Anchor();  // what the last minute's API calls appended
  log::Write(log::Level::kInfo, "service.stopped");
}

uint16_t Service::port() const {
  return impl_->http->port();
}

std::string Service::base_url() const {
  const std::string host =
      impl_->host.find(':') != std::string::npos ? "[" + impl_->host + "]" : impl_->host;
  return std::string(impl_->http->tls() ? "https" : "http") + "://" + host + ":" +
         std::to_string(port());
}

Scheduler& Service::scheduler() {
  return *impl_->scheduler;
}
store::Store& Service::store() {
  return *impl_->store;
}

void BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForStopSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  return sig;
}

}  // namespace sendsync::server
