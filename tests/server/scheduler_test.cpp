// When links run: schedules, back-off after failures, runs due links, never two runs of one link.
#include <thread>

#include "core/server/schedule.h"
#include "server_fixture.h"

namespace sendsync::server_test {
namespace {

using server::Backoff;
using server::NextRunAt;
using server::ParseSchedule;
using server::RunHistory;
using server::Schedule;

TEST(Schedule, ParsesEveryFormValidateScheduleAccepts) {
  EXPECT_EQ(ParseSchedule("manual")->kind, Schedule::Kind::kManual);
  EXPECT_EQ(ParseSchedule("hourly")->every_ms, 3600000);
  EXPECT_EQ(ParseSchedule("every 30s")->every_ms, 30000);
  EXPECT_EQ(ParseSchedule("every 15m")->every_ms, 900000);
  EXPECT_EQ(ParseSchedule("every 2h")->every_ms, 7200000);
  auto d = ParseSchedule("daily 06:30");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->kind, Schedule::Kind::kDaily);
  EXPECT_EQ(d->hour, 6);
  EXPECT_EQ(d->minute, 30);
  EXPECT_FALSE(ParseSchedule("sometimes").ok());
}

TEST(Schedule, ManualLinksAreNeverDue) {
  EXPECT_FALSE(NextRunAt(*ParseSchedule("manual"), {}, 1000, {}).has_value());
}

TEST(Schedule, IntervalLinkNeverRunIsDueAtOnceThenAnIntervalAfterItsLastStart) {
  Schedule s = *ParseSchedule("every 15m");
  EXPECT_EQ(NextRunAt(s, {}, 5000, {}), 5000);
  RunHistory h{1000000, 1005000, 0};
  EXPECT_EQ(NextRunAt(s, h, 1100000, {}), 1000000 + 900000);
}

TEST(Schedule, DailyLinkIsDueAtTheNextTimeOfDayAfterItsLastStart) {
  Schedule s = *ParseSchedule("daily 06:30");
  std::tm tm{};
  tm.tm_year = 126;
  tm.tm_mon = 10;
  tm.tm_mday = 23;
  tm.tm_hour = 7;
  tm.tm_isdst = -1;
  const int64_t last = static_cast<int64_t>(std::mktime(&tm)) * 1000;  // 23 Nov 07:00 local
  auto next = NextRunAt(s, {last, last + 1000, 0}, last + 2000, {});
  ASSERT_TRUE(next.has_value());
  std::time_t t = static_cast<std::time_t>(*next / 1000);
  std::tm got{};
  localtime_r(&t, &got);
  EXPECT_EQ(got.tm_mday, 24);
  EXPECT_EQ(got.tm_hour, 6);
  EXPECT_EQ(got.tm_min, 30);
}

TEST(Schedule, FailedRunsBackOffDoublingUpToTheLimit) {
  Backoff b{60000, 300000};
  EXPECT_EQ(server::RetryDelayMs(1, b), 60000);
  EXPECT_EQ(server::RetryDelayMs(2, b), 120000);
  EXPECT_EQ(server::RetryDelayMs(3, b), 240000);
  EXPECT_EQ(server::RetryDelayMs(4, b), 300000);
  EXPECT_EQ(server::RetryDelayMs(40, b), 300000);
  Schedule s = *ParseSchedule("every 30s");
  EXPECT_EQ(NextRunAt(s, {1000, 2000, 2}, 3000, b), 2000 + 120000);
}

class SchedulerTest : public ServerTest {
 protected:
  std::vector<store::Run> Runs(int64_t link_id) {
    auto r = store::ListRuns(*Conn(), link_id, 1000);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : std::vector<store::Run>{};
  }
};

TEST_F(SchedulerTest, RunsADueLinkOnItsOwn) {
  WritePupils("mis", 1, 3);
  const int64_t id = AddLink("mis", "mis", "100000", "every 1h");
  AddLink("by-hand", "mis", "100000", "manual");
  Start(true);
  ASSERT_TRUE(WaitFor([&] {
    auto runs = Runs(id);
    return !runs.empty() && runs[0].status == "ok";
  }));
  Stop();
  EXPECT_EQ(Runs(id).size(), 1u) << "an hourly link runs once, not every tick";
  EXPECT_TRUE(Runs(store::GetLink(*Conn(), "by-hand")->id).empty())
      << "manual links wait to be asked";
  EXPECT_EQ(store::ListPupils(*Conn())->size(), 3u);
}

TEST_F(SchedulerTest, NeverRunsOneLinkTwiceAtOnce) {
  WritePupils("slow", 1, 40);
  // Each run takes about 4 pages x 150 ms, longer than the link's 1 s interval allows between
  // ticks.
  const int64_t id = AddLink("slow", "slow", "100000", "every 1s", "slow-source",
                             {{"delay_ms", 150}, {"page", 10}});
  Start(true);
  ASSERT_TRUE(WaitFor([&] { return svc_->scheduler().Running("slow"); }));
  // Asking for another run while one is in flight is refused, here and through the API.
  EXPECT_EQ(svc_->scheduler().StartRun("slow").code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(Post("/api/v1/links/slow/run", Token(server::Role::kAdmin)).status, 409);
  ASSERT_TRUE(WaitFor([&] { return Runs(id).size() >= 3; }, std::chrono::seconds(20)));
  Stop();
  auto runs = Runs(id);
  std::sort(runs.begin(), runs.end(),
            [](const auto& a, const auto& b) { return a.started_at < b.started_at; });
  for (size_t i = 1; i < runs.size(); ++i) {
    ASSERT_TRUE(runs[i - 1].finished_at.has_value());
    EXPECT_GE(runs[i].started_at, *runs[i - 1].finished_at)
        << "run " << runs[i].id << " overlapped";
  }
}

TEST_F(SchedulerTest, FailingLinkBacksOffInsteadOfRunningEveryInterval) {
  const int64_t id = AddLink("broken", "gone", "100000", "every 1s");
  std::filesystem::remove_all(dir_ / "gone");  // the adapter now refuses its configuration
  auto o = Options(true);
  o.scheduler.backoff = {60000, 600000};
  Start(o);
  ASSERT_TRUE(WaitFor([&] {
    auto runs = Runs(id);
    return !runs.empty() && runs[0].status == "failed";
  }));
  std::this_thread::sleep_for(
      std::chrono::milliseconds(2500));  // long enough for two more intervals
  EXPECT_EQ(Runs(id).size(), 1u);
  json link = Get("/api/v1/links/broken", Token(server::Role::kAdmin)).Json();
  EXPECT_EQ(link["consecutive_failures"], 1);
  EXPECT_FALSE(link["next_run_at"].is_null());
}

// More links due than the host has room for, each due again before its run ends: the ones at the
// end of the list still run. (Links were tried in list order, so the first two took both places
// on every tick and the third never ran.)
TEST_F(SchedulerTest, LinksDueBeyondTheRoomLeftAreNotPassedOverForEver) {
  std::vector<int64_t> ids;
  for (const char* name : {"l0", "l1", "l2"}) {
    WritePupils(name, 1, 1);
    ids.push_back(AddLink(name, name, "100000", "every 1s", "slow-source", {{"delay_ms", 1200}}));
  }
  auto o = Options(true);
  o.scheduler.max_parallel_runs = 2;
  Start(o);
  const bool third_ran = WaitFor([&] { return !Runs(ids[2]).empty(); }, std::chrono::seconds(8));
  Stop();
  EXPECT_TRUE(third_ran) << "l2 never ran; l0 ran " << Runs(ids[0]).size() << " times, l1 "
                         << Runs(ids[1]).size();
}

// The scheduler on each store: PostgreSQL must keep up with SQLite. On PostgreSQL a link never run
// was due at "now" read after its history query, always later than the tick's own "now", so it
// started only when a whole tick took under a millisecond: 2 to 4 of 10 links in a minute.
class SchedulerStoresTest : public SchedulerTest, public ::testing::WithParamInterface<bool> {
 protected:
  SchedulerStoresTest() { postgres_ = GetParam(); }
};

TEST_P(SchedulerStoresTest, RunsEveryLinkDueAtTheSameMinute) {
  constexpr int kLinks = 10;
  std::vector<int64_t> ids;
  for (int i = 0; i < kLinks; ++i) {
    const std::string name = "school" + std::to_string(i);
    const std::string urn = std::to_string(100000 + i);
    WritePupils(name, 10 * i + 1, 5, urn);
    ids.push_back(AddLink(name, name, urn, "every 1m"));
  }
  auto o = Options(true);
  o.scheduler.max_parallel_runs = 4;
  Start(o);
  auto ran = [&] {
    int n = 0;
    for (int64_t id : ids) {
      auto runs = Runs(id);
      if (!runs.empty() && runs[0].status == "ok") ++n;
    }
    return n;
  };
  // Each run pulls five pupils: the whole round takes well under a second on either store.
  WaitFor([&] { return ran() == kLinks; }, std::chrono::seconds(15));
  Stop();
  EXPECT_EQ(ran(), kLinks) << "links due at the same minute were left waiting";
  for (int64_t id : ids) EXPECT_EQ(Runs(id).size(), 1u) << "link " << id;
  EXPECT_EQ(store::ListPupils(*Conn())->size(), static_cast<size_t>(5 * kLinks));
}

TEST_P(SchedulerStoresTest, EachHostRecordsItsHeartbeatAndHealthzNamesIt) {
  auto o = Options(true);
  o.engine.host_id = "host-x";
  Start(o);
  std::optional<store::Host> seen;
  ASSERT_TRUE(WaitFor([&] {
    auto hosts = store::ListHosts(*Conn());
    if (hosts.ok())
      for (const auto& h : *hosts)
        if (h.host_id == "host-x" && !h.listen.empty()) seen = h;
    return seen.has_value();
  }));
  EXPECT_EQ(seen->listen, "127.0.0.1:" + std::to_string(port()));
  EXPECT_EQ(seen->holder.rfind("host-x:", 0), 0u) << seen->holder;
  EXPECT_GT(seen->heartbeat_at, 0);
  json health = Get("/healthz", "").Json();
  EXPECT_EQ(health["host_id"], "host-x");
  EXPECT_EQ(health["holder"], seen->holder);
}

// With jitter, a host waits its own delay (fixed per host, link and run) after a link falls due:
// the scheduler computes it from the holder name, the link and the last start, as here.
TEST_F(SchedulerTest, JitterDelaysEachDueLinkByThisHostsOwnDelay) {
  auto o = Options(true);
  o.engine.holder = "host-j:1:1";
  o.scheduler.jitter = std::chrono::milliseconds(60000);
  auto delay = [&](const std::string& link) {
    return static_cast<int64_t>(std::hash<std::string>{}(o.engine.holder + "|" + link + "|0") %
                                60000u);
  };
  std::string soon, late;
  for (int i = 0; i < 10000 && (soon.empty() || late.empty()); ++i) {
    const std::string name = "l" + std::to_string(i);
    if (soon.empty() && delay(name) < 300) soon = name;
    if (late.empty() && delay(name) > 30000) late = name;
  }
  ASSERT_FALSE(soon.empty());
  ASSERT_FALSE(late.empty());
  WritePupils("src", 1, 2);
  const int64_t soon_id = AddLink(soon, "src", "100000", "every 1h");
  const int64_t late_id = AddLink(late, "src", "100000", "every 1h");
  Start(o);
  ASSERT_TRUE(WaitFor([&] { return !Runs(soon_id).empty(); }))
      << soon << " (delay " << delay(soon) << " ms) did not start";
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  Stop();
  EXPECT_TRUE(Runs(late_id).empty()) << late << " (delay " << delay(late) << " ms) started early";
}

// A host that died in the middle of a run (another machine's host id, so only its lease tells)
// leaves that run "running". Its link is run again as soon as the lease lapses, resuming the dead
// run: not an interval after the dead run started (an hour here), as the schedule alone would say.
TEST_P(SchedulerStoresTest, ALinkWhoseHostDiedMidRunRunsWhenItsLeaseLapsesNotAtItsNextInterval) {
  WritePupils("mis", 1, 3);
  const int64_t id = AddLink("mis", "mis", "100000", "every 1h");
  const std::string dead = "host-dead:4242:1";
  auto run = store::StartRun(*Conn(), id, "sync", dead);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  constexpr int64_t kLeaseMs = 1500;
  ASSERT_TRUE(*store::AcquireLease(*Conn(), id, dead, kLeaseMs));
  auto lease = store::GetLease(*Conn(), id);
  ASSERT_TRUE(lease.ok() && lease->has_value());
  const int64_t lapses = (*lease)->expires_at;
  auto o = Options(true);
  o.engine.host_id = "host-live";
  Start(o);
  ASSERT_TRUE(WaitFor(
      [&] {
        auto runs = Runs(id);
        return runs.size() == 2 && runs[0].status == "ok";
      },
      std::chrono::seconds(15)))
      << "the dead host's link was not run again after its lease lapsed";
  Stop();
  auto runs = Runs(id);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].holder.rfind("host-live:", 0), 0u) << runs[0].holder;
  EXPECT_GE(runs[0].started_at, lapses) << "taken while the dead host's lease still held";
  EXPECT_EQ(runs[1].status, "abandoned");
  EXPECT_EQ(store::ListPupils(*Conn())->size(), 3u);
}

INSTANTIATE_TEST_SUITE_P(Stores, SchedulerStoresTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "postgresql" : "sqlite"; });

}  // namespace
}  // namespace sendsync::server_test
