// What most sendsync commands share: the common options (--config, --db, --plugins, --in-process,
// --log-level), opening the store and building the engine's options from flags, environment and
// the config file (in that order of precedence), who is acting (for the audit log), and printing.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "base/config/config.h"
#include "core/audit/anchor.h"
#include "core/cli/command.h"
#include "core/store/store.h"
#include "core/sync/sync.h"

namespace sendsync::cli {

// `with_config` false for commands whose own --config means something else (link add); they still
// read $SENDSYNC_CONFIG.
void AddCommonOptions(Poco::Util::OptionSet& set, bool with_config = true);
// The same with --config, as a plain function to pass where an option table is expected.
void CommonOptions(Poco::Util::OptionSet& set);

struct Context {
  config::Config cfg;
  std::string store_url;
  std::string plugin_dir;
  // Installed adapter versions and trusted vendor keys: the config's adapters_dir /
  // trusted_keys_dir, else $SENDSYNC_ADAPTERS / $SENDSYNC_TRUSTED_KEYS, else adapters/ and
  // trusted-keys/ in the data folder (the anchors' folder rule).
  std::string adapters_dir, trusted_keys_dir;
  std::unique_ptr<store::Store> store;
  sync::EngineOptions engine;
  std::string actor;  // "cli:<user>"
  // Where the audit chain's anchors go: the config's audit_anchor_* keys, else its data_dir;
  // without a config file, the SQLite store's folder (the data folder by default).
  audit::AnchorOptions anchors;
  int64_t audit_head_at_open = -1;  // -1: not known (no store opened)

  Context() = default;
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  // When the audit chain moved while the command ran (it appended entries), writes an anchor of
  // its new head; a failure to is logged as an error.
  ~Context();
};

// Reads the config (--config, else $SENDSYNC_CONFIG, else defaults) and applies flags and
// environment; opens (and migrates) the store when `open_store`.
Result<std::unique_ptr<Context>> MakeContext(const Invocation& inv, bool open_store = true);

// Prints a failed Status for people (or as JSON) and returns the exit code for it.
// Prints the failure and returns kExitFailed. A usage error (kExitUsage) is the caller's to report:
// it knows it was checking the command line, and the exit code never hangs on a message's wording.
int Fail(const Invocation& inv, const Status& st);

// The Registry's OptionCheck for the options of AddCommonOptions (--log-level).
std::string CheckCommonOptions(const Invocation& inv);

// A plain text table with a header row, columns padded to their widest cell.
void PrintTable(std::ostream& out, const std::vector<std::string>& headers,
                const std::vector<std::vector<std::string>>& rows);

// "2026-11-23 14:03" in local time, or "-" for 0.
std::string FormatTime(int64_t ms);

// Reads a whole file; NotFound naming it when it cannot.
Result<std::string> ReadFile(const std::string& path);

}  // namespace sendsync::cli
