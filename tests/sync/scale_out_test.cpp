// Issue 16, item 4: three `sendsync serve` hosts on one PostgreSQL store, 60 links over 20 schools
// (per school: its MIS, read and written back through the mis-api adapter; a census link reading
// only its pupils from the same MIS; and its LA's referral portal through the la-portal adapter),
// with changes flowing both ways while the hosts run. One host is killed with SIGKILL in the
// middle of its runs. Expected: every link completes a run within the lease time plus one tick
// (and a run's own length) after the kill; each change reaches the MIS or the LA exactly once;
// no run is left "running" (the dead host's are abandoned); the audit chain verifies.
//
// The simulators run in this process; the hosts are the built CLI, each its own process with its
// own --host-id, a 6 s lease and the scheduler's 1 s tick.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/store/store.h"
#include "core/sync/sync.h"
#include "la_portal_sim.h"
#include "mis_api_sim.h"
#include "pg_server.h"
#include "ready_pupil.h"
#include "test_upn.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace sendsync;
using sendsync::testing_support::Upn;

namespace {

constexpr int kSchools = 20;
constexpr int kStudents = 4;  // per school
constexpr int kLeaseSeconds = 6;
constexpr int kTickSeconds = 1;  // the scheduler's tick (scheduler.h)
constexpr char kMisToken[] = "tok-scale-out-SECRET-41c9";
constexpr char kMisTokenEnv[] = "SENDSYNC_TEST_SCALE_MIS_TOKEN";
constexpr char kLaKey[] = "la820-scale-out-SECRET-0b7e";
constexpr char kLaKeyEnv[] = "SENDSYNC_TEST_SCALE_LA_KEY";

std::string Urn(int s) {
  return std::to_string(100200 + s);
}
std::string Laestab(int s) {
  return "820" + std::to_string(3000 + s);
}
int UpnNo(int s, int student) {
  return 2000 + 10 * s + student;
}
std::string StudentId(int n) {
  char b[16];
  std::snprintf(b, sizeof b, "STU-%04d", n);
  return b;
}
std::string ClientReference(int s) {
  return Urn(s) + "-SO1";
}

// School s in the MIS: student 1 on SEN support (the MIS changes it during the test), 2 without
// SEN (the hub changes it), 3 the pupil the school refers to the LA (as ready_pupil.h has her), 4
// without SEN.
json School(int s) {
  json list = json::array();
  for (int i = 1; i <= kStudents; ++i) {
    json st = {{"id", StudentId(i)},
               {"upn", Upn(UpnNo(s, i))},
               {"legal_surname", "Surname" + std::to_string(i)},
               {"legal_forename", "Forename" + std::to_string(i)},
               {"date_of_birth", "2014-03-02"},
               {"gender", i % 2 ? "F" : "M"},
               {"year_group", "5"},
               {"updated_at", "2025-01-10T08:00:00.000Z"}};
    if (i == 1) {
      st["sen_status"] = {{"code", "K"}, {"start_date", "2023-09-04"}};
      st["sen_needs"] = json::array({{{"type", "SLCN"}, {"rank", 1}}});
    } else if (i == 3) {
      st["legal_surname"] = "Morgan";
      st["legal_forename"] = "Ella";
      st["date_of_birth"] = "2017-03-11";
      st["gender"] = "F";
      st["year_group"] = "4";
      st["sen_status"] = {{"code", "K"}, {"start_date", "2024-09-09"}};
      st["sen_needs"] = json::array({{{"type", "SPLD"}, {"rank", 1}}});
    } else {
      st["sen_status"] = {{"code", "N"}, {"start_date", "2019-09-04"}};
      st["sen_needs"] = json::array();
    }
    list.push_back(std::move(st));
  }
  return {{"school",
           {{"id", "SCH-" + std::to_string(s)},
            {"name", "School " + std::to_string(s)},
            {"urn", Urn(s)},
            {"la_code", "820"},
            {"establishment_number", std::to_string(3000 + s)}}},
          {"students", std::move(list)}};
}

// What the hub queues for the MIS and the LA of school s: SEN support for student 2, and a
// request for an EHC needs assessment for student 3 (with her cycles, reviews and provision).
std::vector<json> HubChanges(int s) {
  std::vector<json> lines = {{{"kind", "sen"},
                              {"pupil", {{"upn", Upn(UpnNo(s, 2))}}},
                              {"provision", "K"},
                              {"provision_start", "2025-09-04"},
                              {"needs", json::array({{{"type", "SPLD"}, {"rank", 1}}})}}};
  const std::string tag = "S" + std::to_string(s) + "-P3";  // the import's ids are one namespace
  for (json& l : testing_support::ReadyPupilRecords(
           {.upn = Upn(UpnNo(s, 3)), .tag = tag, .urn = Urn(s), .laestab = Laestab(s)}))
    lines.push_back(std::move(l));
  lines.push_back({{"kind", "referral"},
                   {"id", tag + "-RF1"},
                   {"pupil", {{"id", tag}, {"upn", Upn(UpnNo(s, 3))}}},
                   {"requester_role", "school"},
                   {"request_source", 2},
                   {"requester_name", "Mrs D. Hale (SENCO)"},
                   {"request_date", "2025-11-03"},
                   {"consent", {{"given", true}, {"date", "2025-10-17"}, {"by", "parent"}}},
                   {"la", "820"},
                   {"client_reference", ClientReference(s)},
                   {"status", "submitted"}});
  return lines;
}

bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds limit,
             std::chrono::milliseconds every = std::chrono::milliseconds(20)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(every);
  }
  return true;
}

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Starts the built CLI with `args`, output to `log`. Everything is built before fork (the child of
// a threaded process may only exec).
pid_t Spawn(const std::vector<std::string>& args, const fs::path& log) {
  std::vector<std::string> argv_s = {SENDSYNC_BIN};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string log_path = log.string();
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (FILE* f = std::fopen(log_path.c_str(), "w")) {
      ::dup2(fileno(f), 1);
      ::dup2(fileno(f), 2);
    }
    ::execv(SENDSYNC_BIN, argv.data());
    ::_exit(127);
  }
  return pid;
}

class ScaleOut : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing_support::PostgresSkipped()) GTEST_SKIP() << "SENDSYNC_SKIP_POSTGRES=1";
    dir_ = fs::temp_directory_path() /
           ("sendsync-scale-out-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "web");
    std::ofstream(dir_ / "web" / "index.html") << "<!doctype html><title>sendsync</title>";
    ::setenv(kMisTokenEnv, kMisToken, 1);
    ::setenv(kLaKeyEnv, kLaKey, 1);
    ::setenv("ASAN_OPTIONS", "detect_leaks=0", 1);  // for the hosts (killed ones leak by design)
    url_ = testing_support::FreshPostgresUrl();
    ASSERT_FALSE(url_.empty());
    auto s = store::Store::Open(url_, store::OpenMode::kCreate);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    options_.runtime.mode = plugins::Mode::kInProcess;
    options_.runtime.worker_path = WORKER_PATH;
    options_.plugin_dir = BUNDLED_PLUGIN_DIR;
    engine_ = std::make_unique<sync::Engine>(*store_, options_);  // for the hub's own imports

    sims::LaPortalSimOptions lo;
    lo.today = Date::Parse("2025-11-03");
    lo.auth.mode = "api_key";
    lo.auth.api_key = kLaKey;
    for (int s = 0; s < kSchools; ++s) {
      la_.push_back(std::make_unique<sims::LaPortalSim>(lo));
      ASSERT_TRUE(la_.back()->Start().ok());
    }
    sims::FaultConfig slow;  // every MIS request takes a while, so a kill finds runs in flight
    slow.latency_ms = 20;
    for (int s = 0; s < kSchools; ++s) {
      mis_.push_back(std::make_unique<sims::mis_api::MisApiSim>(kMisToken));
      ASSERT_TRUE(mis_.back()->Start().ok());
      ASSERT_TRUE(mis_.back()->LoadSchool(School(s)).ok());
      mis_.back()->server().SetFaults(slow);
    }
  }

  void TearDown() override {
    for (auto& [name, pid] : hosts_) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    engine_.reset();
    store_.reset();
    for (auto& m : mis_) m->Stop();
    for (auto& l : la_) l->Stop();
    std::error_code ec;
    if (!HasFailure()) fs::remove_all(dir_, ec);
  }

  void AddLink(const std::string& name, const std::string& urn, const std::string& adapter,
               json config, json settings) {
    sync::LinkSpec spec;
    spec.name = name;
    spec.school_urn = urn;
    spec.adapter_id = adapter;
    spec.schedule = "every 5s";
    spec.config = std::move(config);
    spec.settings = std::move(settings);
    auto id = sync::AddLink(*store_, spec, options_.runtime, BUNDLED_PLUGIN_DIR, "test");
    ASSERT_TRUE(id.ok()) << name << ": " << id.status().ToString();
    links_[name] = *id;
  }

  void AddLinks() {
    for (int s = 0; s < kSchools; ++s) {
      const json mis = {{"base_url", mis_[s]->api_url()},
                        {"school_id", "SCH-" + std::to_string(s)},
                        {"token", std::string("env:") + kMisTokenEnv}};
      AddLink("mis-" + std::to_string(s), Urn(s), "mis-api", mis,
              {{"kinds", {{"pupil", {{"direction", "read"}}}, {"sen", {{"direction", "both"}}}}}});
      AddLink("census-" + std::to_string(s), Urn(s), "mis-api", mis,
              {{"kinds", {{"pupil", {{"direction", "read"}}}}}});
      AddLink("la-" + std::to_string(s), Urn(s), "la-portal",
              {{"base_url", la_[s]->base_url()},
               {"la", "820"},
               {"school_name", "School " + std::to_string(s)},
               {"auth", {{"type", "api_key"}, {"key", std::string("env:") + kLaKeyEnv}}}},
              {{"kinds", {{"referral", {{"direction", "both"}}}}}});
    }
  }

  void StartHost(const std::string& host_id) {
    const fs::path cfg = dir_ / (host_id + ".json");
    std::ofstream(cfg) << json{
        {"data_dir", (dir_ / host_id).string()},
        {"store_url", url_},
        {"plugin_dir", BUNDLED_PLUGIN_DIR},
        {"listen", "127.0.0.1:0"},
        {"web_root", (dir_ / "web").string()},
        {"worker_mode", "in-process"},
        {"host_id", host_id},
        {"lease_seconds", kLeaseSeconds},
        {"max_parallel_runs", 6},
        {"retry_base_seconds", 1},
        {"retry_max_seconds", 2},
        {"log_level", "info"}}.dump(2);
    fs::create_directories(dir_ / host_id);
    const pid_t pid = Spawn({"serve", "--config", cfg.string()}, dir_ / (host_id + ".log"));
    ASSERT_GT(pid, 0);
    hosts_[host_id] = pid;
  }

  // Stops a host with SIGTERM (it stops its runs at a safe point) and returns its exit code.
  int StopHost(const std::string& host_id) {
    const pid_t pid = hosts_.at(host_id);
    ::kill(pid, SIGTERM);
    int st = 0;
    const bool gone =
        WaitFor([&] { return ::waitpid(pid, &st, WNOHANG) == pid; }, std::chrono::seconds(30));
    hosts_.erase(host_id);
    if (!gone) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      return -1;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }

  std::unique_ptr<store::Conn> Conn() {
    auto c = store_->Connect();
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }

  std::vector<store::Run> Runs(store::Conn& c, int64_t link_id) {
    auto r = store::ListRuns(c, link_id, 10000);
    return r.ok() ? *r : std::vector<store::Run>{};
  }

  // A run that went to its end: "ok", or "needs_person" (it finished, leaving items for a person).
  static bool Completed(const store::Run& r) {
    return r.status == "ok" || r.status == "needs_person";
  }

  // Links with a completed run that started at or after `since_ms` (ms since the epoch).
  int LinksRunSince(int64_t since_ms) {
    auto c = Conn();
    int n = 0;
    for (const auto& [name, id] : links_) {
      for (const store::Run& r : Runs(*c, id))
        if (Completed(r) && r.started_at >= since_ms) {
          ++n;
          break;
        }
    }
    return n;
  }

  std::vector<store::OutboxItem> Outbox() {
    auto c = Conn();
    store::QueueFilter f;
    f.status = "";
    f.limit = 1000000;
    auto items = store::ListOutbox(*c, f);
    EXPECT_TRUE(items.ok());
    return items.ok() ? *items : std::vector<store::OutboxItem>{};
  }

  // The hub's SEN provision code by pupil UPN.
  std::map<std::string, std::string> HubSen() {
    auto c = Conn();
    auto rows = store::ScanRecords(*c, 0, 10000000);
    std::map<int64_t, std::string> upn;
    std::map<std::string, std::string> out;
    if (!rows.ok()) return out;
    for (const auto& r : *rows)
      if (r.kind == "pupil") upn[r.id] = r.upn;
    for (const auto& r : *rows)
      if (r.kind == "sen" && !r.deleted)
        out[upn[r.pupil_id]] = json::parse(r.body).value("provision", "") + " " +
                               json::parse(r.body).value("provision_start", "");
    return out;
  }

  fs::path dir_;
  std::string url_;
  std::unique_ptr<store::Store> store_;
  sync::EngineOptions options_;
  std::unique_ptr<sync::Engine> engine_;
  std::vector<std::unique_ptr<sims::mis_api::MisApiSim>> mis_;
  std::vector<std::unique_ptr<sims::LaPortalSim>> la_;  // one per school (its own API key's view)
  std::map<std::string, int64_t> links_;
  std::map<std::string, pid_t> hosts_;
};

TEST_F(ScaleOut, ThreeHostsSurviveOneKilledMidRunAndDeliverEveryChangeOnce) {
  AddLinks();
  ASSERT_EQ(links_.size(), 3u * kSchools);
  const auto t_start = std::chrono::steady_clock::now();
  for (const char* h : {"host-a", "host-b", "host-c"}) StartHost(h);

  // Round one: every link pulls (MIS -> hub).
  const bool round_one = WaitFor([&] { return LinksRunSince(0) == 3 * kSchools; },
                                 std::chrono::seconds(60), std::chrono::milliseconds(100));
  ASSERT_TRUE(round_one) << LinksRunSince(0) << " of " << 3 * kSchools
                         << " links ran; host-a: " << ReadAll(dir_ / "host-a.log");
  const double round_one_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  ASSERT_EQ(HubSen().size(), static_cast<size_t>(kSchools * kStudents));

  // Changes both ways: the hub queues SEN support for the MIS and a referral for the LA of each
  // school; each MIS takes student 1 off SEN support.
  {
    std::ofstream f(dir_ / "changes.jsonl");
    for (int s = 0; s < kSchools; ++s)
      for (const json& l : HubChanges(s)) f << l.dump() << "\n";
  }
  auto imported = engine_->ImportJsonLines((dir_ / "changes.jsonl").string(), "test");
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  ASSERT_TRUE(imported->errors.empty()) << imported->errors[0];
  for (auto& m : mis_)
    ASSERT_TRUE(m->SetSenStatus(StudentId(1), {{"code", "K"}, {"start_date", "2025-10-01"}}).ok());
  const std::vector<store::OutboxItem> queued = Outbox();
  std::map<std::string, int> queued_by_kind;
  for (const auto& o : queued) queued_by_kind[o.kind] += 1;
  ASSERT_GE(queued.size(), static_cast<size_t>(2 * kSchools))
      << "a SEN change and a referral each: " << json(queued_by_kind).dump();

  // host-a in the middle of runs: killed.
  std::set<int64_t> cut;  // host-a's runs in flight
  const bool mid_run = WaitFor(
      [&] {
        auto c = Conn();
        for (const auto& [name, id] : links_)
          for (const store::Run& r : Runs(*c, id))
            if (r.status == "running" && r.holder.rfind("host-a:", 0) == 0) cut.insert(r.id);
        return !cut.empty();
      },
      std::chrono::seconds(30), std::chrono::milliseconds(5));
  ASSERT_TRUE(mid_run) << "host-a ran nothing";
  ASSERT_EQ(::kill(hosts_.at("host-a"), SIGKILL), 0);
  ::waitpid(hosts_.at("host-a"), nullptr, 0);
  hosts_.erase("host-a");
  const int64_t killed_ms = store::NowMs();
  {  // the runs in flight at the kill (host-a may have started more between the look and it)
    auto c = Conn();
    cut.clear();
    for (const auto& [name, id] : links_)
      for (const store::Run& r : Runs(*c, id))
        if (r.status == "running" && r.holder.rfind("host-a:", 0) == 0) cut.insert(r.id);
  }

  // Every link runs to the end again on the two hosts left, and every change arrives.
  auto pending = [&] {
    int64_t n = 0;
    for (const auto& o : Outbox()) n += o.status == store::OutboxStatus::kPending;
    return n;
  };
  auto mis_changes_pulled = [&] {
    auto sen = HubSen();
    for (int s = 0; s < kSchools; ++s)
      if (sen[Upn(UpnNo(s, 1))] != "K 2025-10-01") return false;
    return true;
  };
  const bool settled = WaitFor(
      [&] {
        return LinksRunSince(killed_ms) == 3 * kSchools && pending() == 0 && mis_changes_pulled();
      },
      std::chrono::seconds(45), std::chrono::milliseconds(100));
  EXPECT_TRUE(settled) << LinksRunSince(killed_ms) << " links ran since the kill; " << pending()
                       << " changes pending";
  EXPECT_EQ(StopHost("host-b"), 0) << ReadAll(dir_ / "host-b.log");
  EXPECT_EQ(StopHost("host-c"), 0) << ReadAll(dir_ / "host-c.log");

  // Each link's first run to finish after the kill, in seconds after it.
  auto c = Conn();
  double slowest = 0, slowest_cut = 0;
  std::string slowest_link;
  std::set<std::string> ran_by;
  int abandoned = 0;
  for (const auto& [name, id] : links_) {
    std::optional<int64_t> first;
    bool was_cut = false;
    std::optional<int64_t> taken_over;  // the first run started after the kill
    for (const store::Run& r : Runs(*c, id)) {
      if (r.started_at >= killed_ms && (!taken_over || r.started_at < *taken_over))
        taken_over = r.started_at;
      EXPECT_NE(r.status, "running") << name << " run " << r.id << " (" << r.holder << ")";
      // Writers take the rows every commit shares (the audit head, then the hub generation as
      // the last statement) in one order, so no two of them deadlock.
      EXPECT_EQ(r.error.find("deadlock"), std::string::npos)
          << name << " run " << r.id << ": " << r.error;
      if (cut.count(r.id)) {
        was_cut = true;
        EXPECT_EQ(r.status, "abandoned") << name << ": host-a's run " << r.id;
        abandoned += r.status == "abandoned";
      }
      if (Completed(r) && r.started_at >= killed_ms && r.finished_at &&
          (!first || *r.finished_at < *first))
        first = *r.finished_at;
      if (Completed(r)) ran_by.insert(r.holder.substr(0, r.holder.find(':')));
    }
    ASSERT_TRUE(first.has_value()) << name << " never ran to the end after the kill";
    const double after = (*first - killed_ms) / 1000.0;
    if (after > slowest) {
      slowest = after;
      slowest_link = name;
    }
    if (was_cut && taken_over && (*taken_over - killed_ms) / 1000.0 > slowest_cut)
      slowest_cut = (*taken_over - killed_ms) / 1000.0;
  }
  std::printf(
      "[scale-out] 60 links, 3 hosts: round one %.1f s; host-a killed with %zu runs in flight; "
      "another host took its links over within %.1f s of the kill; every link completed a run "
      "within %.1f s (slowest %s; lease %d s + tick %d s)\n",
      round_one_s, cut.size(), slowest_cut, slowest, slowest_link.c_str(), kLeaseSeconds,
      kTickSeconds);
  EXPECT_EQ(ran_by, (std::set<std::string>{"host-a", "host-b", "host-c"}));
  EXPECT_EQ(abandoned, static_cast<int>(cut.size()));
  // The dead host's links are started on another host within the lease time plus one tick (plus
  // 2 s for a loaded CI machine), and every link completes a run within that plus the time a run
  // of these links takes on a loaded machine (a few seconds: pages of a few records behind a
  // simulator answering after 20 ms).
  EXPECT_LE(slowest_cut, kLeaseSeconds + kTickSeconds + 2.0);
  EXPECT_LE(slowest, kLeaseSeconds + kTickSeconds + 8.0) << "slowest " << slowest_link;

  // Exactly once at the MIS and at the LA; nothing dead, nothing left to send.
  std::map<std::string, int> at_la;
  for (auto& l : la_)
    for (const json& r : l->Referrals()) at_la[r.value("client_reference", "")] += 1;
  int mis_changes = 0, la_changes = 0;
  for (const store::OutboxItem& o : Outbox()) {
    EXPECT_EQ(o.status, store::OutboxStatus::kDelivered) << o.kind << " " << o.last_error;
    auto link = store::GetLinkById(*c, o.link_id);
    ASSERT_TRUE(link.ok());
    if (link->adapter_id == "mis-api") {
      ++mis_changes;
      const int s = std::stoi(link->name.substr(link->name.find('-') + 1));
      EXPECT_EQ(mis_[s]->Applications(o.idem_key), 1) << link->name << " " << o.idem_key;
    } else {
      ++la_changes;
    }
  }
  EXPECT_GE(mis_changes, kSchools);
  EXPECT_EQ(la_changes, kSchools);
  for (int s = 0; s < kSchools; ++s) EXPECT_EQ(at_la[ClientReference(s)], 1) << ClientReference(s);
  EXPECT_EQ(at_la.size(), static_cast<size_t>(kSchools));
  for (int s = 0; s < kSchools; ++s) {
    json st = mis_[s]->DumpSchool()["students"];
    for (const json& x : st)
      if (x["id"] == StudentId(2)) {
        EXPECT_EQ(x["sen_status"]["code"], "K") << "school " << s;
      }
  }
  // MIS -> hub: each pupil once, with the MIS's change.
  auto pupils = store::ListPupils(*c);
  ASSERT_TRUE(pupils.ok());
  std::set<std::string> upns;
  for (const auto& p : *pupils) upns.insert(p.upn);
  EXPECT_EQ(pupils->size(), static_cast<size_t>(kSchools * kStudents));
  EXPECT_EQ(upns.size(), static_cast<size_t>(kSchools * kStudents));
  EXPECT_TRUE(mis_changes_pulled());

  // The audit chain, checked by the CLI as an operator would.
  const pid_t v = Spawn({"audit", "verify", "--db", url_}, dir_ / "verify.log");
  int st = 0;
  ::waitpid(v, &st, 0);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << ReadAll(dir_ / "verify.log");
}

// Not a check but a measurement for docs/scale-out.md, run only with SENDSYNC_SCALE_MEASURE=1: the
// time one host, then three, take to run each of the 60 links once from a fresh store (the MIS
// answers each request after 20 ms, so the adapters, not the store, are the slow part).
TEST_F(ScaleOut, MeasureARoundOfSixtyLinksOnOneHostAndOnThree) {
  const char* on = std::getenv("SENDSYNC_SCALE_MEASURE");
  if (!on || std::string(on) != "1") GTEST_SKIP() << "set SENDSYNC_SCALE_MEASURE=1 to measure";
  double took[2] = {0, 0};
  const std::vector<std::vector<std::string>> sets = {{"solo"}, {"trio-a", "trio-b", "trio-c"}};
  for (size_t k = 0; k < sets.size(); ++k) {
    if (k > 0) {  // a fresh store and fresh schools
      store_.reset();
      url_ = testing_support::FreshPostgresUrl();
      auto st = store::Store::Open(url_, store::OpenMode::kCreate);
      ASSERT_TRUE(st.ok()) << st.status().ToString();
      store_ = std::move(*st);
      links_.clear();
      for (int s = 0; s < kSchools; ++s) ASSERT_TRUE(mis_[s]->LoadSchool(School(s)).ok());
    }
    AddLinks();
    const auto t0 = std::chrono::steady_clock::now();
    for (const auto& h : sets[k]) StartHost(h);
    ASSERT_TRUE(WaitFor([&] { return LinksRunSince(0) == 3 * kSchools; }, std::chrono::seconds(120),
                        std::chrono::milliseconds(50)));
    took[k] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (const auto& h : sets[k]) EXPECT_EQ(StopHost(h), 0);
  }
  std::printf("[scale-out] a round of 60 links: one host %.2f s, three hosts %.2f s (%.2fx)\n",
              took[0], took[1], took[1] / took[0]);
}

}  // namespace
