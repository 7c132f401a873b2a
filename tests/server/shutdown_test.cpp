// `sendsync serve` as a process: SIGTERM while a run is in flight stops it at a safe point and
// exits 0; what was committed stays, the rest arrives with the next run, nothing twice; logs are
// JSON lines without secrets.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <thread>

#include "core/audit/audit.h"
#include "core/sync/sync.h"
#include "server_fixture.h"

namespace sendsync::server_test {
namespace {

class ShutdownTest : public ServerTest {
 protected:
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ServerTest::TearDown();
  }

  // Starts `sendsync serve` with a config in the test folder; returns its port.
  uint16_t Spawn() {
    json cfg = {{"store_url", store_url_},     {"plugin_dir", SERVER_PLUGIN_DIR},
                {"listen", "127.0.0.1:0"},     {"log_level", "info"},
                {"worker_mode", "in-process"}, {"web_root", (dir_ / "web").string()}};
    std::ofstream(dir_ / "sendsync.json") << cfg.dump(2);
    const std::string port_file = (dir_ / "port").string();
    pid_ = ::fork();
    if (pid_ == 0) {
      std::freopen((dir_ / "serve.out").c_str(), "w", stdout);
      std::freopen((dir_ / "serve.err").c_str(), "w", stderr);
      ::execl(SENDSYNC_BIN, SENDSYNC_BIN, "serve", "--config", (dir_ / "sendsync.json").c_str(),
              "--port-file", port_file.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    uint16_t port = 0;
    WaitFor([&] {
      std::ifstream in(port_file);
      int p = 0;
      if (in >> p) port = static_cast<uint16_t>(p);
      return port != 0;
    });
    return port;
  }

  // Waits up to `limit` for the child to exit; its exit status, or -1 when it did not.
  int WaitExit(std::chrono::milliseconds limit) {
    int status = 0;
    bool done = WaitFor([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, limit);
    if (!done) return -1;
    pid_ = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  pid_t pid_ = 0;
};

TEST_F(ShutdownTest, SigtermDuringARunStopsSafelyAndTheNextRunBringsTheRestExactlyOnce) {
  WritePupils("slow", 1, 60);
  const int64_t id =
      AddLink("slow", "slow", "100000", "manual", "slow-source", {{"delay_ms", 150}, {"page", 5}});
  const std::string token = Token(server::Role::kOperator);
  const uint16_t port = Spawn();
  ASSERT_NE(port, 0) << "serve did not write its port";
  ASSERT_EQ(Http(port, "POST", "/api/v1/links/slow/run", token).status, 202);
  // In flight: some pages committed, more to come.
  ASSERT_TRUE(WaitFor([&] {
    auto p = store::ListPupils(*Conn());
    return p.ok() && p->size() >= 5 && p->size() < 60;
  }));
  ASSERT_EQ(::kill(pid_, SIGTERM), 0);
  EXPECT_EQ(WaitExit(std::chrono::seconds(15)), 0);

  auto runs = store::ListRuns(*Conn(), id, 10);
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_NE((*runs)[0].status, "running") << "the run was left open";
  const size_t committed = store::ListPupils(*Conn())->size();
  EXPECT_LT(committed, 60u) << "the run was not stopped early";

  // A new host picks up where the cursor stopped.
  sync::EngineOptions eo;
  eo.runtime.mode = plugins::Mode::kInProcess;
  eo.plugin_dir = SERVER_PLUGIN_DIR;
  sync::Engine engine(*store_, eo);
  auto again = engine.RunLink("slow", sync::RunMode::kSync);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->status, "ok") << again->error;
  EXPECT_EQ(again->created, static_cast<int64_t>(60 - committed));
  auto pupils = store::ListPupils(*Conn());
  ASSERT_EQ(pupils->size(), 60u);
  std::set<std::string> upns;
  for (const auto& p : *pupils) upns.insert(p.upn);
  EXPECT_EQ(upns.size(), 60u);
  auto v = audit::Verify(*Conn());
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->problem;
}

TEST_F(ShutdownTest, LogsAreJsonLinesWithLevelsAndNoTokens) {
  WritePupils("mis", 1, 3);
  AddLink("mis", "mis");
  const std::string token = Token(server::Role::kAdmin);
  const uint16_t port = Spawn();
  ASSERT_NE(port, 0);
  ASSERT_EQ(Http(port, "POST", "/api/v1/links/mis/run?wait=true", token).status, 200);
  ASSERT_EQ(Http(port, "GET", "/api/v1/pupils/" + Upn(1), token).status, 200);
  ASSERT_EQ(::kill(pid_, SIGINT), 0);
  EXPECT_EQ(WaitExit(std::chrono::seconds(15)), 0);
  std::ifstream in(dir_ / "serve.err");
  std::string line;
  std::set<std::string> events;
  while (std::getline(in, line)) {
    json j = json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << "not a JSON line: " << line;
    EXPECT_TRUE(j.contains("level") && j.contains("ts") && j.contains("event")) << line;
    EXPECT_EQ(line.find(token), std::string::npos) << "a token was logged";
    EXPECT_EQ(line.find(Upn(1)), std::string::npos) << "a UPN was logged at info";
    events.insert(j.value("event", ""));
  }
  EXPECT_TRUE(events.count("service.started"));
  EXPECT_TRUE(events.count("run.finished"));
  EXPECT_TRUE(events.count("service.stopped"));
}

}  // namespace
}  // namespace sendsync::server_test
