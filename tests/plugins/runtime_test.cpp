// The plugin runtime: validation refuses every broken plugin with its own reason, adapters that
// crash, hang or leak cost only their own call, and both loading modes give the same answers.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/log/log.h"
#include "base/schema/json_schema.h"
#include "plugins/plugins.h"
#include "plugins/src/frames.h"
#include "plugins/src/worker_process.h"

namespace fs = std::filesystem;
using namespace sendsync;
using namespace sendsync::plugins;
using nlohmann::json;

namespace {

const std::string kBroken = std::string(FIXTURE_DIR) + "/broken/";
const std::string kMisbehaving = std::string(FIXTURE_DIR) + "/misbehaving.so";
const std::string kJsonl = std::string(BUNDLED_PLUGIN_DIR) + "/jsonl-folder.so";

RuntimeOptions Options(Mode mode) {
  RuntimeOptions o;
  o.mode = mode;
  o.worker_path = WORKER_PATH;
  o.call_timeout = std::chrono::milliseconds(1500);
  o.memory_limit_mb = 300;
  o.restart_backoff_base = std::chrono::milliseconds(10);
  o.restart_backoff_max = std::chrono::milliseconds(100);
  return o;
}

std::string TempDir(const std::string& name) {
  fs::path p = fs::temp_directory_path() /
               ("sendsync-plugins-test-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

// A folder with three pupils and one unparseable line for the jsonl-folder adapter.
std::string JsonlFixture(const std::string& name) {
  std::string dir = TempDir(name);
  std::ofstream f(dir + "/pupil.jsonl");
  for (int i = 1; i <= 3; ++i)
    f << json{{"kind", "pupil"},
              {"id", "P" + std::to_string(i)},
              {"upn", "B801200005001"},
              {"legal_surname", "S"},
              {"legal_forename", "F"},
              {"dob", "2014-03-02"},
              {"sex", "M"}}
             .dump()
      << "\n";
  f << "{this is not json\n";
  return dir;
}

std::unique_ptr<Instance> MustOpen(const std::string& path, const json& config, Mode mode) {
  PluginInfo info = Inspect(path, Options(mode));
  EXPECT_TRUE(info.ok) << info.reason;
  auto inst = Open(info, config.dump(), Options(mode));
  EXPECT_TRUE(inst.ok()) << inst.status().ToString();
  return inst.ok() ? std::move(*inst) : nullptr;
}

std::string ReadRequest(const std::string& cursor) {
  return json{{"kind", "pupil"}, {"cursor", cursor}, {"limit", 10}}.dump();
}

// ---- validation ----

struct RefusalCase {
  const char* file;
  const char* reason_contains;
};

class Refusal : public testing::TestWithParam<std::tuple<RefusalCase, Mode>> {};

TEST_P(Refusal, EachBrokenPluginIsRefusedWithItsOwnReason) {
  auto [c, mode] = GetParam();
  PluginInfo info = Inspect(kBroken + c.file, Options(mode));
  EXPECT_FALSE(info.ok);
  EXPECT_NE(info.reason.find(c.reason_contains), std::string::npos)
      << c.file << " refused with: " << info.reason;
  EXPECT_EQ(info.reason.find('\n'), std::string::npos) << "a refusal is one line";
}

const RefusalCase kRefusals[] = {
    {"abi_newer_major.so", "incompatible with host ABI 1.0 (major version differs)"},
    {"abi_newer_minor.so", "ABI 1.7 is newer than host ABI 1.0"},
    {"abi_bad_struct_size.so", "struct_size 8 is not sane"},
    {"manifest_missing_vendor.so", "manifest: missing \"vendor\""},
    {"no_entry.so", "no entry symbol 'sendsync_adapter_entry'"},
    {"text_file.so", "not an ELF shared library"},
    {"empty.so", "empty file"},
    {"other_arch_aarch64.so", "built for aarch64, this host is x86-64"},
};

INSTANTIATE_TEST_SUITE_P(BothModes, Refusal,
                         testing::Combine(testing::ValuesIn(kRefusals),
                                          testing::Values(Mode::kWorker, Mode::kInProcess)));

TEST(Validation, LibraryThatCrashesWhileLoadingIsRefusedAndTheHostLives) {
  PluginInfo info = Inspect(kBroken + "crash_on_load.so", Options(Mode::kWorker));
  EXPECT_FALSE(info.ok);
  EXPECT_NE(info.reason.find("SIGSEGV"), std::string::npos) << info.reason;
  EXPECT_NE(info.reason.find("while the library was being loaded"), std::string::npos)
      << info.reason;
}

TEST(Validation, StrippedPluginIsAccepted) {
  for (Mode mode : {Mode::kWorker, Mode::kInProcess}) {
    PluginInfo info =
        Inspect(std::string(FIXTURE_DIR) + "/stripped/jsonl-folder.so", Options(mode));
    EXPECT_TRUE(info.ok) << info.reason;
  }
}

TEST(Validation, MalformedSecretMarksAndSchemasAreRefusedNotFatal) {
  json m = {{"id", "x"},    {"name", "X"},        {"version", "1"},         {"vendor", "v"},
            {"abi", "1.0"}, {"reads", {"pupil"}}, {"writes", json::array()}};
  m["config_schema"] = {{"type", "object"}, {"properties", {{"token", {{"secret", "yes"}}}}}};
  auto r = ParseManifest(m.dump());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("\"secret\" on /token must be true or false"),
            std::string::npos)
      << r.status().message();
  m["config_schema"] = {{"type", {"object"}}};
  EXPECT_FALSE(ParseManifest(m.dump()).ok());
  m["config_schema"] = {{"type", "object"}, {"properties", {{"a", {{"type", "strin"}}}}}};
  ASSERT_TRUE(ParseManifest(m.dump()).ok());  // shape is fine; compiling it is not
  auto compiled = schema::JsonSchema::Compile(m["config_schema"]);
  EXPECT_FALSE(compiled.ok());
}

TEST(Validation, MissingFileIsRefused) {
  PluginInfo info = Inspect(kBroken + "does_not_exist.so", Options(Mode::kWorker));
  EXPECT_FALSE(info.ok);
  EXPECT_EQ(info.reason, "no such file");
}

TEST(Validation, DiscoverRefusesEveryBrokenFixtureAndCarriesOn) {
  auto infos = Discover(kBroken, Options(Mode::kWorker));
  ASSERT_EQ(infos.size(), std::size(kRefusals) + 1);  // + crash_on_load
  for (const auto& p : infos) EXPECT_FALSE(p.ok) << p.path;
  auto good = Discover(BUNDLED_PLUGIN_DIR, Options(Mode::kWorker));
  bool found = false;
  for (const auto& p : good) found |= p.ok && p.manifest.id == "jsonl-folder";
  EXPECT_TRUE(found);
}

// Plugins are inspected several at a time, but the answer is as if one by one in name order: the
// first file with an id wins and later ones with the same id are refused, every time.
TEST(Validation, DiscoverKeepsNameOrderAndRefusesLaterDuplicates) {
  const std::string dir = TempDir("duplicates");
  for (const char* name : {"a.so", "b.so", "d.so", "f.so"}) fs::copy_file(kJsonl, dir + "/" + name);
  fs::copy_file(kBroken + "text_file.so", dir + "/c.so");
  fs::copy_file(kMisbehaving, dir + "/e.so");
  for (Mode mode : {Mode::kWorker, Mode::kInProcess}) {
    for (int round = 0; round < 3; ++round) {
      auto infos = Discover(dir, Options(mode));
      ASSERT_EQ(infos.size(), 6u);
      std::vector<std::string> names;
      for (const PluginInfo& p : infos) names.push_back(fs::path(p.path).filename().string());
      EXPECT_EQ(names, (std::vector<std::string>{"a.so", "b.so", "c.so", "d.so", "e.so", "f.so"}));
      EXPECT_TRUE(infos[0].ok) << infos[0].reason;
      EXPECT_FALSE(infos[2].ok);
      EXPECT_TRUE(infos[4].ok) << infos[4].reason;  // another adapter: no clash
      for (size_t i : {1u, 3u, 5u}) {
        EXPECT_FALSE(infos[i].ok) << names[i];
        EXPECT_EQ(infos[i].reason, "duplicate adapter id 'jsonl-folder' (an earlier file has it)");
      }
    }
  }
  fs::remove_all(dir);
}

// A refused file is matched to an adapter id by the id its manifest claims, never by whether the
// id happens to appear in the refusal's wording.
TEST(Validation, ARefusedFileIsFoundByTheIdItsManifestClaims) {
  std::string dir = TempDir("claimed");
  fs::copy_file(kJsonl, dir + "/a.so");
  fs::copy_file(kJsonl, dir + "/b.so");                    // the same id again: refused
  fs::copy_file(kBroken + "text_file.so", dir + "/c.so");  // "not an ELF shared library"
  auto infos = Discover(dir, Options(Mode::kInProcess));
  ASSERT_EQ(infos.size(), 3u);
  EXPECT_EQ(infos[1].claimed_id, "jsonl-folder");
  EXPECT_TRUE(infos[2].claimed_id.empty()) << "its manifest was never read";
  auto shared = ResolveAdapter(dir, "", "shared", "", Options(Mode::kInProcess));
  ASSERT_FALSE(shared.ok());
  EXPECT_EQ(shared.status().code(), Status::Code::kNotFound) << shared.status().ToString();
  fs::remove_all(dir);
}

TEST(Validation, ManifestRequiresEachField) {
  json good = {
      {"id", "x"},
      {"name", "X"},
      {"version", "1"},
      {"vendor", "v"},
      {"abi", "1.0"},
      {"reads", {"pupil"}},
      {"writes", json::array()},
      {"config_schema",
       {{"type", "object"}, {"properties", {{"token", {{"type", "string"}, {"secret", true}}}}}}}};
  auto m = ParseManifest(good.dump());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->secret_fields, std::vector<std::string>{"/token"});
  for (const char* key :
       {"id", "name", "version", "vendor", "abi", "reads", "writes", "config_schema"}) {
    json bad = good;
    bad.erase(key);
    auto r = ParseManifest(bad.dump());
    EXPECT_FALSE(r.ok()) << key;
    EXPECT_NE(r.status().message().find(key), std::string::npos) << r.status().message();
  }
  json bad_kind = good;
  bad_kind["reads"] = {"pupils"};
  EXPECT_NE(ParseManifest(bad_kind.dump()).status().message().find("unknown record kind"),
            std::string::npos);
  json bad_id = good;
  bad_id["id"] = "Has Spaces";
  EXPECT_FALSE(ParseManifest(bad_id.dump()).ok());
  EXPECT_FALSE(ParseManifest("not json").ok());
}

// ---- isolation ----

struct Misbehaviour {
  const char* cursor;
  const char* message_contains;
};

class Isolation : public testing::TestWithParam<Misbehaviour> {};

TEST_P(Isolation, FailureCostsOnlyThatCallAndTheWorkerRestarts) {
  const Misbehaviour& m = GetParam();
  auto bad = MustOpen(kMisbehaving, json::object(), Mode::kWorker);
  auto healthy = MustOpen(kJsonl, {{"folder", JsonlFixture(m.cursor)}}, Mode::kWorker);
  ASSERT_TRUE(bad && healthy);

  CallResult r = bad->Call("read", ReadRequest(m.cursor));
  EXPECT_EQ(r.status, CallStatus::kRetry);
  EXPECT_TRUE(r.worker_failed);
  EXPECT_NE(r.message.find(m.message_contains), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("during read"), std::string::npos) << r.message;

  CallResult h = healthy->Call("read", ReadRequest(""));
  EXPECT_EQ(h.status, CallStatus::kOk) << h.body;
  EXPECT_EQ(json::parse(h.body)["records"].size(), 3u);

  CallResult again = bad->Call("read", ReadRequest(""));
  EXPECT_EQ(again.status, CallStatus::kOk) << again.message;
  EXPECT_EQ(bad->restarts(), 1);
}

INSTANTIATE_TEST_SUITE_P(Worker, Isolation,
                         testing::Values(Misbehaviour{"segfault", "crashed (SIGSEGV"},
                                         Misbehaviour{"abort", "aborted (SIGABRT"},
                                         Misbehaviour{"exit3", "exited with code 3"},
                                         Misbehaviour{"hang", "did not answer within 1.5"},
                                         Misbehaviour{"allocate",
                                                      "used more than 300 MiB of memory"}),
                         [](const auto& info) { return std::string(info.param.cursor); });

TEST(Isolation, RepeatedCrashesBackOffAndKeepRestarting) {
  auto bad = MustOpen(kMisbehaving, json::object(), Mode::kWorker);
  ASSERT_TRUE(bad);
  const WorkerCounts before = WorkerCountsTotal();
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(bad->Call("read", ReadRequest("exit3")).status, CallStatus::kRetry);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(bad->Call("read", ReadRequest("")).status, CallStatus::kOk);
  auto waited = std::chrono::steady_clock::now() - start;
  // Backoff after the third consecutive failure: 10 ms * 2^2 = 40 ms.
  EXPECT_GE(waited, std::chrono::milliseconds(40));
  EXPECT_EQ(bad->restarts(), 3);
  const WorkerCounts after = WorkerCountsTotal();
  EXPECT_EQ(after.failures - before.failures, 3) << "the process-wide counts feed /metrics";
  EXPECT_EQ(after.restarts - before.restarts, 3);
}

TEST(Isolation, StdoutNoiseFromTheAdapterDoesNotBreakTheProtocol) {
  auto inst = MustOpen(kMisbehaving, json::object(), Mode::kWorker);
  ASSERT_TRUE(inst);
  CallResult r = inst->Call("read", ReadRequest("print"));
  EXPECT_EQ(r.status, CallStatus::kOk) << r.message;
  EXPECT_EQ(json::parse(r.body)["records"].size(), 1u);
}

// ---- behaviour that must be the same in both modes ----

class BothModes : public testing::TestWithParam<Mode> {};

TEST_P(BothModes, ExceptionInAdapterBecomesFatalWithItsMessage) {
  auto inst = MustOpen(kMisbehaving, json::object(), GetParam());
  ASSERT_TRUE(inst);
  CallResult r = inst->Call("read", ReadRequest("throw"));
  EXPECT_EQ(r.status, CallStatus::kFatal);
  EXPECT_FALSE(r.worker_failed);
  EXPECT_EQ(r.message, "adapter threw: something inside the adapter went wrong");
}

TEST_P(BothModes, BadConfigIsRefusedWithTheAdaptersMessage) {
  PluginInfo info = Inspect(kMisbehaving, Options(GetParam()));
  ASSERT_TRUE(info.ok) << info.reason;
  auto inst = Open(info, json{{"refuse", true}}.dump(), Options(GetParam()));
  ASSERT_FALSE(inst.ok());
  EXPECT_EQ(inst.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(inst.status().message().find("config key 'refuse'"), std::string::npos);
}

TEST_P(BothModes, CancelStopsALongCall) {
  auto inst = MustOpen(kMisbehaving, json::object(), GetParam());
  ASSERT_TRUE(inst);
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    inst->Cancel();
  });
  CallResult r = inst->Call("read", ReadRequest("wait-cancel"));
  canceller.join();
  EXPECT_EQ(r.status, CallStatus::kRetry);
  EXPECT_NE(r.message.find("cancelled"), std::string::npos) << r.message;
}

TEST_P(BothModes, AdapterLogsReachTheHostLog) {
  std::string dir = TempDir("log");
  std::string file = dir + "/log.jsonl";
  log::SetFile(file);
  auto inst = MustOpen(kMisbehaving, json::object(), GetParam());
  ASSERT_TRUE(inst);
  EXPECT_EQ(inst->Call("read", ReadRequest("log")).status, CallStatus::kOk);
  log::SetFile("");
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_NE(ss.str().find("a warning from the misbehaving adapter"), std::string::npos) << ss.str();
  EXPECT_NE(ss.str().find("\"adapter\":\"misbehaving\""), std::string::npos);
}

TEST_P(BothModes, UnknownMethodIsFatal) {
  auto inst = MustOpen(kMisbehaving, json::object(), GetParam());
  ASSERT_TRUE(inst);
  CallResult r = inst->Call("frobnicate", "{}");
  EXPECT_EQ(r.status, CallStatus::kFatal);
  EXPECT_EQ(r.message, "unknown method 'frobnicate'");
}

INSTANTIATE_TEST_SUITE_P(Runtime, BothModes, testing::Values(Mode::kWorker, Mode::kInProcess),
                         [](const auto& info) {
                           return std::string(ModeName(info.param)) == "worker" ? "Worker"
                                                                                : "InProcess";
                         });

TEST(Modes, SameAdapterGivesTheSameAnswersInBothModes) {
  std::string folder = JsonlFixture("same");
  std::string out_w = TempDir("same-out-w"), out_i = TempDir("same-out-i");
  auto w = MustOpen(kJsonl, {{"folder", folder}, {"out_folder", out_w}}, Mode::kWorker);
  auto i = MustOpen(kJsonl, {{"folder", folder}, {"out_folder", out_i}}, Mode::kInProcess);
  ASSERT_TRUE(w && i);
  CallResult rw = w->Call("read", ReadRequest(""));
  CallResult ri = i->Call("read", ReadRequest(""));
  EXPECT_EQ(rw.status, CallStatus::kOk);
  EXPECT_EQ(rw.body, ri.body);
  json body = json::parse(rw.body);
  EXPECT_EQ(body["records"].size(), 3u);
  ASSERT_EQ(body["rejects"].size(), 1u) << "the unparseable line is reported, not dropped";
  EXPECT_EQ(body["rejects"][0]["reason"], "not valid JSON");

  std::string write =
      json{{"kind", "sen"},
           {"changes",
            {{{"key", "k1"}, {"op", "upsert"}, {"record", {{"kind", "sen"}, {"provision", "K"}}}}}}}
          .dump();
  EXPECT_EQ(w->Call("write", write).body, i->Call("write", write).body);
  for (const char* m : {"check", "describe", "discover"}) {
    CallResult a = w->Call(m, "{}"), b = i->Call(m, "{}");
    EXPECT_EQ(a.status, b.status) << m;
  }
}

bool Mapped(const std::string& path) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line))
    if (line.find(path) != std::string::npos) return true;
  return false;
}

TEST(Modes, InProcessLibraryStaysLoadedWhileAnInstanceLivesAndIsUnloadedAfter) {
  std::string path = fs::canonical(kMisbehaving).string();
  std::unique_ptr<Instance> inst;
  {
    PluginInfo info = Inspect(path, Options(Mode::kInProcess));
    ASSERT_TRUE(info.ok);
    auto r = Open(info, "{}", Options(Mode::kInProcess));
    ASSERT_TRUE(r.ok());
    inst = std::move(*r);
  }
  EXPECT_TRUE(Mapped(path));
  EXPECT_EQ(inst->Call("read", ReadRequest("")).status, CallStatus::kOk);
  inst.reset();
  EXPECT_FALSE(Mapped(path));
}

}  // namespace

int main(int argc, char** argv) {
  // Under AddressSanitizer, let a worker's SIGSEGV kill it as a signal (as in production builds)
  // rather than be turned into an ASan report and exit code 1.
  ::setenv("ASAN_OPTIONS", "handle_segv=0:handle_abort=0:detect_leaks=0", 1);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}

// The worker's stdin and stdout are pipes to the host, and it inherits no other descriptor of the
// host's (not even one opened without close-on-exec).
TEST(WorkerProcess, ChildGetsItsPipesAndNothingElse) {
  int leaky = ::open("/dev/null", O_RDONLY);  // no O_CLOEXEC
  ASSERT_GE(leaky, 3);
  auto w = detail::WorkerProcess::Start("/bin/sh", {"-c", "read x; echo \"$x\"; ls /proc/$$/fd"});
  ::close(leaky);
  ASSERT_TRUE(w.ok()) << w.status().message();
  ASSERT_EQ(::write((*w)->to_child(), "hello\n", 6), 6);
  (*w)->CloseInput();
  std::string out;
  char buf[256];
  for (ssize_t n; (n = ::read((*w)->from_child(), buf, sizeof buf)) > 0;) out.append(buf, n);
  EXPECT_EQ(out, "hello\n0\n1\n2\n");
  EXPECT_EQ((*w)->WaitFor(2000), "exited with code 0");
}

TEST(WorkerProcess, AMissingExecutableIsAClearError) {
  auto w = detail::WorkerProcess::Start("/nonexistent/sendsync-adapter-host", {"--inspect", "x"});
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(w.status().message().find("/nonexistent/sendsync-adapter-host"), std::string::npos);
  EXPECT_NE(w.status().message().find("No such file"), std::string::npos) << w.status().message();
}

// The host side of the next test, run in a child process (this binary again) that the test kills:
// it opens the misbehaving adapter in a worker and starts a long call that ticks into a file.
TEST(WorkerDiesWithHost, HostSide) {
  const char* file = std::getenv("SENDSYNC_TEST_TICK_FILE");
  if (!file) GTEST_SKIP() << "run by WorkerDiesWithHost.OrphanedWorkerStopsAtOnce";
  RuntimeOptions o = Options(Mode::kWorker);
  o.call_timeout = std::chrono::milliseconds(60000);
  PluginInfo info = Inspect(kMisbehaving, o);
  ASSERT_TRUE(info.ok) << info.reason;
  auto inst = Open(info, "{}", o);
  ASSERT_TRUE(inst.ok()) << inst.status().message();
  (*inst)->Call("read", ReadRequest(std::string("tick:") + file));
}

// Issue 21, fault 5: after SIGKILL of the host, its worker stops at once (mid-call) instead of
// carrying on with the call on behalf of a run that is over.
TEST(WorkerDiesWithHost, OrphanedWorkerStopsAtOnce) {
  const std::string dir = TempDir("orphan");
  const std::string file = dir + "/ticks";
  pid_t host = ::fork();
  ASSERT_GE(host, 0);
  if (host == 0) {
    ::setenv("SENDSYNC_TEST_TICK_FILE", file.c_str(), 1);
    ::execl("/proc/self/exe", "plugins_test", "--gtest_filter=WorkerDiesWithHost.HostSide",
            static_cast<char*>(nullptr));
    _exit(127);
  }
  auto lines = [&] {
    std::ifstream in(file);
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  };
  // Wait (boundedly) until the worker is mid-call: its pid and a few ticks are in the file.
  for (int i = 0; i < 1000 && lines().size() < 4; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_GE(lines().size(), 4u) << "the worker never started ticking";
  const pid_t worker = static_cast<pid_t>(std::stol(lines()[0]));
  ::kill(host, SIGKILL);
  int st = 0;
  ::waitpid(host, &st, 0);
  // Gone (or a zombie waiting for init) well before its 5 s call would have ended.
  auto gone = [&] {
    std::ifstream stat("/proc/" + std::to_string(worker) + "/stat");
    std::string pid, comm, state;
    if (!(stat >> pid >> comm >> state)) return true;
    return state == "Z" || state == "X";
  };
  bool dead = false;
  for (int i = 0; i < 100 && !(dead = gone()); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(dead) << "the worker of a killed host is still running a second later";
  const size_t at_death = lines().size();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(lines().size(), at_death) << "the orphaned worker carried on";
  EXPECT_LT(at_death, 400u);
  if (!dead) ::kill(worker, SIGKILL);
  fs::remove_all(dir);
}

namespace {
// A field of /proc/self/status in kB ("VmRSS", "VmHWM"); -1 when absent.
long StatusKb(const std::string& field) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(field + ":", 0) == 0) return std::atol(line.c_str() + field.size() + 1);
  return -1;
}
}  // namespace

// A worker that announces a 1 GiB frame and sends nothing more costs the host what it sent, not
// what it announced (found by tests/fuzz/frames_fuzz.cpp: the payload was sized, and zeroed, up
// front).
TEST(Frames, AnAnnouncedHugeFrameIsNotAllocatedBeforeItsBytesArrive) {
  {
    std::ofstream reset("/proc/self/clear_refs");
    if (!(reset << "5" << std::flush)) GTEST_SKIP() << "cannot reset the peak RSS here";
  }
  const long rss_before = StatusKb("VmRSS");
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const unsigned char head[5] = {0x3f, 0xff, 0xff, 0xff, 'R'};  // 1 GiB - 1 byte of payload
  ASSERT_EQ(::write(fds[1], head, sizeof head), 5);
  ASSERT_EQ(::write(fds[1], "0{", 2), 2);
  ::close(fds[1]);
  detail::Frame f;
  auto deadline = detail::Clock::now() + std::chrono::seconds(5);
  Status st = detail::ReadFrame(fds[0], f, &deadline);
  ::close(fds[0]);
  EXPECT_EQ(st.message(), "closed");
  const long peak_growth_mb = (StatusKb("VmHWM") - rss_before) / 1024;
  EXPECT_LT(peak_growth_mb, 64) << "reading a 2-byte frame body raised the peak RSS by "
                                << peak_growth_mb << " MiB";
}

// The worker runtime tells a hung worker from a crashed one by the code, not the wording: a wait
// that runs out of time is DeadlineExceeded (and transient), whatever its message says.
TEST(Frames, AReadPastItsDeadlineIsDeadlineExceeded) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  detail::Frame f;
  auto deadline = detail::Clock::now();  // already due: nothing will arrive in time
  Status st = detail::ReadFrame(fds[0], f, &deadline);
  ::close(fds[0]);
  ::close(fds[1]);
  EXPECT_EQ(st.code(), Status::Code::kDeadlineExceeded) << st.ToString();
  EXPECT_TRUE(st.transient());
}

TEST(Frames, AClosedPipeIsUnavailableNotDeadlineExceeded) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[1]);
  detail::Frame f;
  auto deadline = detail::Clock::now() + std::chrono::seconds(5);
  Status st = detail::ReadFrame(fds[0], f, &deadline);
  ::close(fds[0]);
  EXPECT_EQ(st.code(), Status::Code::kUnavailable) << st.ToString();
}
