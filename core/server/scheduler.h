// Runs each enabled link on its schedule, and the runs people ask for through the API, never two of
// one link at once in this process (the engine's lease keeps other hosts out), backing off after
// failures. Stop() asks the engine to stop at its next safe point and joins every run: what was
// committed stays committed, the rest is pulled again next time (the cursor moves only with
// commits). Owned by the service; the API asks it to run links and whether they are running.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/server/metrics.h"
#include "core/server/schedule.h"
#include "core/store/store.h"
#include "core/sync/sync.h"

namespace sendsync::server {

struct SchedulerOptions {
  std::chrono::milliseconds tick{1000};  // how often due links are looked for
  Backoff backoff;
  int max_parallel_runs = 2;
  bool enabled = true;  // false: only runs asked for through the API
  // Called after each run, and every `anchor_every` from the scheduling thread (changes made
  // through the API), to anchor the audit chain (core/audit/anchor.h). Empty: not called.
  std::function<void()> anchor;
  std::chrono::milliseconds anchor_every{60000};
  // Several hosts on one store: each waits a delay of 0..jitter (fixed per host, link and run)
  // after a link falls due before starting it, so links due at the same minute spread over the
  // hosts instead of all going to the first to tick. 0: start at once.
  std::chrono::milliseconds jitter{0};
  // Called from the scheduling thread at start and every `heartbeat_every` (also when `enabled` is
  // false), to record that this host is alive (store::HostHeartbeat). Empty: not called.
  std::function<void()> heartbeat;
  std::chrono::milliseconds heartbeat_every{10000};
};

class Scheduler {
 public:
  Scheduler(store::Store& store, sync::Engine& engine, Metrics& metrics, SchedulerOptions options);
  ~Scheduler();

  void Start();
  // Stops looking for due links, asks running runs to stop at a safe point, and joins them.
  void Stop();

  // Runs `link` in this thread. FailedPrecondition when it is already running here (or the engine
  // refuses: disabled, leased elsewhere). Counted in the metrics.
  Result<sync::RunSummary> RunNow(const std::string& link, sync::RunMode mode);
  // Starts a sync run of `link` on its own thread and returns at once; the same refusals.
  Status StartRun(const std::string& link);

  bool Running(const std::string& link) const;
  // Whether the link runs now on this host or on another one sharing the store (its lease is held
  // and has not lapsed): what the API shows, so that every host answers alike.
  bool RunningAnywhere(store::Conn& conn, const store::Link& link) const;
  int RunningCount() const;
  // False when the scheduling thread has not looked for due links for several ticks.
  bool Alive() const;

  // The link's run history and next due time as the scheduler sees them (for the API). A link
  // never run is due at `now_ms` itself, so a caller that compares the answer with a time must
  // pass that same time: a clock read again after a store query would be later, and the link would
  // never be due (as happened on PostgreSQL, whose queries take milliseconds).
  RunHistory HistoryOf(store::Conn& conn, int64_t link_id) const;
  std::optional<int64_t> NextRunAt(const store::Link& link, const RunHistory& history,
                                   int64_t now_ms) const;

 private:
  bool Claim(const std::string& link);  // false when already running here
  void Release(const std::string& link);
  Result<sync::RunSummary> RunClaimed(const std::string& link, sync::RunMode mode);
  void Loop();
  void Tick();
  void ReapFinished();  // mu_ held
  // When a link whose newest run says "running" (not here) is due: now when its lease is free,
  // lapsed or this host's own, else when the other host's lease ends. nullopt on a store error.
  std::optional<int64_t> ResumeAt(store::Conn& conn, int64_t link_id, int64_t now_ms) const;

  store::Store& store_;
  sync::Engine& engine_;
  Metrics& metrics_;
  const SchedulerOptions options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> running_;              // guarded by mu_
  std::map<std::string, int64_t> not_before_;  // guarded by mu_: links busy elsewhere
  std::map<std::string, int64_t> due_since_;   // scheduling thread only: waiting out the jitter
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<Worker> workers_;    // guarded by mu_
  int64_t last_anchor_ms_ = 0;     // scheduling thread only
  int64_t last_heartbeat_ms_ = 0;  // scheduling thread only
  bool stopping_ = false;          // guarded by mu_
  std::thread loop_;
  std::atomic<int64_t> last_tick_ms_{0};
};

}  // namespace sendsync::server
