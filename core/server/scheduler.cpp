#include "core/server/scheduler.h"

#include <algorithm>

#include "base/log/log.h"

namespace sendsync::server {

namespace {
// A link leased by another host is not asked for again before this.
constexpr int64_t kBusyElsewhereMs = 30000;
}  // namespace

Scheduler::Scheduler(store::Store& store, sync::Engine& engine, Metrics& metrics,
                     SchedulerOptions options)
    : store_(store), engine_(engine), metrics_(metrics), options_(options) {}

Scheduler::~Scheduler() {
  Stop();
}

void Scheduler::Start() {
  last_tick_ms_ = store::NowMs();
  if (options_.enabled || options_.heartbeat) loop_ = std::thread([this] { Loop(); });
}

void Scheduler::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !loop_.joinable() && workers_.empty()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (loop_.joinable()) loop_.join();
  engine_.RequestStop();
  std::vector<Worker> workers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    workers.swap(workers_);
  }
  for (auto& w : workers) w.thread.join();
}

bool Scheduler::Claim(const std::string& link) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_ || running_.count(link)) return false;
  running_.insert(link);
  metrics_.SetRunning(static_cast<int>(running_.size()));
  return true;
}

void Scheduler::Release(const std::string& link) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    running_.erase(link);
    metrics_.SetRunning(static_cast<int>(running_.size()));
  }
  cv_.notify_all();
}

Result<sync::RunSummary> Scheduler::RunClaimed(const std::string& link, sync::RunMode mode) {
  auto r = engine_.RunLink(link, mode);
  if (!r.ok()) {
    metrics_.RecordRefused(link);
    if (r.status().code() == Status::Code::kFailedPrecondition) {
      // Busy elsewhere: asked for again when the holder's lease ends (it may have died just
      // after taking the link), or after kBusyElsewhereMs, whichever comes first.
      int64_t until = store::NowMs() + kBusyElsewhereMs;
      if (auto c = store_.Connect(); c.ok())
        if (auto l = store::GetLink(**c, link); l.ok())
          if (auto lease = store::GetLease(**c, l->id); lease.ok() && lease->has_value())
            until = std::min(until, (*lease)->expires_at);
      std::lock_guard<std::mutex> lock(mu_);
      not_before_[link] = until;
    }
    log::Write(log::Level::kWarn, "run.not_started",
               {{"link", link}, {"error", r.status().message()}});
  } else {
    metrics_.RecordRun(*r);
    if (options_.anchor) options_.anchor();
  }
  Release(link);
  return r;
}

Result<sync::RunSummary> Scheduler::RunNow(const std::string& link, sync::RunMode mode) {
  if (!Claim(link))
    return Status::FailedPrecondition("link '" + link +
                                      "' is running already (or the service is stopping)");
  return RunClaimed(link, mode);
}

Status Scheduler::StartRun(const std::string& link) {
  if (!Claim(link))
    return Status::FailedPrecondition("link '" + link +
                                      "' is running already (or the service is stopping)");
  auto done = std::make_shared<std::atomic<bool>>(false);
  std::lock_guard<std::mutex> lock(mu_);
  workers_.push_back({std::thread([this, link, done] {
                        // RunClaimed logs and counts a run that did not start; nobody waits here.
                        (void)RunClaimed(link, sync::RunMode::kSync);
                        *done = true;
                        cv_.notify_all();
                      }),
                      done});
  return Status::OK();
}

bool Scheduler::Running(const std::string& link) const {
  std::lock_guard<std::mutex> lock(mu_);
  return running_.count(link) > 0;
}

bool Scheduler::RunningAnywhere(store::Conn& conn, const store::Link& link) const {
  if (Running(link.name)) return true;
  auto lease = store::GetLease(conn, link.id);
  return lease.ok() && lease->has_value() && (*lease)->expires_at >= store::NowMs();
}

int Scheduler::RunningCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(running_.size());
}

bool Scheduler::Alive() const {
  if (!options_.enabled) return true;
  const int64_t late = 10 * options_.tick.count() + 5000;
  return store::NowMs() - last_tick_ms_.load() < late;
}

RunHistory Scheduler::HistoryOf(store::Conn& conn, int64_t link_id) const {
  RunHistory h;
  auto runs = store::ListRuns(conn, link_id, 50);
  if (!runs.ok()) return h;
  bool counting = true;
  for (const auto& r : *runs) {  // newest first
    if (r.mode == "dry-run") continue;
    if (h.last_started_at == 0) {
      h.last_started_at = r.started_at;
      h.newest_running = r.status == "running";
    }
    if (h.last_finished_at == 0 && r.finished_at) h.last_finished_at = *r.finished_at;
    if (r.status == "running") continue;
    if (counting && r.status == "failed")
      ++h.consecutive_failures;
    else
      counting = false;
    if (!counting && h.last_finished_at) break;
  }
  return h;
}

std::optional<int64_t> Scheduler::NextRunAt(const store::Link& link, const RunHistory& h,
                                            int64_t now_ms) const {
  if (!link.enabled || link.removed_at) return std::nullopt;
  auto s = ParseSchedule(link.schedule);
  if (!s.ok()) return std::nullopt;
  return server::NextRunAt(*s, h, now_ms, options_.backoff);
}

std::optional<int64_t> Scheduler::ResumeAt(store::Conn& conn, int64_t link_id,
                                           int64_t now_ms) const {
  auto lease = store::GetLease(conn, link_id);
  if (!lease.ok()) {
    log::Write(log::Level::kError, "scheduler.store_unreachable",
               {{"error", lease.status().message()}});
    return std::nullopt;
  }
  // No lease, or one that has lapsed: the run's host died (or ended without recording it). Run
  // the link now; the engine takes the lease, marks that run abandoned and resumes from the last
  // committed page. A lease taken by this host's own id: the engine tells a live process from a
  // dead one at once (engine.h), so it is asked now too.
  const std::string& mine = engine_.holder();
  auto host_of = [](const std::string& h) { return h.substr(0, h.find(':')); };
  if (!*lease || (*lease)->expires_at < now_ms || host_of((*lease)->holder) == host_of(mine))
    return now_ms;
  return (*lease)->expires_at;  // another host holds it: due when it lapses, unless renewed
}

void Scheduler::ReapFinished() {
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (*it->done) {
      it->thread.join();
      it = workers_.erase(it);
    } else {
      ++it;
    }
  }
}

void Scheduler::Tick() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ReapFinished();
    if (stopping_) return;
  }
  if (options_.heartbeat) {
    const int64_t t = store::NowMs();
    if (last_heartbeat_ms_ == 0 || t - last_heartbeat_ms_ >= options_.heartbeat_every.count()) {
      last_heartbeat_ms_ = t;
      options_.heartbeat();
    }
  }
  if (!options_.enabled) return;
  auto conn = store_.Connect();
  if (!conn.ok()) {
    log::Write(log::Level::kError, "scheduler.store_unreachable",
               {{"error", conn.status().message()}});
    return;
  }
  auto links = store::ListLinks(**conn);
  if (!links.ok()) {
    log::Write(log::Level::kError, "scheduler.store_unreachable",
               {{"error", links.status().message()}});
    return;
  }
  const int64_t now = store::NowMs();
  if (options_.anchor && now - last_anchor_ms_ >= options_.anchor_every.count()) {
    last_anchor_ms_ = now;
    options_.anchor();
  }
  // The links due now, with when each fell due: started longest-overdue first, so that when more
  // links are due than this host has room for, the ones at the end of the list are not passed over
  // on every tick by those at its start falling due again.
  struct Due {
    int64_t since;
    std::string name, schedule;
  };
  std::vector<Due> due;
  for (const auto& l : *links) {
    if (!l.enabled || l.schedule == "manual") continue;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_ || static_cast<int>(running_.size()) >= options_.max_parallel_runs) return;
      if (running_.count(l.name)) continue;
      auto nb = not_before_.find(l.name);
      if (nb != not_before_.end() && nb->second > now) continue;
    }
    const RunHistory history = HistoryOf(**conn, l.id);
    auto next = history.newest_running ? ResumeAt(**conn, l.id, now) : NextRunAt(l, history, now);
    if (next && *next > now && history.newest_running) {
      std::lock_guard<std::mutex> lock(mu_);
      not_before_[l.name] = *next;  // the lease's end: not asked for again before it
    }
    if (!next || *next > now) {
      due_since_.erase(l.name);  // not due (or run meanwhile, here or by another host)
      continue;
    }
    if (options_.jitter.count() > 0) {
      // This host's delay for this link and this run (the same on every tick until it starts).
      const int64_t delay =
          static_cast<int64_t>(std::hash<std::string>{}(engine_.holder() + "|" + l.name + "|" +
                                                        std::to_string(history.last_started_at)) %
                               static_cast<uint64_t>(options_.jitter.count()));
      // Counted from when it fell due (a link never run: from when this host first saw it due).
      const int64_t since = due_since_.emplace(l.name, *next).first->second;
      if (since + delay > now) continue;
    }
    // Never run: first. A dead host's run to resume: due since that run started.
    const int64_t overdue_since = history.last_started_at == 0 ? 0
                                  : history.newest_running     ? history.last_started_at
                                                               : *next;
    due.push_back({overdue_since, l.name, l.schedule});
  }
  std::stable_sort(due.begin(), due.end(),
                   [](const Due& x, const Due& y) { return x.since < y.since; });
  for (const Due& d : due) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_ || static_cast<int>(running_.size()) >= options_.max_parallel_runs) return;
    }
    due_since_.erase(d.name);
    log::Write(log::Level::kInfo, "scheduler.start", {{"link", d.name}, {"schedule", d.schedule}});
    // Refused only when the link is running already or the service is stopping: then it is
    // not started again, and the next tick looks again.
    (void)StartRun(d.name);
  }
}

void Scheduler::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    Tick();
    last_tick_ms_ = store::NowMs();
    lock.lock();
    cv_.wait_for(lock, options_.tick, [this] { return stopping_; });
  }
}

}  // namespace sendsync::server
