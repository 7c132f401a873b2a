// Crash safety: the `sendsync sync` process is killed with SIGKILL at each fault point, restarted,
// and must end with the hub identical to an uninterrupted run, nothing lost, and every change
// applied by the counting target exactly once per idempotency key (and none missing).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "core/store/store.h"
#include "sync_fixture.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace sendsync;
using namespace sendsync::testing_support;

namespace {

struct Outcome {
  bool killed = false;  // by SIGKILL
  int exit_code = -1;
  std::string output;
};

// Runs the sendsync CLI with extra environment, capturing stdout and stderr.
Outcome RunCli(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
               const fs::path& dir) {
  fs::path log = dir / "cli.log";
  pid_t pid = ::fork();
  if (pid == 0) {
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    FILE* f = std::fopen(log.c_str(), "w");
    ::dup2(fileno(f), 1);
    ::dup2(fileno(f), 2);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(SENDSYNC_BIN));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(SENDSYNC_BIN, argv.data());
    _exit(127);
  }
  int st = 0;
  ::waitpid(pid, &st, 0);
  Outcome o;
  o.killed = WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
  o.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  std::ifstream in(log);
  o.output.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return o;
}

// One school: a source with pupils and SEN records (several pages), and a counting target.
class Scenario {
 public:
  // `target_config` is merged into the counting target's configuration.
  explicit Scenario(const std::string& name, const json& target_config = json::object()) {
    dir_ =
        fs::temp_directory_path() / ("sendsync-crash-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "source");
    fs::create_directories(dir_ / "target");
    env_ = {{"SENDSYNC_DB", "sqlite:" + (dir_ / "hub.db").string()},
            {"SENDSYNC_PLUGINS", SYNC_PLUGIN_DIR},
            {"SENDSYNC_ADAPTER_HOST", WORKER_PATH},
            {"ASAN_OPTIONS", "detect_leaks=0"}};
    std::ofstream(dir_ / "source.json") << json{{"folder", (dir_ / "source").string()}}.dump();
    json target = {{"folder", (dir_ / "target").string()}};
    target.update(target_config);
    std::ofstream(dir_ / "target.json") << target.dump();
    std::ofstream(dir_ / "source-settings.json")
        << json{{"kinds", {{"pupil", {{"direction", "read"}}}, {"sen", {{"direction", "read"}}}}}}
               .dump();
    std::ofstream(dir_ / "target-settings.json")
        << json{{"kinds", {{"pupil", {{"direction", "write"}}}, {"sen", {{"direction", "write"}}}}}}
               .dump();
    Append(0, 30, "K");
    Must({"init"});
    Must({"link", "add", "--school", "100000", "--adapter", "jsonl-folder", "--name", "mis",
          "--config", (dir_ / "source.json").string(), "--settings",
          (dir_ / "source-settings.json").string()});
    Must({"link", "add", "--school", "100000", "--adapter", "counting", "--name", "target",
          "--config", (dir_ / "target.json").string(), "--settings",
          (dir_ / "target-settings.json").string()});
  }
  ~Scenario() {
    std::error_code ec;
    if (!::testing::Test::HasFailure()) fs::remove_all(dir_, ec);
  }

  // Pupils [from, to) with SEN status `provision`.
  void Append(int from, int to, const std::string& provision) {
    std::ofstream p(dir_ / "source" / "pupil.jsonl", std::ios::app);
    std::ofstream s(dir_ / "source" / "sen.jsonl", std::ios::app);
    for (int i = from; i < to; ++i) {
      p << PupilRec("S" + std::to_string(i), i + 1).dump() << "\n";
      s << SenRec("S" + std::to_string(i), i + 1, provision).dump() << "\n";
    }
  }

  Outcome Sync(const std::string& fault = "") {
    auto env = env_;
    if (!fault.empty()) env["SENDSYNC_FAULT_POINT"] = fault;
    // One link after the other (source, then target), so that an uninterrupted sync delivers in
    // the same run everything it pulled: the reference this test compares with.
    return RunCli({"sync", "--page-size", "7", "--parallel", "1"}, env, dir_);
  }

  void Must(const std::vector<std::string>& args) {
    Outcome o = RunCli(args, env_, dir_);
    ASSERT_EQ(o.exit_code, 0) << o.output;
  }

  // The hub as canonical content keyed by kind and UPN (ids aside), plus cursors and bases.
  json HubState() {
    auto s =
        store::Store::Open("sqlite:" + (dir_ / "hub.db").string(), store::OpenMode::kMustExist);
    EXPECT_TRUE(s.ok());
    auto c = (*s)->Connect();
    json out = json::object();
    auto rows = store::ScanRecords(**c, 0, 1000000);
    std::map<int64_t, std::string> upn;
    for (const auto& r : *rows)
      if (r.kind == "pupil") upn[r.id] = r.upn;
    for (const auto& r : *rows) {
      std::string key = r.kind + ":" + (r.kind == "pupil" ? r.upn : upn[r.pupil_id]);
      out["records"][key] = {{"body", json::parse(r.body)}, {"version", r.version}};
    }
    for (const char* l : {"mis", "target"}) {
      auto link = store::GetLink(**c, l);
      for (const char* k : {"pupil", "sen"}) {
        auto cur = store::GetCursor(**c, link->id, k);
        out["cursors"][std::string(l) + ":" + k] = *cur;
      }
    }
    auto counts = store::OutboxCounts(**c, 0);
    out["outbox"] = *counts;
    out["quarantine"] = store::ListQuarantine(**c, {})->size();
    out["conflicts"] = store::ListConflicts(**c, {})->size();
    return out;
  }

  // What the target applied: (kind, UPN) -> every applied version's record content.
  std::map<std::string, std::vector<json>> Applied(std::set<std::string>* keys, int* dup) {
    std::map<std::string, std::vector<json>> out;
    std::ifstream in(dir_ / "target" / "applied.jsonl");
    std::string line;
    while (std::getline(in, line)) {
      json j = json::parse(line);
      if (!keys->insert(j["key"].get<std::string>()).second) ++*dup;
      json rec = j["record"];
      std::string upn = rec.contains("upn") ? rec["upn"].get<std::string>()
                                            : rec["pupil"]["upn"].get<std::string>();
      rec.erase("id");
      if (rec.contains("pupil")) rec["pupil"].erase("id");
      out[j["kind"].get<std::string>() + ":" + upn].push_back(rec);
    }
    return out;
  }

  // sendsync's own configuration (SENDSYNC_CONFIG) for the commands that follow.
  void Configure(const json& config) {
    std::ofstream(dir_ / "sendsync.json") << config.dump();
    env_["SENDSYNC_CONFIG"] = (dir_ / "sendsync.json").string();
  }

  Outcome Cli(const std::vector<std::string>& args) { return RunCli(args, env_, dir_); }

  // The runs of `link`, newest first.
  std::vector<store::Run> Runs(const std::string& link) {
    auto s =
        store::Store::Open("sqlite:" + (dir_ / "hub.db").string(), store::OpenMode::kMustExist);
    EXPECT_TRUE(s.ok());
    auto c = (*s)->Connect();
    auto l = store::GetLink(**c, link);
    EXPECT_TRUE(l.ok());
    auto runs = store::ListRuns(**c, l->id, 100);
    EXPECT_TRUE(runs.ok());
    return runs.ok() ? *runs : std::vector<store::Run>{};
  }

 private:
  fs::path dir_;
  std::map<std::string, std::string> env_;
};

// Issue 21, fault 6: a run killed after it delivered changes still says how many it delivered,
// once the next run has marked it abandoned.
TEST(CrashProgress, AKilledRunStillSaysWhatItDelivered) {
  Scenario s("progress");
  Outcome killed = s.Sync("push.after_mark");
  ASSERT_TRUE(killed.killed) << killed.output;
  ASSERT_EQ(s.Sync().exit_code, 0);
  std::set<std::string> keys;
  int dup = 0;
  size_t applied = 0;
  for (const auto& [key, versions] : s.Applied(&keys, &dup)) applied += versions.size();
  ASSERT_GT(applied, 0u);
  std::vector<store::Run> runs = s.Runs("target");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[1].status, "abandoned");
  EXPECT_EQ(runs[1].summary.value("pushed", -1), static_cast<int64_t>(applied))
      << "the killed run delivered everything before it died: " << runs[1].summary.dump();
  EXPECT_EQ(runs[0].summary.value("pushed", -1), 0);
}

class Crash : public testing::TestWithParam<std::string> {};

TEST_P(Crash, KilledAtAFaultPointTheRestartedRunEndsExactlyAsAnUninterruptedOne) {
  const std::string point = GetParam();
  std::string safe = point;
  for (char& ch : safe)
    if (ch == '.' || ch == ':') ch = '_';

  // Reference: the same work, uninterrupted. Two rounds: a first sync, then changes.
  Scenario ref("ref-" + safe);
  ASSERT_EQ(ref.Sync().exit_code, 0);
  ref.Append(0, 12, "E");  // twelve pupils move to EHC plans
  ASSERT_EQ(ref.Sync().exit_code, 0);

  Scenario s("crash-" + safe);
  bool second_round = point.find("@2") != std::string::npos;
  std::string fault = point.substr(0, point.find('@'));
  if (second_round) {
    ASSERT_EQ(s.Sync().exit_code, 0);
    s.Append(0, 12, "E");
  }
  Outcome killed = s.Sync(fault);
  EXPECT_TRUE(killed.killed) << "the fault point " << fault << " was never reached:\n"
                             << killed.output;
  Outcome again = s.Sync();
  EXPECT_EQ(again.exit_code, 0) << again.output;
  if (!second_round) {
    s.Append(0, 12, "E");
    Outcome second = s.Sync();
    EXPECT_EQ(second.exit_code, 0) << second.output;
  }

  json expected = ref.HubState(), actual = s.HubState();
  EXPECT_EQ(actual["records"], expected["records"]) << "the hub differs from an uninterrupted run";
  EXPECT_EQ(actual["cursors"], expected["cursors"]);
  EXPECT_EQ(actual["quarantine"], 0);
  EXPECT_EQ(actual["conflicts"], 0);
  EXPECT_EQ(actual["outbox"].value("pending", 0), 0) << actual["outbox"].dump();
  EXPECT_EQ(actual["outbox"].value("dead", 0), 0);

  std::set<std::string> ref_keys, keys;
  int ref_dup = 0, dup = 0;
  auto want = ref.Applied(&ref_keys, &ref_dup);
  auto got = s.Applied(&keys, &dup);
  EXPECT_EQ(dup, 0) << "a key was applied more than once";
  EXPECT_EQ(got.size(), want.size()) << "every record reached the target";
  for (const auto& [key, versions] : want) {
    ASSERT_TRUE(got.count(key)) << key << " never reached the target";
    EXPECT_EQ(got[key].back(), versions.back()) << key << " ended differently at the target";
    EXPECT_EQ(got[key].size(), versions.size())
        << key << " was applied a different number of times";
  }
}

INSTANTIATE_TEST_SUITE_P(FaultPoints, Crash,
                         testing::Values("pull.after_read", "pull.after_read:3", "commit.begin",
                                         "commit.before_records:2", "commit.after_records",
                                         "commit.before_outbox:3", "commit.after_outbox",
                                         "commit.before_cursor:4", "commit.after_commit",
                                         "commit.after_commit:5", "push.before_write",
                                         "push.after_ack", "push.after_ack:2", "push.after_mark",
                                         "commit.before_cursor@2", "push.after_ack@2"),
                         [](const auto& info) {
                           std::string n;
                           for (char c : info.param) {
                             if (isalnum(static_cast<unsigned char>(c)))
                               n += c;
                             else if (c == ':')
                               n += "_hit";
                             else if (c == '@')
                               n += "_round";
                             else
                               n += '_';
                           }
                           return n;
                         });

// Issue 21, fault 6: link health counts dead letters (not only how the last run ended), and one
// command queues them all again.
TEST(CliOutbox, LinkHealthCountsDeadLettersAndRetryAllQueuesThemAgain) {
  Scenario s("health", {{"always_retry", true}});
  s.Configure({{"max_attempts", 1}});
  Outcome first = s.Sync();
  EXPECT_EQ(first.exit_code, 3) << first.output;
  Outcome second = s.Sync();  // nothing new dead-lettered: this run itself is ok
  EXPECT_EQ(second.exit_code, 0) << second.output;
  Outcome list = s.Cli({"link", "list", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.output;
  json target;
  const json links = json::parse(list.output);
  for (const json& l : links["links"])
    if (l["name"] == "target") target = l;
  ASSERT_TRUE(target.is_object()) << list.output;
  EXPECT_EQ(target["last_run"]["status"], "ok");
  EXPECT_EQ(target["dead_letters"], 60);
  EXPECT_EQ(target["health"], "needs_person");
  Outcome table = s.Cli({"link", "list"});
  EXPECT_NE(table.output.find("needs_person (60 dead-lettered)"), std::string::npos)
      << table.output;

  EXPECT_EQ(s.Cli({"outbox", "retry", "--all", "--link", "nosuch"}).exit_code, 1);
  EXPECT_EQ(s.Cli({"outbox", "retry", "7", "--all"}).exit_code, 2);
  Outcome retry = s.Cli({"outbox", "retry", "--all", "--link", "target", "--json"});
  ASSERT_EQ(retry.exit_code, 0) << retry.output;
  EXPECT_EQ(json::parse(retry.output)["retried"], 60);
  Outcome dead = s.Cli({"outbox", "list", "--status", "dead", "--json"});
  ASSERT_EQ(dead.exit_code, 0) << dead.output;
  EXPECT_TRUE(json::parse(dead.output)["outbox"].empty()) << dead.output;
  Outcome pending = s.Cli({"outbox", "list", "--status", "pending", "--json", "--limit", "1000"});
  ASSERT_EQ(pending.exit_code, 0) << pending.output;
  EXPECT_EQ(json::parse(pending.output)["outbox"].size(), 60u);
}

}  // namespace
