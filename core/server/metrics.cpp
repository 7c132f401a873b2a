#include "core/server/metrics.h"

#include "plugins/plugins.h"

#include <cstdio>
#include <sstream>

namespace sendsync::server {

namespace {

// Label values are escaped as the exposition format asks (backslash, quote, newline).
std::string Label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

const std::vector<double>& Metrics::Buckets() {
  static const std::vector<double> kBuckets = {0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600};
  return kBuckets;
}

Metrics::LinkStats& Metrics::StatsFor(const std::string& link) {
  LinkStats& s = links_[link];
  if (s.buckets.empty()) s.buckets.assign(Buckets().size(), 0);
  return s;
}

void Metrics::RecordRun(const sync::RunSummary& r) {
  std::lock_guard<std::mutex> lock(mu_);
  LinkStats& s = StatsFor(r.link);
  s.runs[r.status.empty() ? "failed" : r.status] += 1;
  s.records["pulled"] += r.pulled;
  s.records["applied"] += r.created + r.updated + r.deleted;
  s.records["quarantined"] += r.quarantined;
  s.records["conflicted"] += r.conflicts;
  s.records["pushed"] += r.pushed;
  s.records["dead_lettered"] += r.dead_lettered;
  const double seconds = static_cast<double>(r.duration_ms) / 1000.0;
  for (size_t i = 0; i < Buckets().size(); ++i)
    if (seconds <= Buckets()[i]) s.buckets[i] += 1;
  s.count += 1;
  s.sum_seconds += seconds;
}

void Metrics::RecordRefused(const std::string& link) {
  std::lock_guard<std::mutex> lock(mu_);
  StatsFor(link).runs["not_started"] += 1;
}

void Metrics::SetRunning(int running) {
  std::lock_guard<std::mutex> lock(mu_);
  running_ = running;
}

std::string Metrics::Render(store::Conn* conn) const {
  std::ostringstream o;
  {
    std::lock_guard<std::mutex> lock(mu_);
    o << "# HELP sendsync_runs_total Link runs this service made, by outcome.\n"
         "# TYPE sendsync_runs_total counter\n";
    for (const auto& [link, s] : links_)
      for (const auto& [outcome, n] : s.runs)
        o << "sendsync_runs_total{link=\"" << Label(link) << "\",outcome=\"" << outcome << "\"} "
          << n << "\n";
    o << "# HELP sendsync_records_total Records moved by this service's runs.\n"
         "# TYPE sendsync_records_total counter\n";
    for (const auto& [link, s] : links_)
      for (const auto& [what, n] : s.records)
        o << "sendsync_records_total{link=\"" << Label(link) << "\",what=\"" << what << "\"} " << n
          << "\n";
    o << "# HELP sendsync_run_duration_seconds How long runs took.\n"
         "# TYPE sendsync_run_duration_seconds histogram\n";
    for (const auto& [link, s] : links_) {
      if (s.count == 0) continue;
      const std::string l = "link=\"" + Label(link) + "\"";
      for (size_t i = 0; i < Buckets().size(); ++i)
        o << "sendsync_run_duration_seconds_bucket{" << l << ",le=\"" << Num(Buckets()[i]) << "\"} "
          << s.buckets[i] << "\n";
      o << "sendsync_run_duration_seconds_bucket{" << l << ",le=\"+Inf\"} " << s.count << "\n"
        << "sendsync_run_duration_seconds_sum{" << l << "} " << Num(s.sum_seconds) << "\n"
        << "sendsync_run_duration_seconds_count{" << l << "} " << s.count << "\n";
    }
    o << "# HELP sendsync_scheduler_running_runs Runs in progress in this service.\n"
         "# TYPE sendsync_scheduler_running_runs gauge\n"
         "sendsync_scheduler_running_runs "
      << running_ << "\n";
  }

  bool store_ok = conn != nullptr;
  std::ostringstream q;
  if (conn) {
    q << "# HELP sendsync_queue_size Open items waiting for a person.\n"
         "# TYPE sendsync_queue_size gauge\n";
    for (const char* table : {"conflicts", "quarantine", "match_queue"}) {
      auto rows =
          conn->Query(std::string("SELECT COUNT(*) FROM ") + table + " WHERE status = 'open'");
      if (!rows.ok() || rows->empty()) {
        store_ok = false;
        break;
      }
      const std::string name = std::string(table) == "match_queue" ? "matches" : table;
      q << "sendsync_queue_size{queue=\"" << name << "\"} " << store::AsInt((*rows)[0][0]) << "\n";
    }
    auto outbox = store_ok ? store::OutboxCounts(*conn, 0)
                           : Result<std::map<std::string, int64_t>>(Status::Internal(""));
    if (outbox.ok()) {
      q << "# HELP sendsync_outbox_items Outbox changes by status.\n"
           "# TYPE sendsync_outbox_items gauge\n";
      for (const char* st : {"pending", "delivered", "rejected", "dead", "superseded"}) {
        auto it = outbox->find(st);
        q << "sendsync_outbox_items{status=\"" << st << "\"} "
          << (it == outbox->end() ? 0 : it->second) << "\n";
      }
      auto dead = outbox->find("dead");
      q << "# HELP sendsync_dead_letters Changes given up on after the retry limit.\n"
           "# TYPE sendsync_dead_letters gauge\n"
           "sendsync_dead_letters "
        << (dead == outbox->end() ? 0 : dead->second) << "\n";
    } else {
      store_ok = false;
    }
  }
  if (store_ok) o << q.str();
  const plugins::WorkerCounts workers = plugins::WorkerCountsTotal();
  o << "# HELP sendsync_adapter_worker_failures_total Adapter workers that crashed, hung, ran out "
       "of "
       "memory or broke the protocol.\n"
       "# TYPE sendsync_adapter_worker_failures_total counter\n"
       "sendsync_adapter_worker_failures_total "
    << workers.failures << "\n"
    << "# HELP sendsync_adapter_worker_restarts_total Adapter workers started again after a "
       "failure.\n"
       "# TYPE sendsync_adapter_worker_restarts_total counter\n"
       "sendsync_adapter_worker_restarts_total "
    << workers.restarts << "\n";
  o << "# HELP sendsync_store_up Whether the store answered this scrape.\n"
       "# TYPE sendsync_store_up gauge\n"
       "sendsync_store_up "
    << (store_ok ? 1 : 0) << "\n";
  return o.str();
}

}  // namespace sendsync::server
