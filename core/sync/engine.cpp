// The engine: runs links (lease, pull in pages, commit each page, push), and reports what it did.
#include <unistd.h>

#include <cstdlib>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "base/log/log.h"
#include "core/sync/engine_impl.h"
#include "core/sync/plan.h"
#include "core/sync/reader.h"
#include "core/sync/run_lock.h"
#include "sendsync/sdk/records.h"

namespace sendsync::sync {

using detail::LinkCtx;
using nlohmann::json;

const char* RunModeName(RunMode mode) {
  switch (mode) {
    case RunMode::kSync:
      return "sync";
    case RunMode::kDryRun:
      return "dry-run";
    case RunMode::kPushOnly:
      return "push";
    case RunMode::kPullOnly:
      return "pull";
  }
  return "?";
}

json RunSummary::ToJson() const {
  json j = {{"link", link},
            {"run_id", run_id},
            {"mode", mode},
            {"status", status},
            {"pulled", pulled},
            {"created", created},
            {"updated", updated},
            {"deleted", deleted},
            {"applied", created + updated + deleted},
            {"unchanged", unchanged},
            {"quarantined", quarantined},
            {"conflicts", conflicts},
            {"matches", matches},
            {"pushed", pushed},
            {"retried", retried},
            {"dead_lettered", dead_lettered},
            {"rejected", rejected},
            {"duration_ms", duration_ms}};
  if (!error.empty()) j["error"] = error;
  if (!pull_error.empty()) j["pull_error"] = pull_error;
  if (!push_error.empty()) j["push_error"] = push_error;
  return j;
}

Engine::Engine(store::Store& store, EngineOptions options)
    : impl_(std::make_unique<Impl>(store, std::move(options))) {}
Engine::~Engine() = default;

void Engine::RequestStop() {
  impl_->stop = true;
}

const std::string& Engine::holder() const {
  return impl_->opt.holder;
}

Engine::Impl::Impl(store::Store& s, EngineOptions o) : store(s), opt(std::move(o)) {
  if (opt.host_id.empty()) {
    char host[256] = {0};
    ::gethostname(host, sizeof host - 1);
    opt.host_id = host;
  }
  if (opt.holder.empty()) {
    std::random_device rd;
    opt.holder =
        opt.host_id + ":" + std::to_string(::getpid()) + ":" + std::to_string(rd() % 100000);
  }
  if (opt.plugin_dir.empty()) opt.plugin_dir = plugins::DefaultPluginDir();
  run_lock_path = detail::RunLockPathFor(store.db().url().connector, store.db().url().connection);
  if (opt.on_progress) {  // links run on several threads at once (RunAll): report one at a time
    auto report = std::move(opt.on_progress);
    auto mu = std::make_shared<std::mutex>();
    opt.on_progress = [report = std::move(report), mu](const Progress& p) {
      std::lock_guard<std::mutex> lock(*mu);
      report(p);
    };
  }
}

bool Engine::Impl::HolderIsHere(const std::string& holder, const std::string& me) {
  auto host_of = [](const std::string& h) { return h.substr(0, h.find(':')); };
  return !holder.empty() && holder != me && host_of(holder) == host_of(me);
}

bool Engine::Impl::HolderIsDeadHere(const std::string& holder, const std::string& me) {
  if (!HolderIsHere(holder, me)) return false;
  size_t a = holder.find(':'), b = holder.find(':', a + 1);
  if (a == std::string::npos || b == std::string::npos) return false;
  return detail::ProcessEnded(std::strtol(holder.c_str() + a + 1, nullptr, 10));
}

Result<plugins::PluginInfo> Engine::Impl::FindPlugin(const std::string& adapter_id,
                                                     const std::string& version) {
  // Installed versions come and go while a service runs, so they are looked up every time; only
  // the bundled folder's discovery is kept.
  bool installed = !version.empty();
  for (const auto& a : plugins::ListInstalled(opt.runtime.adapters_dir))
    installed |= a.id == adapter_id;
  if (installed)
    return plugins::ResolveAdapter(opt.plugin_dir, opt.runtime.adapters_dir, adapter_id, version,
                                   opt.runtime);
  std::lock_guard<std::mutex> lock(plugins_mu);
  if (!discovered) {
    plugins_found = plugins::Discover(opt.plugin_dir, opt.runtime);
    discovered = true;
  }
  for (const auto& p : plugins_found)
    if (p.ok && p.manifest.id == adapter_id) return p;
  for (const auto& p : plugins_found)
    if (!p.ok && p.claimed_id == adapter_id)
      return Status::FailedPrecondition("adapter '" + adapter_id + "' was refused: " + p.reason);
  return Status::NotFound("no usable adapter '" + adapter_id + "' in " + opt.plugin_dir +
                          " (see sendsync plugins list)");
}

namespace {

void Add(RunSummary& s, detail::BatchResult& b, size_t cap) {
  s.created += b.created;
  s.updated += b.updated;
  s.deleted += b.deleted;
  s.unchanged += b.unchanged;
  s.quarantined += b.quarantined;
  s.conflicts += b.conflicts;
  s.matches += b.matches;
  for (json& c : b.changes)
    if (s.changes.size() < cap) s.changes.push_back(std::move(c));
}

// Renews a run's lease every third of its time on a connection of its own, so a run whose adapter
// takes longer than the lease over one page (or one push) keeps it. It only renews: a lease lost
// meanwhile (this host could not reach the store, another took the link) is found by the run
// itself at its next page, its safe point, which then stops.
class LeaseKeeper {
 public:
  LeaseKeeper(store::Store& store, int64_t link_id, std::string link, std::string holder,
              int64_t ttl_ms)
      : thread_([this, &store, link_id, link = std::move(link), holder = std::move(holder),
                 ttl_ms] { Loop(store, link_id, link, holder, ttl_ms); }) {}
  ~LeaseKeeper() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

 private:
  void Loop(store::Store& store, int64_t link_id, const std::string& link,
            const std::string& holder, int64_t ttl_ms) {
    const auto every = std::chrono::milliseconds(std::max<int64_t>(ttl_ms / 3, 1));
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, every, [this] { return done_; })) {
      lock.unlock();
      auto conn = store.Connect();
      Result<bool> renewed = conn.ok() ? store::RenewLease(**conn, link_id, holder, ttl_ms)
                                       : Result<bool>(conn.status());
      if (!renewed.ok())
        log::Write(log::Level::kWarn, "lease.renew_failed",
                   {{"link", link}, {"error", renewed.status().message()}});
      else if (!*renewed)
        log::Write(log::Level::kWarn, "lease.lost", {{"link", link}, {"holder", holder}});
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;   // guarded by mu_
  std::thread thread_;  // last: started once the rest is ready
};

}  // namespace

namespace {

// Plans one page and commits the plan: in a transaction of its own, or for a dry run in the run's
// transaction, which is rolled back.
Status CommitPage(store::Conn& conn, const LinkCtx& ctx, const std::string& kind,
                  detail::Page& page, const detail::BatchOptions& bo, detail::BatchResult& br) {
  std::optional<store::Tx> tx;
  if (!bo.dry_run) {
    tx.emplace(conn);
    SENDSYNC_RETURN_IF_ERROR(tx->status());
    detail::FaultPoint("commit.begin");
  }
  auto plan = detail::PlanBatch(conn, ctx, kind, page.checked, page.deletions, page.rejects, bo);
  if (!plan.ok()) return plan.status();
  SENDSYNC_RETURN_IF_ERROR(detail::CommitPlan(conn, *plan, bo.dry_run));
  if (tx) {
    SENDSYNC_RETURN_IF_ERROR(tx->Commit());
    detail::FaultPoint("commit.after_commit");
  }
  br = std::move(plan->result);
  return Status::OK();
}

}  // namespace

// Pulls every kind the link reads, one page per transaction (or all in one rolled-back
// transaction for a dry run).
Status Engine::Impl::Pull(store::Conn& conn, store::Conn& lease_conn, const LinkCtx& ctx,
                          const plugins::PluginInfo& plugin, plugins::Instance& adapter,
                          bool dry_run, int64_t run_id, detail::ProgressReporter& progress,
                          RunSummary& sum) {
  std::optional<store::Tx> dry;
  if (dry_run) {
    dry.emplace(conn);
    SENDSYNC_RETURN_IF_ERROR(dry->status());
  }
  std::vector<std::string> kinds;
  for (auto k : records::AllKinds()) {
    const std::string kind = records::KindName(k);
    const KindSettings* ks = ctx.settings.Find(kind);
    if (ks && ks->read && plugin.manifest.CanRead(kind)) kinds.push_back(kind);
  }
  // A kind's reader starts from the cursor the store holds for it; the next kind's reader starts
  // as soon as this one has handed over its last page, so its first read overlaps that page's
  // commit (a kind's cursor moves only with its own pages).
  std::vector<std::string> first_cursor(kinds.size());
  auto start_reader = [&](size_t i) -> Result<std::unique_ptr<detail::PageReader>> {
    auto cursor = store::GetCursor(conn, ctx.link.id, kinds[i]);
    if (!cursor.ok()) return cursor.status();
    first_cursor[i] = *cursor;
    return std::make_unique<detail::PageReader>(adapter, ctx, kinds[i], *cursor, opt.page_size,
                                                stop);
  };
  std::unique_ptr<detail::PageReader> reader, next_reader;
  for (size_t i = 0; i < kinds.size(); ++i) {
    const std::string& kind = kinds[i];
    if (next_reader) {
      reader = std::move(next_reader);
    } else {
      auto r = start_reader(i);
      if (!r.ok()) return r.status();
      reader = std::move(*r);
    }
    std::string cur = first_cursor[i];
    const auto started = std::chrono::steady_clock::now();
    const int64_t started_ms = store::NowMs();
    int64_t kind_records = 0;
    for (;;) {
      if (stop) return Status::Cancelled("stopped on request");
      detail::Page page = reader->Next();
      SENDSYNC_RETURN_IF_ERROR(page.status);
      const std::string next = page.next_cursor;
      const bool more = page.more;
      const int64_t remaining = page.remaining;
      if (!more && i + 1 < kinds.size()) {
        reader.reset();  // it has read its last page and calls the adapter no more
        auto r = start_reader(i + 1);
        if (!r.ok()) return r.status();
        next_reader = std::move(*r);
      }
      sum.pulled +=
          static_cast<int64_t>(page.items.size() + page.deletions.size() + page.rejects.size());
      kind_records += static_cast<int64_t>(page.items.size());

      detail::BatchOptions bo;
      bo.run_id = run_id;
      bo.cursor = next;
      bo.set_cursor = true;
      bo.dry_run = dry_run;
      // Only as many changes as the run's report still has room for.
      bo.max_changes =
          opt.max_reported_changes - std::min(opt.max_reported_changes, sum.changes.size());
      detail::BatchResult br;
      SENDSYNC_RETURN_IF_ERROR(CommitPage(conn, ctx, kind, page, bo, br));
      Add(sum, br, opt.max_reported_changes);
      // Freed on a reader's thread (this kind's, or the next kind's once this one has ended).
      if (detail::PageReader* r = reader ? reader.get() : next_reader.get())
        r->Release(std::move(page));
      // A SQLite dry run holds the write lock for its whole transaction, so renew inside it.
      store::Conn& renew_on =
          dry_run && conn.dialect() == store::Dialect::kSqlite ? conn : lease_conn;
      auto renewed = store::RenewLease(renew_on, ctx.link.id, opt.holder, opt.lease_ttl_ms);
      if (!renewed.ok()) return renewed.status();
      if (!*renewed)
        return Status::FailedPrecondition("lost the lease on link " + ctx.link.name +
                                          " (another host took over); stopping");
      // Saved where the lease is renewed, outside the page's transaction; a SQLite dry run's
      // would be rolled back unseen, so it is only reported.
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      progress.Report(dry_run && conn.dialect() == store::Dialect::kSqlite ? nullptr : &renew_on,
                      {ctx.link.name, kind, "pull", kind_records,
                       secs > 0 ? kind_records / secs : 0, more ? remaining : 0, started_ms});
      if (!more) break;
      if (next == cur)
        return Status::InvalidArgument("read " + kind +
                                       ": the adapter said more=true but returned the same cursor; "
                                       "stopping rather than loop");
      cur = next;
    }
  }
  return Status::OK();  // a dry run's transaction rolls back here
}

Status Engine::Impl::TakeLink(store::Conn& lease, const detail::LinkCtx& ctx,
                              std::unique_ptr<detail::RunLock>& run_lock) {
  const std::string busy =
      "link '" + ctx.link.name + "' is being run elsewhere right now; try again later";
  // On this host a run also holds the link's run lock, which the kernel drops when the process
  // dies: while we hold it, no other live process here runs the link (run_lock.h).
  if (!run_lock_path.empty()) {
    auto taken = detail::RunLock::TryTake(run_lock_path, ctx.link.id);
    if (!taken.ok())
      log::Write(log::Level::kWarn, "run_lock.unavailable",
                 {{"link", ctx.link.name}, {"error", taken.status().message()}});
    else if (!*taken)
      return Status::FailedPrecondition(busy);
    else
      run_lock = std::move(*taken);
  }
  auto got = store::AcquireLease(lease, ctx.link.id, opt.holder, opt.lease_ttl_ms);
  if (!got.ok()) return got.status();
  if (!*got) {
    // A run on this machine that crashed leaves its lease until it expires; its process is gone,
    // so waiting would only delay the recovery. Holding the run lock proves it is gone, the
    // moment it died; without one, its process is looked up (a zombie counts as gone).
    auto holder = store::LeaseHolder(lease, ctx.link.id);
    if (!holder.ok()) return holder.status();
    if (run_lock ? HolderIsHere(*holder, opt.holder) : HolderIsDeadHere(*holder, opt.holder)) {
      got = store::TakeOverLease(lease, ctx.link.id, *holder, opt.holder, opt.lease_ttl_ms);
      if (!got.ok()) return got.status();
      if (*got)
        log::Write(log::Level::kInfo, "lease.taken_over",
                   {{"link", ctx.link.name}, {"from", *holder}});
    }
  }
  return *got ? Status::OK() : Status::FailedPrecondition(busy);
}

void Engine::Impl::RecordEnd(store::Conn& lease, int64_t run_id, RunMode mode, RunSummary& sum) {
  const std::string& name = sum.link;
  json summary = sum.ToJson();
  if (mode == RunMode::kDryRun) summary["changes"] = sum.changes;
  Status finished = store::FinishRun(lease, run_id, sum.status, summary, sum.error);
  if (!finished.ok()) {
    // What was committed stays committed, but the run's record still says "running": the run
    // reports itself failed so the caller (and the exit code) shows the store is in trouble.
    log::Write(log::Level::kError, "run.finish_failed",
               {{"link", name}, {"run_id", run_id}, {"error", finished.message()}});
    sum.status = "failed";
    sum.error = (sum.error.empty() ? "" : sum.error + "; ") +
                "could not record the run's end: " + finished.message();
    summary["status"] = sum.status;
    summary["error"] = sum.error;
  }
  log::Write(log::Level::kInfo, "run.finished", summary);
}

Result<RunSummary> Engine::RunLink(const std::string& name, RunMode mode) {
  Impl& I = *impl_;
  auto t0 = std::chrono::steady_clock::now();
  auto conn_r = I.store.Connect();
  if (!conn_r.ok()) return conn_r.status();
  auto lease_r = I.store.Connect();
  if (!lease_r.ok()) return lease_r.status();
  store::Conn& conn = **conn_r;
  store::Conn& lease = **lease_r;
  auto ctx = detail::LoadLink(conn, name);
  if (!ctx.ok()) return ctx.status();
  if (ctx->link.adapter_id == kImportAdapter)
    return Status::FailedPrecondition("'" + name +
                                      "' is the built-in import link; it has nothing to run");
  if (!ctx->link.enabled)
    return Status::FailedPrecondition("link '" + name + "' is disabled (sendsync link enable " +
                                      name + ")");
  std::unique_ptr<detail::RunLock> run_lock;
  SENDSYNC_RETURN_IF_ERROR(I.TakeLink(lease, *ctx, run_lock));
  // From here every way out (a store error before the run starts, an exception) releases the
  // lease; the normal path releases it below once the run is recorded as finished.
  store::LeaseGuard held(lease, ctx->link.id, I.opt.holder);
  SENDSYNC_RETURN_IF_ERROR(store::AbandonStaleRuns(lease, ctx->link.id, I.opt.holder));
  auto run_id = store::StartRun(lease, ctx->link.id, RunModeName(mode), I.opt.holder);
  if (!run_id.ok()) return run_id.status();

  RunSummary sum;
  sum.link = name;
  sum.run_id = *run_id;
  sum.mode = RunModeName(mode);
  // (Not in a SQLite dry run: its transaction holds the write lock throughout, so the keeper
  // would only wait on it; that run renews inside its transaction after each page instead.)
  std::optional<LeaseKeeper> keeper;
  if (!(mode == RunMode::kDryRun && lease.dialect() == store::Dialect::kSqlite))
    keeper.emplace(I.store, ctx->link.id, name, I.opt.holder, I.opt.lease_ttl_ms);
  auto body = [&]() -> Status {
    auto plugin = I.FindPlugin(ctx->link.adapter_id, ctx->link.adapter_version);
    if (!plugin.ok()) return plugin.status();
    auto config = ResolveSecrets(ctx->link.config, plugin->manifest.secret_fields);
    if (!config.ok()) return config.status();
    auto adapter = plugins::Open(*plugin, config->dump(), I.opt.runtime);
    if (!adapter.ok())
      return adapter.status().WithContext("opening adapter " + ctx->link.adapter_id);
    // A failed pull does not hold back the push: the outbox is drained either way, unless the
    // run was stopped or no longer holds the lease.
    Status pulled = Status::OK(), pushed = Status::OK();
    detail::ProgressReporter progress(I.opt, *run_id);
    if (mode != RunMode::kPushOnly) {
      pulled = I.Pull(conn, lease, *ctx, *plugin, **adapter, mode == RunMode::kDryRun, *run_id,
                      progress, sum);
      if (!pulled.ok()) sum.pull_error = pulled.message();
    }
    if (mode == RunMode::kSync || mode == RunMode::kPushOnly) {
      bool may_push = !I.stop && pulled.code() != Status::Code::kCancelled;
      if (may_push && !pulled.ok()) {
        auto renewed = store::RenewLease(lease, ctx->link.id, I.opt.holder, I.opt.lease_ttl_ms);
        may_push = renewed.ok() && *renewed;
      }
      if (may_push) {
        pushed = detail::Push(conn, *ctx, **adapter, I.opt, I.stop, progress, sum);
        if (!pushed.ok()) sum.push_error = pushed.message();
      }
    }
    if (!pulled.ok() && !pushed.ok())
      return pushed.WithContext("pull: " + pulled.message() + "; push");
    return !pulled.ok() ? pulled : pushed;
  };
  // An exception (from a progress callback, say) ends the run as failed and is recorded as such,
  // rather than leaving it "running" with nobody to finish it.
  Status st = [&]() -> Status {
    try {
      return body();
    } catch (const std::exception& e) {
      return Status::Internal(std::string("run ended by an exception: ") + e.what());
    }
  }();
  sum.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  if (!st.ok()) {
    sum.status = "failed";
    sum.error = st.message();
    log::Write(log::Level::kWarn, "run.failed", {{"link", name}, {"error", st.message()}});
  } else {
    sum.status = sum.NeedsPerson() ? "needs_person" : "ok";
  }
  keeper.reset();  // no renewal after the release below
  I.RecordEnd(lease, *run_id, mode, sum);
  Status released = held.Release();
  if (!released.ok())  // the data is safe; the link is only blocked until the lease lapses
    log::Write(log::Level::kWarn, "lease.release_failed",
               {{"link", name}, {"error", released.message()}});
  return sum;
}

Result<std::vector<RunSummary>> Engine::RunAll(RunMode mode, const std::string& school_urn) {
  std::vector<store::Link> links;
  {
    auto conn = impl_->store.Connect();
    if (!conn.ok()) return conn.status().WithContext("listing the links to run");
    auto all = store::ListLinks(**conn);
    if (!all.ok()) return all.status().WithContext("listing the links to run");
    for (auto& l : *all)
      if (l.enabled && l.adapter_id != kImportAdapter &&
          (school_urn.empty() || l.school_urn == school_urn))
        links.push_back(std::move(l));
  }
  // Links run side by side, a bounded number at a time, so one whose adapter hangs holds up only
  // its own slot. A SQLite dry run holds the store's write lock for its whole length, so there
  // dry runs go one at a time (they would only queue on the lock).
  size_t slots = static_cast<size_t>(std::max(1, impl_->opt.max_parallel_links));
  if (mode == RunMode::kDryRun && impl_->store.db().dialect() == store::Dialect::kSqlite) slots = 1;
  slots = std::min(slots, links.size());
  std::vector<std::optional<RunSummary>> results(links.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < links.size(); i = next++) {
      if (impl_->stop) return;  // the rest are not started
      const std::string& name = links[i].name;
      try {
        auto r = RunLink(name, mode);
        if (r.ok()) {
          results[i] = std::move(*r);
          continue;
        }
        RunSummary s;
        s.link = name;
        s.mode = RunModeName(mode);
        s.status = "failed";
        s.error = r.status().message();
        results[i] = std::move(s);
      } catch (const std::exception& e) {  // nothing may escape a thread
        RunSummary s;
        s.link = name;
        s.mode = RunModeName(mode);
        s.status = "failed";
        s.error = std::string("internal error: ") + e.what();
        results[i] = std::move(s);
      }
    }
  };
  std::vector<std::thread> helpers;
  for (size_t t = 1; t < slots; ++t) helpers.emplace_back(work);
  work();
  for (auto& t : helpers) t.join();
  // In the links' order (the order they were added), whichever finished first.
  std::vector<RunSummary> out;
  for (auto& r : results)
    if (r) out.push_back(std::move(*r));
  return out;
}

}  // namespace sendsync::sync
