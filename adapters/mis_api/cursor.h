// The mis-api read cursor and the API's timestamps. Internal to adapters/mis_api.
//
// Why the cursor looks like this (docs/adapters/mis-api.md, "How incremental pulls stay
// complete"): a pull asks for students changed since a watermark W, minus an overlap, and follows
// the API's `next` links to the end, then the deletions endpoint the same way. The next pull's
// watermark is the later of the old one and min(server time when this pull started, latest
// updated_at/deleted_at seen). Taking the pull's start time, not the latest change seen, is what
// keeps a change made while we paged (to a page already read) from being skipped; taking the
// latest change seen when it is earlier keeps the cursor repeatable — the same data gives the same
// cursor. Duplicates from the overlap are harmless; the hub sees unchanged records as no-ops.
//
// A read call stops after `limit` records, so a pull spans several calls: the cursor then also
// holds where it is — the phase (records or deletions), the URL of the page being read and the id
// of the last item fully returned from it.
//
// Partitioned reads (docs/adapters/mis-api.md, `GET /schools/{school}/students/ranges`): when the
// API splits the students into id ranges, the records phase reads each range as a chain of its
// own, several at once; the cursor then holds every unfinished chain's page and position instead
// of one. A chain's page is committed only as far as its records were returned, so a restart
// re-reads at most the pages that were in flight.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sendsync/sdk/status.h>

namespace sendsync::mis_api_adapter {

// Milliseconds since 1970-01-01T00:00:00Z.
using Millis = int64_t;

// "2025-03-01T10:15:30.123Z".
std::string FormatTime(Millis t);
// ISO 8601 with a zone ("Z" or "+01:00"); fractions optional. nullopt when not a point in time.
std::optional<Millis> ParseTime(std::string_view text);

// How far back of the watermark each pull starts: covers changes the server stamped a little
// before they became visible (long transactions, replicas, clock steps).
constexpr Millis kOverlapMillis = 5 * 60 * 1000;

struct Cursor {
  enum class Phase { kRecords, kDeletions };

  // One id range of a partitioned records phase, read by following its own `next` links.
  struct Chain {
    std::string page;   // URL of the page being read (never empty)
    std::string after;  // id of the last item of `page` fully returned; empty = none yet
    bool operator==(const Chain&) const = default;
  };

  std::optional<Millis> watermark;  // none: everything (the first pull)
  // Set only while a pull is under way:
  std::optional<Millis> pull_start;  // the server's time on the pull's first page
  std::optional<Millis> max_seen;    // latest updated_at / deleted_at seen so far in the pull
  Phase phase = Phase::kRecords;
  std::string page;   // URL of the page being read; empty = the phase's first page
  std::string after;  // id of the last item of `page` fully returned; empty = none yet
  // Records phase of a partitioned pull: the chains not yet read to their end (page/after unused).
  std::vector<Chain> chains;

  bool in_pull() const { return pull_start.has_value(); }
  // The updated_after value to ask for: watermark minus the overlap.
  std::optional<Millis> UpdatedAfter() const;
  // Folds a seen timestamp into max_seen.
  void Saw(Millis t);
  // The pull is complete: the next pull starts from the new watermark (see above).
  void FinishPull();

  // "" is the cursor of a first pull. Anything else must have been made by ToString.
  static Result<Cursor> Parse(const std::string& text);
  std::string ToString() const;
};

}  // namespace sendsync::mis_api_adapter
