#include "core/cli/context.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

#include <Poco/Util/OptionSet.h>

#include "base/log/log.h"
#include "core/store/db.h"
#include "plugins/plugins.h"

namespace sendsync::cli {

void AddCommonOptions(Poco::Util::OptionSet& set, bool with_config) {
  if (with_config)
    AddValueOption(set, "config", "FILE",
                   "config file (default: $SENDSYNC_CONFIG, else " SENDSYNC_INSTALLED_CONFIG
                   " for the installed program)");
  AddValueOption(
      set, "db", "URL",
      "store: sqlite:PATH or postgresql://user@host/db (default: $SENDSYNC_DB, the config, "
      "or sqlite:var/sendsync.db)");
  AddValueOption(set, "plugins", "DIR",
                 "plugin folder (default: $SENDSYNC_PLUGINS or the bundled one)");
  AddFlag(set, "in-process", "run adapters in this process instead of a worker (trusted only)");
  AddValueOption(set, "log-level", "LEVEL", "debug, info, warn (default) or error");
}

void CommonOptions(Poco::Util::OptionSet& set) {
  AddCommonOptions(set, true);
}

Result<std::unique_ptr<Context>> MakeContext(const Invocation& inv, bool open_store) {
  auto ctx = std::make_unique<Context>();
  // `link add` has its own --config (the adapter's); its host config comes as --host-config.
  std::string cfg_path = inv.command == "link add" ? inv.Get("host-config") : inv.Get("config");
  if (cfg_path.empty())
    if (const char* e = std::getenv("SENDSYNC_CONFIG"); e && *e) cfg_path = e;
  if (cfg_path.empty()) {
    // The packaged program reads the packaged config (/etc/sendsync/sendsync.json) by default.
    std::error_code ec;
    const std::string exe = std::filesystem::read_symlink("/proc/self/exe", ec).string();
    cfg_path = config::DefaultConfigPath(exe, SENDSYNC_INSTALLED_EXE, SENDSYNC_INSTALLED_CONFIG);
  }
  if (!cfg_path.empty()) {
    auto c = config::Load(cfg_path);
    if (!c.ok()) return c.status();
    ctx->cfg = std::move(*c);
  }
  std::string level = inv.Get("log-level", ctx->cfg.log_level);
  log::Level lv;
  if (!log::ParseLevel(level, lv))
    return Status::InvalidArgument("--log-level must be debug, info, warn, error or off");
  log::SetLevel(lv);
  if (!ctx->cfg.log_file.empty() && !log::SetFile(ctx->cfg.log_file))
    return Status::IoError("cannot open the log file " + ctx->cfg.log_file);

  ctx->store_url = inv.Get("db");
  if (ctx->store_url.empty())
    if (const char* e = std::getenv("SENDSYNC_DB"); e && *e) ctx->store_url = e;
  if (ctx->store_url.empty()) ctx->store_url = ctx->cfg.StoreUrl();
  ctx->plugin_dir = inv.Get("plugins");
  if (ctx->plugin_dir.empty())
    if (const char* e = std::getenv("SENDSYNC_PLUGINS"); e && *e) ctx->plugin_dir = e;
  if (ctx->plugin_dir.empty()) ctx->plugin_dir = ctx->cfg.plugin_dir;
  if (ctx->plugin_dir.empty()) ctx->plugin_dir = plugins::DefaultPluginDir();

  auto& e = ctx->engine;
  e.plugin_dir = ctx->plugin_dir;
  e.runtime.mode = inv.Has("in-process") || ctx->cfg.worker_mode == "in-process"
                       ? plugins::Mode::kInProcess
                       : plugins::Mode::kWorker;
  e.runtime.call_timeout = std::chrono::seconds(ctx->cfg.call_timeout_seconds);
  e.runtime.memory_limit_mb = static_cast<size_t>(ctx->cfg.memory_limit_mb);
  e.max_attempts = ctx->cfg.max_attempts;
  e.backoff_base_ms = int64_t{ctx->cfg.backoff_base_seconds} * 1000;
  e.backoff_max_ms = int64_t{ctx->cfg.backoff_max_seconds} * 1000;
  e.max_parallel_links = ctx->cfg.max_parallel_runs;
  e.lease_ttl_ms = int64_t{ctx->cfg.lease_seconds} * 1000;
  e.host_id = ctx->cfg.host_id;
  if (const char* h = std::getenv("SENDSYNC_HOST_ID"); h && *h) e.host_id = h;
  if (!e.host_id.empty())
    SENDSYNC_RETURN_IF_ERROR(config::CheckHostId(e.host_id, "SENDSYNC_HOST_ID / host_id"));

  std::string user;
  if (passwd* pw = ::getpwuid(::geteuid())) user = pw->pw_name;
  if (const char* su = std::getenv("SUDO_USER"); su && *su) user = su;
  ctx->actor = "cli:" + (user.empty() ? std::string("unknown") : user);

  std::string anchor_dir = ctx->cfg.data_dir;
  if (ctx->cfg.source.empty())
    if (auto u = store::ParseStoreUrl(ctx->store_url);
        u.ok() && u->dialect == store::Dialect::kSqlite && u->connection != ":memory:")
      anchor_dir = std::filesystem::path(u->connection).parent_path().string();
  ctx->anchors = audit::DefaultAnchorOptions(anchor_dir.empty() ? "." : anchor_dir);
  auto state_dir = [&](const std::string& configured, const char* env, const char* leaf) {
    if (!configured.empty()) return configured;
    if (const char* e = std::getenv(env); e && *e) return std::string(e);
    return (std::filesystem::path(anchor_dir.empty() ? "." : anchor_dir) / leaf).string();
  };
  ctx->adapters_dir = state_dir(ctx->cfg.adapters_dir, "SENDSYNC_ADAPTERS", "adapters");
  ctx->trusted_keys_dir =
      state_dir(ctx->cfg.trusted_keys_dir, "SENDSYNC_TRUSTED_KEYS", "trusted-keys");
  e.runtime.adapters_dir = ctx->adapters_dir;
  if (!ctx->cfg.audit_anchor_file.empty()) ctx->anchors.file = ctx->cfg.audit_anchor_file;
  if (!ctx->cfg.audit_anchor_key.empty()) ctx->anchors.key_file = ctx->cfg.audit_anchor_key;

  if (open_store) {
    auto s = store::Store::Open(ctx->store_url, store::OpenMode::kMustExist);
    if (!s.ok()) return s.status();
    ctx->store = std::move(*s);
    if (auto c = ctx->store->Connect(); c.ok())
      if (auto h = (*c)->Query("SELECT seq FROM audit_head WHERE id = 1"); h.ok() && !h->empty())
        ctx->audit_head_at_open = store::AsInt((*h)[0][0]);
  }
  return ctx;
}

Context::~Context() {
  if (!store || audit_head_at_open < 0) return;
  auto c = store->Connect();
  if (!c.ok()) return;
  auto h = (*c)->Query("SELECT seq FROM audit_head WHERE id = 1");
  if (h.ok() && !h->empty() && store::AsInt((*h)[0][0]) == audit_head_at_open) return;
  auto a = audit::WriteAnchor(**c, anchors, audit::StoreIdentity(store_url));
  if (!a.ok())
    log::Write(log::Level::kError, "audit.anchor_failed",
               {{"file", anchors.file}, {"error", a.status().message()}});
}

std::string CheckCommonOptions(const Invocation& inv) {
  log::Level level;
  if (inv.Has("log-level") && !log::ParseLevel(inv.Get("log-level"), level))
    return "--log-level must be debug, info, warn, error or off";
  return "";
}

int Fail(const Invocation& inv, const Status& st) {
  return inv.Fail(st.message(), kExitFailed);
}

void PrintTable(std::ostream& out, const std::vector<std::string>& headers,
                const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> w(headers.size());
  auto width = [](const std::string& s) {  // count UTF-8 code points, not bytes
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
  };
  for (size_t i = 0; i < headers.size(); ++i) w[i] = width(headers[i]);
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size() && i < w.size(); ++i)
      w[i] = std::max(w[i], std::min<size_t>(width(r[i]), 60));
  auto line = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size() && i < w.size(); ++i) {
      std::string c = cells[i];
      if (width(c) > 60) c = c.substr(0, 57) + "...";
      out << c;
      if (i + 1 < cells.size()) out << std::string(w[i] - std::min(w[i], width(c)) + 2, ' ');
    }
    out << "\n";
  };
  line(headers);
  for (const auto& r : rows) line(r);
}

std::string FormatTime(int64_t ms) {
  if (ms <= 0) return "-";
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace sendsync::cli
