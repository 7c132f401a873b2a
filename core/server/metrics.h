// The service's Prometheus metrics: counters of the runs this process made (by link and outcome),
// the records they moved, a run duration histogram, and gauges read from the store when scraped
// (queue sizes, outbox by status, dead letters). Link names and counts only: no personal data.
// Used by the scheduler (RecordRun) and the HTTP layer (Render).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/store/store.h"
#include "core/sync/sync.h"

namespace sendsync::server {

class Metrics {
 public:
  // Counts a finished run (its status is the outcome: ok, needs_person, failed).
  void RecordRun(const sync::RunSummary& summary);
  // Counts a run that could not start (link busy elsewhere, disabled, store down).
  void RecordRefused(const std::string& link);
  void SetRunning(int running);

  // The text exposition format (0.0.4). Gauges that need the store are left out, with a
  // sendsync_store_up 0, when `conn` is null or a query fails.
  std::string Render(store::Conn* conn) const;

  // Upper bounds of the duration histogram's buckets, in seconds.
  static const std::vector<double>& Buckets();

 private:
  struct LinkStats {
    std::map<std::string, int64_t> runs;     // outcome -> count
    std::map<std::string, int64_t> records;  // pulled, applied, ... -> count
    std::vector<int64_t> buckets;            // cumulative counts per Buckets() bound
    int64_t count = 0;
    double sum_seconds = 0;
  };
  LinkStats& StatsFor(const std::string& link);  // mu_ held

  mutable std::mutex mu_;
  std::map<std::string, LinkStats> links_;  // guarded by mu_
  int running_ = 0;                         // guarded by mu_
};

}  // namespace sendsync::server
