// The due list's lines (hub::DueEntries), kept while the hub has not changed since they were
// computed. Computing them reads and runs the clocks of every pupil in the list (at 20,000 pupils,
// tens of milliseconds for one school and seconds for a whole LA); the dashboard's Due & clocks
// page asks for the same lines again with other filters and pages. With the cache a repeated call
// costs one query (the hub generation, store::HubGeneration) and the filtering.
//
// A key names everything the lines depend on: the school asked about (a school-limited token's
// own school, "" for all), the as-of date (today's date for a call without ?as_of=, so the lines of
// yesterday are never served after midnight) and the warning window. Bounded in bytes, least
// recently used out first.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/hub/hub.h"

namespace sendsync::server {

// The service's budget for the due list's lines.
inline constexpr size_t kDueCacheBytes = size_t{32} << 20;

class DueCache {
 public:
  using Lines = std::vector<hub::DueEntry>;

  explicit DueCache(size_t max_bytes);
  ~DueCache();
  DueCache(const DueCache&) = delete;
  DueCache& operator=(const DueCache&) = delete;

  // "<school>|<as of yyyy-mm-dd>|<warning days>".
  static std::string Key(const std::string& school, Date as_of, int upcoming_days);

  // The lines for `key` when they were computed at `generation`, else null; lines from an older
  // generation are dropped.
  std::shared_ptr<const Lines> Find(const std::string& key, int64_t generation);
  // Keeps `lines` unless a newer generation's are already kept for `key`, or they alone are
  // larger than the whole budget.
  void Put(const std::string& key, int64_t generation, std::shared_ptr<const Lines> lines);

  // What a set of lines is counted as against the budget.
  static size_t Cost(const std::string& key, const Lines& lines);

  size_t bytes() const;
  size_t entries() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sendsync::server
