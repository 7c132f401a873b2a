// Links run side by side, so a hung adapter holds up only its own link; and a run that crashed is
// recovered from at once, even while its process is a zombie not yet reaped by its parent.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>

#include "core/audit/audit.h"
#include "core/sync/run_lock.h"
#include "sync_fixture.h"

extern char** environ;

namespace sendsync::testing_support {
namespace {

using namespace std::chrono_literals;

// Polls `done` every 10 ms for up to `limit`.
bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// The process's state letter from /proc/<pid>/stat ('Z' for a zombie), or 0.
char ProcState(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = stat.rfind(')');
  return close == std::string::npos || close + 2 >= stat.size() ? 0 : stat[close + 2];
}

// Starts the sendsync CLI with `env` added to this process's environment, output to `log`.
// Everything the child needs is built before fork (a child of a threaded process may call only
// async-signal-safe functions before exec).
pid_t SpawnCli(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
               const fs::path& log) {
  std::vector<std::string> argv_s = {SENDSYNC_BIN};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<std::string> env_s;
  for (char** e = environ; *e; ++e) {
    const std::string kv = *e;
    if (!env.count(kv.substr(0, kv.find('=')))) env_s.push_back(kv);
  }
  for (const auto& [k, v] : env) env_s.push_back(k + "=" + v);
  std::vector<char*> argv, envp;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  const std::string log_path = log.string();
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    ::execve(SENDSYNC_BIN, argv.data(), envp.data());
    ::_exit(127);
  }
  return pid;
}

// Waits for the child and returns its exit code (-1 when it did not exit normally).
int Reap(pid_t pid) {
  int st = 0;
  if (::waitpid(pid, &st, 0) != pid) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

class RunsTest : public SyncTest {
 protected:
  // A link whose adapter (the misbehaving test adapter) hangs in its first read until Release.
  void AddHung(const std::string& name) {
    sync::LinkSpec spec;
    spec.name = name;
    spec.school_urn = "100000";
    spec.adapter_id = "misbehaving";
    spec.config = json::object();
    spec.settings = {{"kinds", {{"pupil", {{"direction", "read"}}}}}};
    auto id = sync::AddLink(*store_, spec, options_.runtime, SYNC_PLUGIN_DIR, "test");
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    ASSERT_TRUE(store::SetCursor(*Conn(), *id, "pupil", "wait-file:" + ReleaseFile(name)).ok());
  }
  std::string ReleaseFile(const std::string& name) { return (dir_ / ("release-" + name)).string(); }
  void Release(const std::string& name) { std::ofstream(ReleaseFile(name)) << "go"; }

  int64_t LinkId(const std::string& name) {
    auto l = store::GetLink(*Conn(), name);
    EXPECT_TRUE(l.ok()) << l.status().ToString();
    return l.ok() ? l->id : 0;
  }
  std::optional<store::Run> LastRun(const std::string& name) {
    auto runs = store::ListRuns(*Conn(), LinkId(name), 1);
    if (!runs.ok() || runs->empty()) return std::nullopt;
    return (*runs)[0];
  }
  std::map<std::string, std::string> CliEnv() const {
    return {{"SENDSYNC_DB", url_},
            {"SENDSYNC_PLUGINS", SYNC_PLUGIN_DIR},
            {"SENDSYNC_ADAPTER_HOST", WORKER_PATH},
            {"SENDSYNC_CONFIG", ""},
            {"ASAN_OPTIONS", "detect_leaks=0"}};
  }
};

// ---- links side by side ----

TEST_F(RunsTest, AHungAdapterHoldsUpOnlyItsOwnLink) {
  options_.runtime.call_timeout = std::chrono::seconds(120);  // the default: the hang is the test's
  options_.max_parallel_links = 2;
  Rebuild();
  AddHung("a-hung");  // added first, so a one-after-another run would start with it
  Source({PupilRec("P1", 1), PupilRec("P2", 2)});
  AddSource("b-fast");

  std::vector<sync::RunSummary> all;
  std::thread run([&] {
    auto r = engine_->RunAll(sync::RunMode::kSync);
    if (r.ok()) all = std::move(*r);
  });
  const bool fast_finished = WaitFor(
      [&] {
        auto r = LastRun("b-fast");
        return r && r->status != "running";
      },
      30s);
  const std::optional<store::Run> hung = LastRun("a-hung");
  Release("a-hung");
  run.join();

  ASSERT_TRUE(fast_finished) << "b-fast did not finish while a-hung's adapter hung";
  ASSERT_TRUE(hung.has_value());
  EXPECT_EQ(hung->status, "running") << "a-hung was still in its read when b-fast finished";
  // The report keeps the links' order, whichever finished first.
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].link, "a-hung");
  EXPECT_EQ(all[1].link, "b-fast");
  EXPECT_NE(all[0].status, "failed") << all[0].error;
  EXPECT_EQ(all[1].status, "ok") << all[1].error;
  EXPECT_EQ(all[1].created, 2);
}

TEST_F(RunsTest, OneAtATimeRunsTheLinksInTheOrderTheyWereAdded) {
  options_.max_parallel_links = 1;
  Rebuild();
  AddSource("z-first", nullptr, "one");
  AddSource("a-second", nullptr, "two");
  Source({PupilRec("P1", 1)}, "one");
  Source({PupilRec("P2", 2)}, "two");
  auto ran = engine_->RunAll(sync::RunMode::kSync);
  ASSERT_TRUE(ran.ok()) << ran.status().ToString();
  auto& all = *ran;
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].link, "z-first");
  EXPECT_EQ(all[1].link, "a-second");
  EXPECT_LT(all[0].run_id, all[1].run_id) << "z-first started before a-second";
  EXPECT_EQ(all[0].created + all[1].created, 2);
}

// Several links committing into one store at once: on SQLite commits queue on its one writer, on
// PostgreSQL they take turns on a lock; either way every record arrives once, a pupil two links
// both send is one hub pupil, and the audit chain is whole.
class ParallelBackends : public RunsTest, public testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres" && PostgresSkipped()) GTEST_SKIP() << "SENDSYNC_SKIP_POSTGRES=1";
    if (GetParam() == "postgres") {
      const std::string url = FreshPostgresUrl();
      ASSERT_FALSE(url.empty());
      Open(url);
    } else {
      RunsTest::SetUp();
    }
  }
};

TEST_P(ParallelBackends, LinksRunningAtOnceCommitEveryRecordOnce) {
  options_.max_parallel_links = 4;
  options_.page_size = 10;
  Rebuild();
  std::vector<json> shared, own_c, own_d;
  for (int i = 1; i <= 40; ++i) shared.push_back(PupilRec("S" + std::to_string(i), i));
  for (int i = 41; i <= 70; ++i) own_c.push_back(PupilRec("C" + std::to_string(i), i));
  for (int i = 71; i <= 100; ++i) own_d.push_back(PupilRec("D" + std::to_string(i), i));
  for (const char* l : {"a", "b", "c", "d"}) AddSource(std::string("link-") + l, nullptr, l);
  Source(shared, "a");
  Source(shared, "b");  // the same pupils from a second system
  Source(own_c, "c");
  Source(own_d, "d");

  auto ran = engine_->RunAll(sync::RunMode::kSync);
  ASSERT_TRUE(ran.ok()) << ran.status().ToString();
  auto& all = *ran;
  ASSERT_EQ(all.size(), 4u);
  for (const auto& s : all) EXPECT_EQ(s.status, "ok") << s.link << ": " << s.error;
  EXPECT_EQ(all[0].created + all[1].created, 40) << "each shared pupil was created once";
  EXPECT_EQ(all[0].unchanged + all[1].unchanged, 40) << "and matched by the other link";
  auto rows = store::ScanRecords(*Conn(), 0, 100000);
  ASSERT_TRUE(rows.ok());
  std::set<std::string> upns;
  int pupils = 0;
  for (const auto& r : *rows)
    if (r.kind == "pupil") {
      ++pupils;
      upns.insert(r.upn);
    }
  EXPECT_EQ(pupils, 100);
  EXPECT_EQ(upns.size(), 100u);
  auto verified = audit::Verify(*Conn());
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok) << verified->problem;
}

INSTANTIATE_TEST_SUITE_P(Backends, ParallelBackends, testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

// ---- failures are not dropped ----

// A store error after the lease is taken, before the run has started: the lease goes with it.
TEST_F(RunsTest, ARunThatCannotStartReleasesItsLease) {
  AddSource();
  ASSERT_TRUE(Conn()
                  ->Exec("CREATE TRIGGER no_runs BEFORE INSERT ON runs "
                         "BEGIN SELECT RAISE(ABORT, 'runs refused by the test'); END")
                  .ok());
  auto r = engine_->RunLink("mis", sync::RunMode::kSync);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("runs refused by the test"), std::string::npos)
      << r.status().ToString();
  auto holder = store::LeaseHolder(*Conn(), LinkId("mis"));
  ASSERT_TRUE(holder.ok()) << holder.status().ToString();
  EXPECT_EQ(*holder, "") << "the failed start kept the lease";
  // And another host can run the link at once, without waiting for the lease to lapse.
  ASSERT_TRUE(Conn()->Exec("DROP TRIGGER no_runs").ok());
  auto other = store::AcquireLease(*Conn(), LinkId("mis"), "other-host:1:1", 60000);
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(*other);
}

// An exception out of the run (here from the progress callback) ends it as failed, recorded so,
// with the lease released.
TEST_F(RunsTest, ARunEndedByAnExceptionIsRecordedFailedAndReleasesItsLease) {
  options_.on_progress = [](const sync::Progress&) {
    throw std::runtime_error("progress display broke");
  };
  Rebuild();
  AddSource();
  Source({PupilRec("P1", 1)});
  Result<sync::RunSummary> r = Status::Internal("not run");
  EXPECT_NO_THROW(r = engine_->RunLink("mis", sync::RunMode::kSync));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, "failed");
  EXPECT_NE(r->error.find("progress display broke"), std::string::npos) << r->error;
  auto last = LastRun("mis");
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->status, "failed") << "the run was left '" << last->status << "'";
  auto holder = store::LeaseHolder(*Conn(), LinkId("mis"));
  ASSERT_TRUE(holder.ok());
  EXPECT_EQ(*holder, "");
}

// A run whose end cannot be written to the store says so: it is not reported "ok" with its row
// still "running".
TEST_F(RunsTest, ARunWhoseEndCannotBeRecordedReportsFailure) {
  AddSource();
  Source({PupilRec("P1", 1)});
  ASSERT_TRUE(Conn()
                  ->Exec("CREATE TRIGGER no_finish BEFORE UPDATE ON runs "
                         "WHEN NEW.status <> 'running' "
                         "BEGIN SELECT RAISE(ABORT, 'finish refused by the test'); END")
                  .ok());
  auto r = engine_->RunLink("mis", sync::RunMode::kSync);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->created, 1) << "what was committed stays committed";
  EXPECT_EQ(r->status, "failed");
  EXPECT_NE(r->error.find("could not record the run's end"), std::string::npos) << r->error;
  EXPECT_NE(r->error.find("finish refused by the test"), std::string::npos) << r->error;
  auto holder = store::LeaseHolder(*Conn(), LinkId("mis"));
  ASSERT_TRUE(holder.ok());
  EXPECT_EQ(*holder, "") << "the lease is released all the same";
}

TEST_F(RunsTest, RunAllTellsAStoreFailureFromNoLinks) {
  auto none = engine_->RunAll(sync::RunMode::kSync);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());

  AddSource();
  ASSERT_TRUE(Conn()->Exec("ALTER TABLE links RENAME TO links_hidden_by_test").ok());
  auto broken = engine_->RunAll(sync::RunMode::kSync);
  ASSERT_FALSE(broken.ok()) << "a store failure came back as " << broken->size() << " runs";
  EXPECT_NE(broken.status().message().find("listing the links to run"), std::string::npos)
      << broken.status().ToString();
  EXPECT_NE(broken.status().message().find("links"), std::string::npos);
}

TEST_F(RunsTest, SyncOfEveryLinkExitsNonZeroWhenTheStoreFails) {
  AddSource();
  ASSERT_TRUE(Conn()->Exec("ALTER TABLE links RENAME TO links_hidden_by_test").ok());
  const pid_t pid = SpawnCli({"sync", "--in-process"}, CliEnv(), dir_ / "sync.log");
  ASSERT_GT(pid, 0);
  const int code = Reap(pid);
  const std::string out = ReadAll(dir_ / "sync.log");
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("nothing was run"), std::string::npos) << out;
  EXPECT_NE(out.find("listing the links to run"), std::string::npos) << out;
  EXPECT_EQ(out.find("no enabled links"), std::string::npos) << out;
}

// ---- a crashed run ----

TEST(ProcessEnded, AZombieCountsAsEndedThoughKillZeroFindsIt) {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(WaitFor([&] { return ProcState(pid) == 'Z'; }, 10s));
  EXPECT_EQ(::kill(pid, 0), 0) << "kill(pid, 0) succeeds on a zombie";
  EXPECT_TRUE(sync::detail::ProcessEnded(pid));
  ::waitpid(pid, nullptr, 0);
  EXPECT_TRUE(sync::detail::ProcessEnded(pid)) << "reaped: gone";
  EXPECT_FALSE(sync::detail::ProcessEnded(::getpid()));
}

TEST(RunLock, ASecondTakerIsRefusedUntilTheFirstLetsGo) {
  const fs::path file =
      fs::temp_directory_path() / ("sendsync-runlock-" + std::to_string(::getpid()) + ".lock");
  auto first = sync::detail::RunLock::TryTake(file.string(), 7);
  ASSERT_TRUE(first.ok() && *first) << first.status().ToString();
  auto second = sync::detail::RunLock::TryTake(file.string(), 7);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(*second) << "link 7 is taken (a second taker in the same process is refused too)";
  auto other = sync::detail::RunLock::TryTake(file.string(), 8);
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(*other) << "another link's lock is its own";
  first->reset();
  auto again = sync::detail::RunLock::TryTake(file.string(), 7);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(*again);
  fs::remove(file);
}

// `sendsync sync` killed with SIGKILL while it holds a link, and not yet reaped by its parent
// (a zombie): the next run must start at once, not wait for the lease to expire; while the first
// run lives, it must still be refused.
class CrashedRun : public RunsTest, public testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres" && PostgresSkipped()) GTEST_SKIP() << "SENDSYNC_SKIP_POSTGRES=1";
    RunsTest::SetUp();
    if (GetParam() == "postgres") {
      const std::string url = FreshPostgresUrl();
      ASSERT_FALSE(url.empty());
      Open(url);
    }
  }
};

TEST_P(CrashedRun, AKilledRunNotYetReapedDoesNotHoldUpTheNextRun) {
  AddHung("mis");
  const int64_t link = LinkId("mis");
  const pid_t pid =
      SpawnCli({"sync", "--link", "mis", "--in-process"}, CliEnv(), dir_ / "first.log");
  ASSERT_GT(pid, 0);
  const bool leased = WaitFor(
      [&] {
        auto h = store::LeaseHolder(*Conn(), link);
        return h.ok() && !h->empty();
      },
      30s);
  if (!leased) {
    ::kill(pid, SIGKILL);
    Reap(pid);
    FAIL() << "the first run never took the lease: " << ReadAll(dir_ / "first.log");
  }

  // Alive: the link is refused.
  auto refused = engine_->RunLink("mis", sync::RunMode::kSync);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("being run elsewhere"), std::string::npos)
      << refused.status().message();

  // Killed, and left a zombie.
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  ASSERT_TRUE(WaitFor([&] { return ProcState(pid) == 'Z'; }, 10s));
  EXPECT_EQ(::kill(pid, 0), 0) << "still a zombie";
  Release("mis");
  const pid_t again =
      SpawnCli({"sync", "--link", "mis", "--in-process"}, CliEnv(), dir_ / "again.log");
  const int code = Reap(again);
  EXPECT_EQ(ProcState(pid), 'Z') << "the crashed run was still not reaped during the re-run";
  Reap(pid);
  const std::string out = ReadAll(dir_ / "again.log");
  EXPECT_TRUE(code == 0 || code == 3) << "exit " << code << ": " << out;
  EXPECT_EQ(out.find("being run elsewhere"), std::string::npos) << out;
  auto last = LastRun("mis");
  ASSERT_TRUE(last.has_value());
  EXPECT_NE(last->status, "running");
  EXPECT_NE(last->status, "failed") << last->error;
}

INSTANTIATE_TEST_SUITE_P(Backends, CrashedRun, testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

// ---- several hosts on one PostgreSQL store ----

class TwoHosts : public RunsTest {
 protected:
  void SetUp() override {
    if (PostgresSkipped()) GTEST_SKIP() << "SENDSYNC_SKIP_POSTGRES=1";
    RunsTest::SetUp();
    const std::string url = FreshPostgresUrl();
    ASSERT_FALSE(url.empty());
    Open(url);
  }
  // An engine as another host would have it: its own host id, so neither can tell whether the
  // other's process lives (only the lease's expiry frees a link).
  std::unique_ptr<sync::Engine> Host(const std::string& host_id, int64_t lease_ms) {
    sync::EngineOptions o = options_;
    o.host_id = host_id;
    o.lease_ttl_ms = lease_ms;
    return std::make_unique<sync::Engine>(*store_, o);
  }
};

// Two hosts asked to run the same link again and again, at the same moments: at most one run at a
// time, every run either refused up front or finished, never two overlapping.
TEST_F(TwoHosts, NeverRunTheSameLinkAtOnce) {
  options_.page_size = 2;  // two pages (and lease renewals) per run, each small: runs are quick
  std::vector<json> pupils;
  for (int i = 1; i <= 3; ++i) pupils.push_back(PupilRec("P" + std::to_string(i), i));
  Source(pupils);
  const int64_t link = AddSource("mis");
  auto a = Host("host-a", 60000), b = Host("host-b", 60000);
  constexpr int kTries = 1000;  // issue 16: a thousand times each
  std::atomic<int> ran{0}, refused{0}, other{0};
  auto hammer = [&](sync::Engine& e) {
    for (int i = 0; i < kTries; ++i) {
      auto r = e.RunLink("mis", sync::RunMode::kSync);
      if (r.ok() && r->status == "ok")
        ++ran;
      else if (!r.ok() && r.status().code() == Status::Code::kFailedPrecondition)
        ++refused;
      else
        ++other;
    }
  };
  std::thread ta([&] { hammer(*a); });
  std::thread tb([&] { hammer(*b); });
  ta.join();
  tb.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(ran + refused, 2 * kTries);
  EXPECT_GT(ran.load(), 0);
  auto runs = store::ListRuns(*Conn(), link, 10 * kTries);
  ASSERT_TRUE(runs.ok());
  EXPECT_EQ(static_cast<int>(runs->size()), ran.load()) << "a refused run leaves no run behind";
  std::set<std::string> hosts;
  std::sort(runs->begin(), runs->end(), [](const auto& x, const auto& y) { return x.id < y.id; });
  for (size_t i = 0; i < runs->size(); ++i) {
    const store::Run& r = (*runs)[i];
    EXPECT_EQ(r.status, "ok") << r.error;
    ASSERT_TRUE(r.finished_at.has_value());
    hosts.insert(r.holder.substr(0, r.holder.find(':')));
    if (i > 0) {
      EXPECT_GE(r.started_at, *(*runs)[i - 1].finished_at)
          << "run " << r.id << " (" << r.holder << ") started before run " << (*runs)[i - 1].id
          << " (" << (*runs)[i - 1].holder << ") finished";
    }
  }
  EXPECT_EQ(hosts, (std::set<std::string>{"host-a", "host-b"})) << "both hosts ran it";
  EXPECT_EQ(Hub("pupil").size(), 3u);
}

// An admin import while a link's page is committing on PostgreSQL: both finish. (The import wrote
// first, creating the import link and moving the hub generation, and then waited for the page's
// commit turn, while the page waited to move the generation: PostgreSQL found a deadlock and
// failed one of them. The scale-out test's import failed so.)
TEST_F(TwoHosts, AnImportWhileAPageCommitsDoesNotDeadlock) {
  auto page = Conn();
  store::Tx tx(*page);
  ASSERT_TRUE(tx.status().ok());
  // A page in flight: it has its commit turn (sync/pipeline.cpp) and is planning.
  ASSERT_TRUE(page->Exec("SELECT pg_advisory_xact_lock(7424012)").ok());
  fs::create_directories(dir_ / "import");
  Source({PupilRec("P1", 1)}, "import");
  const std::string file = (dir_ / "import" / "pupil.jsonl").string();
  Result<sync::Engine::ImportReport> imported = Status::Internal("not run");
  std::thread importer([&] { imported = engine_->ImportJsonLines(file, "test"); });
  auto watcher = Conn();
  const bool waiting = WaitFor(
      [&] {
        auto rows = watcher->Query(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted");
        return rows.ok() && !rows->empty() && store::AsInt((*rows)[0][0]) > 0;
      },
      20s);
  // The page commits: it moves the hub generation, as every commit does.
  Status bumped = page->Exec("UPDATE hub_generation SET n = n + 1 WHERE id = 1");
  Status committed = bumped.ok() ? tx.Commit() : bumped;
  importer.join();
  ASSERT_TRUE(waiting) << "the import never waited for the page's turn";
  EXPECT_TRUE(committed.ok()) << committed.ToString();
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  EXPECT_EQ(imported->created, 1);
}

// A host killed (SIGKILL) in the middle of a run: another host is refused while the dead host's
// lease lasts, then takes the link over, marks the dead run abandoned and resumes from the
// committed cursor.
TEST_F(TwoHosts, AKilledHostsLinkIsRunByAnotherAfterTheLeaseTime) {
  AddHung("mis");
  const int64_t link = LinkId("mis");
  const fs::path cfg = dir_ / "host-a.json";
  std::ofstream(cfg) << json{
      {"data_dir", dir_.string()},
      {"store_url", url_},
      {"host_id", "host-a"},
      {"lease_seconds", 2},
      {"worker_mode",
       "in-process"}}.dump();
  auto env = CliEnv();
  env["SENDSYNC_CONFIG"] = cfg.string();
  const pid_t pid = SpawnCli({"sync", "--link", "mis"}, env, dir_ / "host-a.log");
  ASSERT_GT(pid, 0);
  const bool leased = WaitFor(
      [&] {
        auto h = store::LeaseHolder(*Conn(), link);
        return h.ok() && h->rfind("host-a:", 0) == 0;
      },
      30s);
  if (!leased) {
    ::kill(pid, SIGKILL);
    Reap(pid);
    FAIL() << "host-a never took the lease: " << ReadAll(dir_ / "host-a.log");
  }
  // host-a keeps its lease while it lives, though its adapter hangs longer than the lease time.
  std::this_thread::sleep_for(3s);
  auto b = Host("host-b", 2000);
  auto refused = b->RunLink("mis", sync::RunMode::kSync);
  ASSERT_FALSE(refused.ok()) << "host-a is alive and renewing its lease";
  EXPECT_EQ(refused.status().code(), Status::Code::kFailedPrecondition);

  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  Reap(pid);
  const auto killed = std::chrono::steady_clock::now();
  Release("mis");
  std::optional<sync::RunSummary> took;
  WaitFor(
      [&] {
        auto r = b->RunLink("mis", sync::RunMode::kSync);
        if (r.ok()) took = *r;
        return r.ok();
      },
      20s);
  const double after =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
  ASSERT_TRUE(took.has_value()) << "host-b never took over the dead host's link";
  EXPECT_NE(took->status, "failed") << took->error;
  EXPECT_LE(after, 2.0 + 5.0) << "took over " << after << " s after the kill (lease 2 s)";
  auto runs = store::ListRuns(*Conn(), link, 10);
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].holder.substr(0, 7), "host-b:");
  EXPECT_EQ((*runs)[1].holder.substr(0, 7), "host-a:");
  EXPECT_EQ((*runs)[1].status, "abandoned") << "the dead host's run is not left running";
  auto cursor = store::GetCursor(*Conn(), link, "pupil");
  ASSERT_TRUE(cursor.ok());
  EXPECT_EQ(*cursor, "done") << "host-b resumed from host-a's committed cursor and finished";
}

}  // namespace
}  // namespace sendsync::testing_support
