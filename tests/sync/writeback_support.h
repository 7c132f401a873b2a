// What the write-back tests share (writeback_test.cpp against the MIS API simulator,
// la_writeback_test.cpp against the LA portal simulator): a hub store and an in-process engine in
// a folder of the test's own, and `sendsync` started as a child process for the kill loops.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/store/store.h"
#include "core/sync/sync.h"
#include "sim_server.h"

namespace sendsync::writeback_support {

// Starts `sendsync ARGS` against the store `db` with the bundled plugins; output to `log`.
inline pid_t StartCli(const std::vector<std::string>& args, const std::string& db,
                      const std::filesystem::path& log) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("SENDSYNC_DB", db.c_str(), 1);
    ::setenv("SENDSYNC_PLUGINS", BUNDLED_PLUGIN_DIR, 1);
    ::setenv("SENDSYNC_ADAPTER_HOST", WORKER_PATH, 1);
    ::setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
    FILE* f = std::fopen(log.c_str(), "a");
    if (f) {
      ::dup2(fileno(f), 1);
      ::dup2(fileno(f), 2);
    }
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(SENDSYNC_BIN));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(SENDSYNC_BIN, argv.data());
    _exit(127);
  }
  return pid;
}

// The ~30 % of requests the soak tests fault: 500s, 429s, connections dropped before handling
// and (the one idempotency is for) answers lost after handling.
inline sims::FaultConfig ThirtyPercent(uint64_t seed) {
  sims::FaultConfig f;
  f.error_rate = 0.10;
  f.rate_limit_rate = 0.05;
  f.retry_after_seconds = 0;
  f.drop_rate = 0.05;
  f.drop_after_handling_rate = 0.10;
  f.seed = seed;
  return f;
}

// A soak's size: the suite's small run unless the environment variable `env` asks for more.
inline int SoakSize(const char* env, int small) {
  const char* e = std::getenv(env);
  return e && std::atoi(e) > 0 ? std::atoi(e) : small;
}

// The kill loop: `sendsync sync --link LINK` (every other time with --push-only) is started and,
// unless it ends first, killed with SIGKILL after a random delay of 10 to `max_delay_ms` ms
// (seeded), until it was killed ten times (at most 40 starts).
struct Kills {
  int kills = 0;     // runs killed
  int finished = 0;  // runs that ended before their kill
};
inline Kills KillLoop(const std::string& link, const std::string& db,
                      const std::filesystem::path& log, int max_delay_ms) {
  std::mt19937 rng(20261207);
  Kills k;
  for (int i = 0; k.kills < 10 && i < 40; ++i) {
    std::vector<std::string> args = {"sync", "--link", link};
    if (i % 2) args.push_back("--push-only");
    pid_t pid = StartCli(args, db, log);
    EXPECT_GT(pid, 0);
    if (pid <= 0) break;
    const int delay_ms = std::uniform_int_distribution<int>(10, max_delay_ms)(rng);
    int st = 0;
    pid_t done = 0;
    for (int waited = 0; waited < delay_ms && (done = ::waitpid(pid, &st, WNOHANG)) == 0;
         waited += 5)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (done == pid) {
      ++k.finished;
      continue;
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &st, 0);
    ++k.kills;
  }
  return k;
}

// Runs `sendsync sync --link LINK` to its end while `pending()` says changes wait, at most ten
// times; returns how many runs it took.
template <typename Pending>
int RunCleanUntilDelivered(const std::string& link, const std::string& db,
                           const std::filesystem::path& log, Pending pending) {
  int clean = 0;
  for (; clean < 10 && pending() > 0; ++clean) {
    int st = 0;
    pid_t pid = StartCli({"sync", "--link", link}, db, log);
    ::waitpid(pid, &st, 0);
    EXPECT_TRUE(WIFEXITED(st)) << "a clean run did not end normally";
  }
  return clean;
}

// A hub for one test: its folder (kept when the test fails, to look at), a SQLite store in it and
// an engine running the bundled adapters in process, with retries due at once.
class HubTest : public ::testing::Test {
 protected:
  // Makes the folder `prefix`-PID-TEST (empty) and the test's folder path; call first in SetUp.
  void MakeFolder(const std::string& prefix) {
    dir_ = std::filesystem::temp_directory_path() /
           (prefix + "-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }

  // Creates the store in the folder and the engine on it.
  void OpenHub() {
    url_ = "sqlite:" + (dir_ / "hub.db").string();
    auto s = store::Store::Open(url_, store::OpenMode::kCreate);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    options_.runtime.mode = plugins::Mode::kInProcess;
    options_.runtime.worker_path = WORKER_PATH;
    options_.runtime.call_timeout = std::chrono::milliseconds(20000);
    options_.plugin_dir = BUNDLED_PLUGIN_DIR;
    options_.backoff_base_ms = 0;  // retries are due at once in tests
    options_.backoff_max_ms = 0;
    engine_ = std::make_unique<sync::Engine>(*store_, options_);
  }

  // Closes the engine and the store; the folder goes unless the test failed.
  void CloseHub() {
    engine_.reset();
    store_.reset();
  }
  void RemoveFolderIfPassed() {
    std::error_code ec;
    if (!HasFailure()) std::filesystem::remove_all(dir_, ec);
  }

  std::filesystem::path dir_;
  std::string url_;
  std::unique_ptr<store::Store> store_;
  sync::EngineOptions options_;
  std::unique_ptr<sync::Engine> engine_;
};

}  // namespace sendsync::writeback_support
