// A running run's progress in the admin API: the kind being read, records done of the total, rate
// and time left, saved by whichever host runs it (at most every progress_save_every_ms), shown to
// tokens that may see the run's school, and gone once the run ends.
#include <thread>

#include "core/sync/run_progress.h"
#include "core/sync/sync.h"
#include "openapi_contract.h"
#include "server_fixture.h"

namespace sendsync::server_test {
namespace {

constexpr int kPupils = 60;

// On each store: several hosts share one PostgreSQL, so that is where another host's run matters.
class ProgressTest : public ServerTest, public ::testing::WithParamInterface<bool> {
 protected:
  ProgressTest() { postgres_ = GetParam(); }

  void SetUp() override {
    ServerTest::SetUp();
    WritePupils("slow", 1, kPupils);
    // 12 pages of 5, 150 ms each: a run lasts about two seconds.
    link_id_ = AddLink("slow", "slow", "100000", "manual", "slow-source",
                       {{"delay_ms", 150}, {"page", 5}});
  }

  // The service, saving every page's progress so a test sees it move page by page.
  void StartSavingEveryPage() {
    server::ServiceOptions o = Options();
    o.engine.progress_save_every_ms = 0;
    o.engine.host_id = "host-a";
    Start(o);
  }

  // The link's newest run as the API shows it (null when there is none).
  json NewestRun(const std::string& token) {
    Response r = Get("/api/v1/runs?link=slow&limit=1", token);
    EXPECT_EQ(r.status, 200) << r.body;
    json j = r.Json();
    return j.is_object() && !j["items"].empty() ? j["items"][0] : json();
  }

  // Checks one answer against docs/api/admin-api.yaml (RunProgress allows no other field).
  void ExpectDocumented(const std::string& path, const Response& res) {
    static auto contract =
        sims::OpenApiContract::Load(std::string(SOURCE_DIR) + "/docs/api/admin-api.yaml");
    ASSERT_TRUE(contract.ok()) << contract.status().ToString();
    sims::HttpExchange x;
    x.status = res.status;
    x.content_type = res.content_type.substr(0, res.content_type.find(';'));
    x.body = res.body;
    for (const auto& v : (*contract)->CheckResponse("GET", path.substr(0, path.find('?')), x))
      ADD_FAILURE() << path << ": " << v.path << ": " << v.message << "\n" << res.body;
  }

  int64_t link_id_ = 0;
};

TEST_P(ProgressTest, RunningRunShowsRecordsDoneOfTheTotalAdvancingAndNoProgressOnceEnded) {
  StartSavingEveryPage();
  const std::string token = Token(server::Role::kOperator);
  ASSERT_EQ(Post("/api/v1/links/slow/run", token).status, 202);
  json first;
  ASSERT_TRUE(WaitFor([&] {
    first = NewestRun(token);
    return first.is_object() && first.contains("progress");
  })) << "no progress seen while the run was running: "
      << first.dump();
  EXPECT_EQ(first["status"], "running");
  const json& p = first["progress"];
  EXPECT_EQ(p["phase"], "pull");
  EXPECT_EQ(p["kind"], "pupil");
  EXPECT_EQ(p["total"], kPupils);
  EXPECT_EQ(p["host"], "host-a");
  EXPECT_TRUE(p["started_at"].is_string() && p["updated_at"].is_string()) << p.dump();
  EXPECT_GE(p["rate"].get<int64_t>(), 0);
  const int64_t done = p["records"].get<int64_t>();
  EXPECT_GT(done, 0);
  EXPECT_LT(done, kPupils);
  if (p["rate"].get<int64_t>() > 0) {
    EXPECT_GT(p["seconds_left"].get<int64_t>(), 0) << p.dump();
  }

  const std::string one = "/api/v1/runs/" + std::to_string(first["id"].get<int64_t>());
  json later;
  ASSERT_TRUE(WaitFor([&] {
    later = Get(one, token).Json();
    return later.contains("progress") && later["progress"]["records"].get<int64_t>() > done;
  })) << "the progress did not advance past "
      << done << ": " << later.dump();
  EXPECT_EQ(later["progress"]["total"], kPupils);
  ExpectDocumented(one, Get(one, token));
  ExpectDocumented("/api/v1/runs", Get("/api/v1/runs?link=slow", token));
  ExpectDocumented("/api/v1/links", Get("/api/v1/links", token));

  ASSERT_TRUE(WaitFor([&] { return Get(one, token).Json().value("status", "") != "running"; },
                      std::chrono::seconds(30)));
  json ended = Get(one, token).Json();
  EXPECT_EQ(ended["status"], "ok") << ended.dump();
  EXPECT_FALSE(ended.contains("progress")) << "an ended run's counts are its summary";
  EXPECT_EQ(ended["summary"]["pulled"], kPupils);
  auto stored = store::GetRun(*Conn(), first["id"].get<int64_t>());
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(stored->progress.is_null()) << "the run's end clears its saved progress";
}

TEST_P(ProgressTest, ATokenOfAnotherSchoolSeesNeitherTheRunningRunNorItsProgress) {
  StartSavingEveryPage();
  const std::string mine = Token(server::Role::kOperator, "100000");
  const std::string other = Token(server::Role::kOperator, "999999");
  ASSERT_EQ(Post("/api/v1/links/slow/run", mine).status, 202);
  json run;
  ASSERT_TRUE(WaitFor([&] {
    run = NewestRun(mine);
    return run.is_object() && run.contains("progress");
  })) << run.dump();
  const std::string one = "/api/v1/runs/" + std::to_string(run["id"].get<int64_t>());
  Response refused = Get(one, other);
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(refused.body.find("progress"), std::string::npos) << refused.body;
  json listed = Get("/api/v1/runs", other).Json();
  EXPECT_TRUE(listed["items"].empty()) << listed.dump();
  json links = Get("/api/v1/links", other).Json();
  EXPECT_TRUE(links["items"].empty()) << links.dump();
  EXPECT_EQ(Get("/api/v1/runs?link=slow", other).status, 403);
  // The school's own token still sees it (the control).
  EXPECT_EQ(Get(one, mine).status, 200);
  ASSERT_TRUE(WaitFor([&] { return Get(one, mine).Json().value("status", "") != "running"; },
                      std::chrono::seconds(30)));
}

TEST_P(ProgressTest, ARunOfAnotherHostSharingTheStoreShowsItsProgressHere) {
  StartSavingEveryPage();
  const std::string token = Token(server::Role::kAuditor);
  sync::EngineOptions eo;
  eo.runtime.mode = plugins::Mode::kInProcess;
  eo.plugin_dir = SERVER_PLUGIN_DIR;
  eo.host_id = "host-b";
  eo.progress_save_every_ms = 0;
  sync::Engine other(*store_, eo);
  Result<sync::RunSummary> result = Status::Internal("not run");
  std::thread runner([&] { result = other.RunLink("slow", sync::RunMode::kSync); });
  json run;
  const bool seen = WaitFor([&] {
    run = NewestRun(token);
    return run.is_object() && run.contains("progress");
  });
  runner.join();
  ASSERT_TRUE(seen) << run.dump();
  EXPECT_EQ(run["progress"]["host"], "host-b");
  EXPECT_EQ(run["progress"]["total"], kPupils);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->status, "ok");
}

// The save is throttled: a run reporting every page writes its row at most once per interval,
// while the caller's on_progress (the CLI's terminal line) still hears every page.
TEST_P(ProgressTest, ProgressIsSavedAtMostOncePerIntervalButReportedEveryTime) {
  auto conn = Conn();
  auto run_id = store::StartRun(*conn, link_id_, "sync", "host-a:1:1");
  ASSERT_TRUE(run_id.ok());
  sync::EngineOptions eo;
  eo.host_id = "host-a";
  eo.progress_save_every_ms = 3600 * 1000;
  int heard = 0;
  eo.on_progress = [&](const sync::Progress&) { ++heard; };
  sync::detail::ProgressReporter reporter(eo, *run_id);
  reporter.Report(conn.get(), {"slow", "pupil", "pull", 5, 50, 55, store::NowMs()});
  reporter.Report(conn.get(), {"slow", "pupil", "pull", 10, 50, 50, store::NowMs()});
  EXPECT_EQ(heard, 2);
  auto run = store::GetRun(*conn, *run_id);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->progress.value("records", 0), 5) << run->progress.dump();
  EXPECT_EQ(run->progress.value("total", 0), 60);
  EXPECT_EQ(run->progress.value("host", ""), "host-a");

  sync::EngineOptions every = eo;
  every.progress_save_every_ms = 0;
  sync::detail::ProgressReporter eager(every, *run_id);
  eager.Report(conn.get(), {"slow", "pupil", "pull", 10, 50, 50, store::NowMs()});
  eager.Report(conn.get(), {"slow", "pupil", "pull", 15, 50, 45, store::NowMs()});
  EXPECT_EQ(store::GetRun(*conn, *run_id)->progress.value("records", 0), 15);

  ASSERT_TRUE(store::FinishRun(*conn, *run_id, "ok", json::object(), "").ok());
  eager.Report(conn.get(), {"slow", "pupil", "pull", 20, 50, 40, store::NowMs()});
  EXPECT_TRUE(store::GetRun(*conn, *run_id)->progress.is_null())
      << "a finished run takes no progress";
}

INSTANTIATE_TEST_SUITE_P(Stores, ProgressTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "postgresql" : "sqlite"; });

}  // namespace
}  // namespace sendsync::server_test
