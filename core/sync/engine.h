// The sync engine: runs of links (pull → check → plan → commit → push), people's queues and
// admin imports. docs/sync.md describes the model.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/store/conflict_resolution.h"
#include "plugins/plugins.h"
#include "sendsync/sdk/status.h"

namespace sendsync::store {
class Store;
}  // namespace sendsync::store

namespace sendsync::sync {

// The adapter id of the built-in link that admin imports (import-json) go through, and its name.
// It belongs to no school (its school_urn is a placeholder, 000000): views of schools leave it out.
inline constexpr const char* kImportAdapter = "builtin-import";
inline constexpr const char* kImportLink = "admin-import";

enum class RunMode { kSync, kDryRun, kPushOnly, kPullOnly };
const char* RunModeName(RunMode mode);

// What a run did, per link.
struct RunSummary {
  std::string link;
  int64_t run_id = 0;
  std::string mode;
  int64_t pulled = 0, created = 0, updated = 0, deleted = 0, unchanged = 0;
  int64_t quarantined = 0, conflicts = 0, matches = 0;
  int64_t pushed = 0, retried = 0, dead_lettered = 0, rejected = 0;
  int64_t duration_ms = 0;
  std::string status;  // ok, needs_person, failed
  std::string error;
  // The two directions fail independently: why the pull failed, why the push failed ("" when it
  // did not). `error` says both.
  std::string pull_error, push_error;
  // Dry runs: what would change, per pupil and field (also filled for real runs, capped).
  nlohmann::json changes = nlohmann::json::array();

  bool NeedsPerson() const {
    return quarantined + conflicts + matches + dead_lettered + rejected > 0;
  }
  nlohmann::json ToJson() const;
};

// Where a running link has got to: after each page it reads (pull, per kind) and each round of
// deliveries (push).
struct Progress {
  std::string link, kind, phase;  // phase: pull, push; kind: "" for push
  int64_t records = 0;            // done so far (of this kind, or delivered)
  double rate = 0;                // records per second so far
  int64_t remaining = -1;         // the adapter's estimate of what is left, -1 when unknown
  int64_t started_at_ms = 0;      // when reading this kind (or the push) began, ms since 1970

  // {phase, kind (not for push), records, rate, total and seconds_left (when known), started_at
  // (ms)}: what the run's row in the store and the CLI's --json progress events hold.
  nlohmann::json ToJson() const;
};

struct EngineOptions {
  plugins::RuntimeOptions runtime;
  std::string plugin_dir;  // empty: plugins::DefaultPluginDir()
  size_t page_size = 1000;
  size_t push_batch = 200;
  int max_attempts = 8;            // deliveries before a change is dead-lettered
  int64_t backoff_base_ms = 2000;  // first retry delay; doubles, with ±20 % jitter
  int64_t backoff_max_ms = 3600 * 1000;
  int64_t lease_ttl_ms = 120000;       // renewed every third of it while a run lasts
  std::string host_id;                 // this host's name in leases and runs; empty: hostname
  std::string holder;                  // lease holder name; empty: host_id:pid:random
  std::string actor_prefix = "link:";  // audit actor for link runs
  std::function<void(const Progress&)> on_progress;
  // A running run saves its progress in its row in the store (for `serve`'s API on every host)
  // at most this often.
  int64_t progress_save_every_ms = 1000;
  size_t max_reported_changes = 2000;  // cap on RunSummary::changes
  int max_parallel_links = 2;          // links RunAll runs at the same time
};

class Engine {
 public:
  Engine(store::Store& store, EngineOptions options);
  ~Engine();

  // Runs one link. Fails (FailedPrecondition) without doing anything when another run holds the
  // link's lease. An adapter failure ends that link's run with status "failed"; what was committed
  // before it stays committed.
  Result<RunSummary> RunLink(const std::string& link_name, RunMode mode);
  // Runs every enabled link (of one school, when given), up to `max_parallel_links` at a time, so
  // a link whose adapter hangs holds up only itself; one link's failure does not stop the others.
  // The summaries come in the links' order (the order they were added), not the order the runs
  // finished. After RequestStop, links not yet started are left out. Fails (and runs nothing)
  // only when the links cannot be listed (the store is unreachable or damaged), so an empty list
  // always means there were no enabled links to run.
  Result<std::vector<RunSummary>> RunAll(RunMode mode, const std::string& school_urn = "");

  // Asks a run in progress to stop at the next safe point (between pages or deliveries).
  void RequestStop();
  // This engine's lease holder name, "<host id>:<pid>:<n>" (runs record it as their holder).
  const std::string& holder() const;

  // ---- people's queues (each resolution is audited with `actor`) ----
  // resolution: "ours" keeps the hub's value (and pushes it), "theirs" takes the link's,
  // "value" sets `value` (JSON text). Fields often belong together (provision and needs): with
  // `whole_record`, every open conflict of the same record from the same link is resolved the
  // same way at once, since resolving one alone could leave the record invalid.
  Status ResolveConflict(int64_t id, store::ConflictResolution take,
                         const std::optional<std::string>& value, const std::string& actor,
                         bool whole_record = false);
  // Re-runs a quarantined record through the pipeline, optionally with an edited payload (JSON
  // text). Stays quarantined (with fresh reasons) if it still fails.
  Status RetryQuarantine(int64_t id, const std::optional<std::string>& edited,
                         const std::string& actor);
  Status DiscardQuarantine(int64_t id, const std::string& reason, const std::string& actor);
  // resolution: "record:<hub id>" links to that pupil, "new" creates a new pupil, "discard".
  Status ResolveMatch(int64_t id, const std::string& resolution, const std::string& actor);
  // Puts a dead-lettered or rejected change back in the queue for delivery.
  Status RetryOutbox(int64_t id, const std::string& actor);
  // Puts every change of `status` ("dead" or "rejected") back in the queue, of the link named
  // `link` (every link when empty), in one transaction with one audit entry each. Returns how
  // many. NotFound for an unknown link, InvalidArgument for another status.
  Result<int64_t> RetryOutboxAll(const std::string& link, const std::string& status,
                                 const std::string& actor);
  // Which changes a bulk retry puts back in the queue.
  struct OutboxRetryFilter {
    std::string status = "dead";  // "dead" or "rejected"
    std::string link;             // the link's name; empty: every link
    std::string school_urn;       // only links of this school; empty: every school
    std::vector<int64_t> ids;     // only these changes (each must be of `status`); empty: all
  };
  // Puts every change the filter selects back in the queue, in one transaction with one audit
  // entry each ("outbox.retry", bulk), and returns their ids. InvalidArgument for another status;
  // NotFound for an unknown link or change id; FailedPrecondition (nothing retried) when a listed
  // change is not of the status or not of the link or school.
  Result<std::vector<int64_t>> RetryOutboxMatching(const OutboxRetryFilter& filter,
                                                   const std::string& actor);

  // Applies canonical records from an admin's file (one JSON object per line) through the same
  // pipeline as a link named "admin-import" that owns every field. All-or-nothing: when any line
  // is bad, nothing is written and every bad line is reported with its number and reasons.
  struct ImportReport {
    int64_t lines = 0, created = 0, updated = 0, unchanged = 0;
    std::vector<std::string> errors;  // "line 7: dob: expected a date yyyy-mm-dd"
    // Warnings on lines that were imported: "line 3: needs[1].type: ... (NEED_TYPE_DUPLICATE)".
    std::vector<std::string> warnings;
  };
  Result<ImportReport> ImportJsonLines(const std::string& path, const std::string& actor);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sendsync::sync
