// The plugin runtime: finds adapter libraries, validates them before trusting them, and opens
// adapter instances either in a worker process (the default; a crash there costs only that call)
// or in-process through Boost.DLL (for trusted adapters and speed comparisons). The only header of
// plugins/ that other folders include.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sendsync/sdk/status.h"

namespace sendsync::plugins {

// What an adapter declares about itself (docs/adapter-sdk.md, "Manifest").
struct Manifest {
  std::string id;       // lower-case, [a-z0-9-], unique per plugin folder
  std::string name;     // for people
  std::string version;  // the adapter's own version
  std::string vendor;
  std::string abi;                         // "major.minor" the adapter was built against
  std::vector<std::string> reads;          // record kinds it can read
  std::vector<std::string> writes;         // record kinds it can write
  nlohmann::json config_schema;            // JSON Schema of its configuration
  std::vector<std::string> secret_fields;  // JSON Pointers of config fields marked "secret": true
  nlohmann::json raw;                      // the whole manifest as declared

  bool CanRead(std::string_view kind) const;
  bool CanWrite(std::string_view kind) const;
};

// Parses and checks a manifest; the error names the first missing or malformed field.
Result<Manifest> ParseManifest(std::string_view json_text);

enum class Mode { kWorker, kInProcess };
const char* ModeName(Mode mode);

struct RuntimeOptions {
  Mode mode = Mode::kWorker;
  // The worker executable; empty means $SENDSYNC_ADAPTER_HOST, else sendsync-adapter-host next to
  // the running executable, else <exe>/../lib/sendsync/sendsync-adapter-host (as installed).
  std::string worker_path;
  std::chrono::milliseconds call_timeout{120000};  // worker calls only
  size_t memory_limit_mb = 2048;                   // worker resident set limit
  std::chrono::milliseconds restart_backoff_base{250};
  std::chrono::milliseconds restart_backoff_max{30000};
  // Where adapter versions installed from packages live (<state>/adapters); "" when none are.
  std::string adapters_dir;
};

// The result of validating one plugin file.
struct PluginInfo {
  std::string path;
  bool ok = false;
  std::string reason;  // when refused: one line saying why
  uint32_t abi_major = 0, abi_minor = 0;
  Manifest manifest;  // when ok
  // The adapter id the file's manifest gives, once the manifest could be read (also when the file
  // is refused after that, e.g. a duplicate id): how a refused file is found by id.
  std::string claimed_id;
};

// Validates `path` in order: regular readable non-empty file; ELF shared object for this machine's
// architecture; entry alias present; ABI major equal, minor not newer, struct size sane; manifest
// valid. Steps that need the library's code run in a worker process unless mode is kInProcess.
// Never throws and never lets the plugin crash the caller in worker mode.
PluginInfo Inspect(const std::string& path, const RuntimeOptions& options);

// Inspects every *.so in `dir` (sorted by name). Refused plugins are listed with their reason;
// duplicate ids are refused after the first.
std::vector<PluginInfo> Discover(const std::string& dir, const RuntimeOptions& options);

// The plugin folder to use when none is configured: $SENDSYNC_PLUGINS, else ../lib/sendsync/plugins
// relative to the running executable, else ./plugins next to it.
std::string DefaultPluginDir();

// ---- adapter versions installed from signed packages (`sendsync adapters install`) ----------
// Each installed version lives in <adapters_dir>/ID/VERSION/ with its library, config schema and
// admin guide; several versions of one adapter sit side by side and links pin one of them.

struct InstalledAdapter {
  std::string id, version;
  std::string dir;      // <adapters_dir>/ID/VERSION
  std::string library;  // the one *.so in dir
};

// Every ID/VERSION folder under `adapters_dir` with exactly one *.so in it, sorted by id and then
// by version, oldest first. Folders being installed (names starting with '.') are skipped.
std::vector<InstalledAdapter> ListInstalled(const std::string& adapters_dir);

// Orders versions as strcmp does (<0, 0, >0), comparing dot- or dash-separated parts as numbers
// when both are numbers ("1.10" after "1.9") and as text otherwise.
int CompareVersions(std::string_view a, std::string_view b);

// The adapter a link uses. With `version`, that installed version (NotFound when it is not
// installed, FailedPrecondition with the reason when it is refused). Without, the newest installed
// version of `id`, else the bundled plugin of that id in `plugin_dir`. The library is validated
// with Inspect before it is returned.
Result<PluginInfo> ResolveAdapter(const std::string& plugin_dir, const std::string& adapters_dir,
                                  const std::string& id, const std::string& version,
                                  const RuntimeOptions& options);

// Outcome of one call on an instance.
enum class CallStatus { kOk, kRetry, kFatal };
const char* CallStatusName(CallStatus s);

struct CallResult {
  CallStatus status = CallStatus::kFatal;
  std::string body;            // JSON text: the result on kOk, {"message":...} otherwise
  std::string message;         // for people when not kOk (from the body, or what the host saw)
  bool worker_failed = false;  // the worker crashed, hung, ran out of memory or exited
};

// One opened adapter instance. Calls on one instance are serialised by the instance.
class Instance {
 public:
  virtual ~Instance() = default;
  virtual CallResult Call(std::string_view method, std::string_view request_json) = 0;
  // Asks the current call to stop early (the adapter sees is_cancelled()).
  virtual void Cancel() = 0;
  // How many times the worker has been restarted after a failure (0 in-process).
  virtual int restarts() const = 0;
  virtual Mode mode() const = 0;
};

// Process-wide counts of adapter worker failures (a worker that crashed, hung, ran out of memory
// or broke the protocol) and of workers started again after one, for monitoring.
struct WorkerCounts {
  int64_t failures = 0;
  int64_t restarts = 0;
};
WorkerCounts WorkerCountsTotal();

// Opens an instance of a validated plugin with its configuration (secrets already resolved by the
// caller). The library stays loaded for as long as any instance made from it lives.
Result<std::unique_ptr<Instance>> Open(const PluginInfo& plugin, const std::string& config_json,
                                       const RuntimeOptions& options);

}  // namespace sendsync::plugins
