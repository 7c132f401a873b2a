// When a link runs next: its schedule ("manual", "hourly", "every 15m", "daily 06:30", checked by
// sync::ValidateSchedule), its last run, and the back-off after failed runs. Pure functions, so the
// scheduler's decisions can be tested without a clock. Used by core/server's scheduler and API.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sendsync/sdk/status.h"

namespace sendsync::server {

struct Schedule {
  enum class Kind { kManual, kEvery, kDaily };
  Kind kind = Kind::kManual;
  int64_t every_ms = 0;      // kEvery ("hourly" is every 1h)
  int hour = 0, minute = 0;  // kDaily, in the host's local time
};

// Parses a schedule that sync::ValidateSchedule accepts; its error otherwise.
Result<Schedule> ParseSchedule(const std::string& text);

// What the scheduler knows about a link's past runs (its scheduled/manual sync runs, not dry runs).
struct RunHistory {
  int64_t last_started_at = 0;   // 0: never run
  int64_t last_finished_at = 0;  // 0: never finished
  int consecutive_failures = 0;  // failed runs in a row, newest first
  // The newest run still says "running": it runs on some host, or its host died in the middle of
  // it. The scheduler then goes by the link's lease, not by the schedule (scheduler.h).
  bool newest_running = false;
};

struct Backoff {
  int64_t base_ms = 60000;
  int64_t max_ms = 3600000;
};

// The delay before retrying after `failures` failed runs in a row: base, doubling, capped at max.
int64_t RetryDelayMs(int failures, const Backoff& backoff);

// When the link is next due (ms since the epoch), or nullopt for manual links. A link never run is
// due at once (kEvery) or at the next HH:MM (kDaily). After failed runs, the next attempt is the
// last finish plus RetryDelayMs, whatever the schedule says: a failing link neither hammers its
// system nor waits a whole day to try again.
std::optional<int64_t> NextRunAt(const Schedule& schedule, const RunHistory& history,
                                 int64_t now_ms, const Backoff& backoff);

}  // namespace sendsync::server
