// Internal to core/sync: the engine's state, shared by engine.cpp, queues.cpp and import.cpp.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "core/store/store.h"
#include "core/sync/internal.h"
#include "core/sync/run_lock.h"
#include "core/sync/run_progress.h"
#include "core/sync/sync.h"

namespace sendsync::sync {

struct Engine::Impl {
  Impl(store::Store& s, EngineOptions o);

  // The link's pinned installed version, else the newest installed, else the bundled plugin.
  Result<plugins::PluginInfo> FindPlugin(const std::string& adapter_id, const std::string& version);
  // True when `holder` ("<host>:<pid>:<nonce>") names another holder on this host than `me`.
  static bool HolderIsHere(const std::string& holder, const std::string& me);
  // True when `holder` names a process on this host that has ended (gone, or a zombie).
  static bool HolderIsDeadHere(const std::string& holder, const std::string& me);
  // Takes the link for a run on `lease`: this host's run lock (when the store has one) and the
  // link's lease, taking over a lease whose holder on this host is gone. FailedPrecondition
  // naming the link when another run holds it.
  Status TakeLink(store::Conn& lease, const detail::LinkCtx& ctx,
                  std::unique_ptr<detail::RunLock>& run_lock);
  // Records the run's end (its status and summary); a failure to record it makes the run
  // "failed", so the caller and the exit code show the store is in trouble.
  void RecordEnd(store::Conn& lease, int64_t run_id, RunMode mode, RunSummary& sum);
  Status Pull(store::Conn& conn, store::Conn& lease_conn, const detail::LinkCtx& ctx,
              const plugins::PluginInfo& plugin, plugins::Instance& adapter, bool dry_run,
              int64_t run_id, detail::ProgressReporter& progress, RunSummary& sum);

  store::Store& store;
  EngineOptions opt;
  std::string run_lock_path;  // detail::RunLockPathFor the store; "" when it has none
  std::atomic<bool> stop{false};
  std::mutex plugins_mu;
  bool discovered = false;
  std::vector<plugins::PluginInfo> plugins_found;
};

}  // namespace sendsync::sync
