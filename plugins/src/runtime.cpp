// Discovery, validation and opening of adapter plugins.
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <boost/dll/runtime_symbol_info.hpp>

#include "base/schema/json_schema.h"
#include "frames.h"
#include "instances.h"
#include "loader.h"
#include "plugins/plugins.h"
#include "worker_process.h"

namespace sendsync::plugins {

using detail::Clock;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// Libraries loaded in this process, so that in-process instances of one plugin share one load and
// a library is unloaded only when nothing made from it is left.
std::mutex g_libs_mu;
std::map<std::string, std::weak_ptr<detail::LoadedLibrary>> g_libs;

Result<std::shared_ptr<detail::LoadedLibrary>> LoadShared(const std::string& path) {
  std::lock_guard<std::mutex> lock(g_libs_mu);
  if (auto alive = g_libs[path].lock()) return alive;
  auto loaded = detail::Load(path);
  if (!loaded.ok()) return loaded.status();
  g_libs[path] = *loaded;
  return *loaded;
}

// Reads everything the child writes to stdout until it closes, or the deadline passes.
Status ReadAllOutput(int fd, std::string& out, Clock::time_point deadline) {
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0)
      return Status::DeadlineExceeded("the worker did not finish its output before the deadline");
    pollfd p{fd, POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    ssize_t r = ::read(fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return Status::OK();
    out.append(buf, static_cast<size_t>(r));
    if (out.size() > (16u << 20)) return Status::InvalidArgument("manifest output too large");
  }
}

struct Header {
  uint32_t major = 0, minor = 0, size = 0;
  std::string manifest;
};

// Loads the library in a throw-away worker and reads its table header and manifest there, so a
// library that crashes while loading cannot take the host with it.
Result<Header> HeaderViaWorker(const std::string& path, const RuntimeOptions& options) {
  auto proc =
      detail::WorkerProcess::Start(detail::WorkerPath(options.worker_path), {"--inspect", path});
  if (!proc.ok()) return proc.status();
  std::string out;
  auto deadline = Clock::now() + std::chrono::seconds(20);
  Status st = ReadAllOutput((*proc)->from_child(), out, deadline);
  std::string ended = st.ok() ? (*proc)->WaitFor(5000) : "";
  if (ended.empty()) ended = (*proc)->KillAndReap();
  json j = json::parse(out, nullptr, false);
  if (!st.ok() || !j.is_object())
    return Status::InvalidArgument("loading the library failed: its worker " + ended +
                                   " while the library was being loaded");
  if (j.contains("error")) return Status::InvalidArgument(j["error"].get<std::string>());
  Header h;
  h.major = j.value("abi_major", 0u);
  h.minor = j.value("abi_minor", 0u);
  h.size = j.value("struct_size", 0u);
  h.manifest = j.value("manifest", "");
  return h;
}

Result<Header> HeaderInProcess(const std::string& path) {
  auto lib = LoadShared(path);
  if (!lib.ok()) return lib.status();
  const sendsync_plugin* t = (*lib)->table;
  Header h{t->abi_major, t->abi_minor, t->struct_size, ""};
  if (detail::CheckTableHeader(h.major, h.minor, h.size).ok() && t->manifest_json)
    h.manifest = t->manifest_json;
  return h;
}

}  // namespace

PluginInfo Inspect(const std::string& path, const RuntimeOptions& options) {
  PluginInfo info;
  info.path = path;
  auto refuse = [&](const Status& st) {
    info.ok = false;
    info.reason = st.message();
    return info;
  };
  Status st = detail::StaticCheck(path);
  if (!st.ok()) return refuse(st);
  Result<Header> h =
      options.mode == Mode::kWorker ? HeaderViaWorker(path, options) : HeaderInProcess(path);
  if (!h.ok()) return refuse(h.status());
  info.abi_major = h->major;
  info.abi_minor = h->minor;
  st = detail::CheckTableHeader(h->major, h->minor, h->size);
  if (!st.ok()) return refuse(st);
  auto m = ParseManifest(h->manifest);
  if (!m.ok()) return refuse(m.status());
  info.claimed_id = m->id;
  auto schema = schema::JsonSchema::Compile(m->config_schema);
  if (!schema.ok()) return refuse(schema.status().WithContext("manifest: config_schema"));
  info.manifest = std::move(*m);
  info.ok = true;
  return info;
}

std::vector<PluginInfo> Discover(const std::string& dir, const RuntimeOptions& options) {
  std::vector<std::string> paths;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".so") paths.push_back(e.path().string());
  std::sort(paths.begin(), paths.end());
  // Inspecting a plugin in a worker is mostly waiting for that process to start and load it, so a
  // few are inspected at once. The results keep the sorted order, which decides duplicates.
  std::vector<PluginInfo> found(paths.size());
  std::atomic<size_t> next{0};
  auto inspect_some = [&] {
    for (size_t i; (i = next++) < paths.size();) found[i] = Inspect(paths[i], options);
  };
  {
    std::vector<std::jthread> helpers;
    for (size_t t = 1; t < std::min<size_t>(4, paths.size()); ++t)
      helpers.emplace_back(inspect_some);
    inspect_some();
  }  // the helpers are joined here
  std::vector<PluginInfo> out;
  std::set<std::string> ids;
  for (PluginInfo& info : found) {
    if (info.ok && !ids.insert(info.manifest.id).second) {
      info.ok = false;
      info.reason = "duplicate adapter id '" + info.manifest.id + "' (an earlier file has it)";
    }
    out.push_back(std::move(info));
  }
  return out;
}

std::string DefaultPluginDir() {
  if (const char* env = std::getenv("SENDSYNC_PLUGINS"); env && *env) return env;
  fs::path exe_dir = boost::dll::program_location().parent_path().string();
  fs::path installed = exe_dir / ".." / "lib" / "sendsync" / "plugins";
  if (fs::is_directory(installed)) return fs::weakly_canonical(installed).string();
  return (exe_dir / "plugins").string();
}

Result<std::unique_ptr<Instance>> Open(const PluginInfo& plugin, const std::string& config_json,
                                       const RuntimeOptions& options) {
  if (!plugin.ok)
    return Status::FailedPrecondition("plugin " + plugin.path + " was refused: " + plugin.reason);
  if (options.mode == Mode::kWorker) return detail::OpenWorker(plugin, config_json, options);
  auto lib = LoadShared(plugin.path);
  if (!lib.ok()) return lib.status();
  const sendsync_plugin* t = (*lib)->table;
  SENDSYNC_RETURN_IF_ERROR(detail::CheckTableHeader(t->abi_major, t->abi_minor, t->struct_size));
  return detail::OpenInProcess(*lib, plugin.manifest.id, config_json);
}

}  // namespace sendsync::plugins
