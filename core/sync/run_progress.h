// A run's progress on its way out: to the caller's on_progress at every page (the CLI's terminal
// line and --json events), and into the run's row in the store at most every
// EngineOptions::progress_save_every_ms, so that `serve` on any host sharing the store shows where
// a running link has got to. Internal to core/sync; one per run, used by the run's thread only.
#pragma once

#include <cstdint>

#include "core/store/store.h"
#include "core/sync/engine.h"

namespace sendsync::sync::detail {

class ProgressReporter {
 public:
  ProgressReporter(const EngineOptions& opt, int64_t run_id);

  // Reports `p`, and saves it on `save_on` when the last save is old enough (the first always).
  // `save_on` null: not saved (a SQLite dry run, whose writes nobody else could see before they
  // are rolled back). A failed save is logged and does not stop the run: progress is for people
  // to watch, and the next save tries again.
  void Report(store::Conn* save_on, const Progress& p);

 private:
  const EngineOptions& opt_;
  const int64_t run_id_;
  int64_t last_saved_ms_ = -1;
};

}  // namespace sendsync::sync::detail
