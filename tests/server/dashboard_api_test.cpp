// What the dashboard's pages read: schools without the import link's placeholder, pupils listed
// and filtered, the SEN register's counts, a pupil's disclosures, and the due list's filters and
// totals; each within the token's school.
#include <fstream>
#include <mutex>
#include <set>

#include "server_fixture.h"

namespace sendsync::server_test {
namespace {

class DashboardApiTest : public ServerTest {
 protected:
  // Applies canonical records (one JSON object a line) through import-json, as an admin would.
  void Import(const std::vector<json>& lines) {
    const fs::path file = dir_ / ("import-" + std::to_string(++imports_) + ".jsonl");
    {
      std::ofstream f(file);
      for (const auto& l : lines) f << l.dump() << "\n";
    }
    sync::EngineOptions eo;
    eo.runtime.mode = plugins::Mode::kInProcess;
    eo.plugin_dir = SERVER_PLUGIN_DIR;
    sync::Engine engine(*store_, eo);
    auto r = engine.ImportJsonLines(file.string(), "test");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_TRUE(r->errors.empty()) << r->errors[0];
  }

  int imports_ = 0;
};

json Pupil(int n, const std::string& urn, const std::string& surname, const std::string& year) {
  return {{"kind", "pupil"},
          {"id", "p" + std::to_string(n)},
          {"upn", Upn(n)},
          {"legal_surname", surname},
          {"legal_forename", "Sam"},
          {"dob", "2014-03-02"},
          {"sex", "F"},
          {"nc_year", year},
          {"school_urn", urn}};
}

TEST_F(DashboardApiTest, ImportJsonsLinkMakesNoGhostSchool) {
  WritePupils("mis", 1, 2);
  AddLink("mis", "mis");
  Import({Pupil(50, "100000", "Jones", "5")});
  Start();
  json schools = Get("/api/v1/schools", Token(server::Role::kAdmin)).Json();
  ASSERT_EQ(schools["items"].size(), 1u) << schools.dump();
  EXPECT_EQ(schools["items"][0]["urn"], "100000");
}

json Sen(int n, const std::string& provision, const std::string& need, const std::string& start,
         json history) {
  return {{"kind", "sen"},
          {"pupil", {{"id", "p" + std::to_string(n)}, {"upn", Upn(n)}}},
          {"provision", provision},
          {"provision_start", start},
          {"needs", {{{"type", need}, {"rank", 1}}}},
          {"history", history}};
}

// Two schools: 100000 with Adams (K, SPLD, year 5), Baker (E, ASD, year 6), Clark (no SEN,
// year 6); 200000 with Doyle (K, SLCN, year 5).
class SeededDashboardTest : public DashboardApiTest {
 protected:
  void SetUp() override {
    DashboardApiTest::SetUp();
    Import({Pupil(1, "100000", "Adams", "5"), Pupil(2, "100000", "Baker", "6"),
            Pupil(3, "100000", "Clark", "6"), Pupil(4, "200000", "Doyle", "5"),
            Sen(1, "K", "SPLD", "2024-09-02",
                json::array({{{"provision", "K"}, {"start", "2024-09-02"}}})),
            Sen(2, "E", "ASD", "2025-02-10",
                json::array({{{"provision", "K"}, {"start", "2023-09-04"}, {"end", "2025-02-09"}},
                             {{"provision", "E"}, {"start", "2025-02-10"}}})),
            Sen(4, "K", "SLCN", "2025-01-06",
                json::array({{{"provision", "K"}, {"start", "2025-01-06"}}}))});
  }
};

std::vector<std::string> Surnames(const json& page) {
  std::vector<std::string> out;
  for (const auto& p : page["items"]) out.push_back(p["surname"]);
  return out;
}

// The pupil page draws her clocks on one timeline: each says whether the law sets it or the
// school's own rhythm, as the due list does.
TEST_F(SeededDashboardTest, APupilsClocksSayWhetherTheyAreStatutory) {
  Start();
  const std::string token = Token(server::Role::kAdmin);
  json p = Get("/api/v1/pupils/" + Upn(2), token).Json();
  ASSERT_FALSE(p["clocks"].empty()) << p.dump();
  std::set<std::string> kinds;
  for (const json& c : p["clocks"]) kinds.insert(c.value("kind", "(none)"));
  EXPECT_EQ(kinds.count("(none)"), 0u) << p["clocks"].dump();
  json due = Get("/api/v1/due?within=366", token).Json();
  for (const json& d : due["items"])
    for (const json& c : p["clocks"]) {
      if (d["upn"] == Upn(2) && d["clock"] == c["clock"] && d["due"] == c["due"]) {
        EXPECT_EQ(d["kind"], c["kind"]) << c.dump();
      }
    }
  // Served again from the summary cache, still with the kinds.
  json again = Get("/api/v1/pupils/" + Upn(2), token).Json();
  EXPECT_EQ(again["clocks"], p["clocks"]);
}

TEST_F(SeededDashboardTest, PupilsAreListedFilteredSortedAndPaged) {
  Start();
  const std::string admin = Token(server::Role::kAdmin);
  json all = Get("/api/v1/pupils", admin).Json();
  EXPECT_EQ(Surnames(all), (std::vector<std::string>{"Adams", "Baker", "Clark", "Doyle"}));
  EXPECT_EQ(all["total"], 4);
  const json& baker = all["items"][1];
  EXPECT_EQ(baker["upn"], Upn(2));
  EXPECT_EQ(baker["sen_status"], "E");
  EXPECT_EQ(baker["primary_need"], "ASD");
  EXPECT_EQ(baker["nc_year"], "6");
  EXPECT_EQ(baker["ehc_plan"], true);
  EXPECT_EQ(all["items"][2]["sen_status"], "N");

  auto names = [&](const std::string& q) {
    Response r = Get("/api/v1/pupils?" + q, admin);
    EXPECT_EQ(r.status, 200) << q << ": " << r.body;
    return Surnames(r.Json());
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names("school=100000"), (V{"Adams", "Baker", "Clark"}));
  EXPECT_EQ(names("sen_status=K"), (V{"Adams", "Doyle"}));
  EXPECT_EQ(names("primary_need=ASD"), (V{"Baker"}));
  EXPECT_EQ(names("nc_year=6"), (V{"Baker", "Clark"}));
  EXPECT_EQ(names("ehc_plan=true"), (V{"Baker"}));
  EXPECT_EQ(names("ehc_plan=false&sen_status=K&nc_year=5"), (V{"Adams", "Doyle"}));
  EXPECT_EQ(names("q=bak"), (V{"Baker"}));
  EXPECT_EQ(names("q=" + Upn(3)), (V{"Clark"}));
  // Adams and Doyle are at SEN support with no review recorded: their termly review is overdue.
  EXPECT_EQ(names("overdue=true"), (V{"Adams", "Doyle"}));
  EXPECT_EQ(names("overdue=false"), (V{"Baker", "Clark"}));
  EXPECT_EQ(names("sort=-name"), (V{"Doyle", "Clark", "Baker", "Adams"}));
  EXPECT_EQ(names("sort=sen_status"), (V{"Baker", "Adams", "Doyle", "Clark"}));
  EXPECT_EQ(names("sort=-nc_year"), (V{"Baker", "Clark", "Adams", "Doyle"}));

  json first = Get("/api/v1/pupils?limit=3", admin).Json();
  EXPECT_EQ(Surnames(first), (V{"Adams", "Baker", "Clark"}));
  ASSERT_TRUE(first["next_cursor"].is_string());
  json rest =
      Get("/api/v1/pupils?limit=3&cursor=" + first["next_cursor"].get<std::string>(), admin).Json();
  EXPECT_EQ(Surnames(rest), (V{"Doyle"}));
  EXPECT_TRUE(rest["next_cursor"].is_null());

  // A change after the lists were read is in the next answer (nothing stale is served).
  Import({Pupil(5, "100000", "Evans", "R")});
  EXPECT_EQ(names("school=100000"), (V{"Adams", "Baker", "Clark", "Evans"}));
  EXPECT_EQ(Get("/api/v1/register", admin).Json()["schools"][0]["pupils"], 4);

  Response bad = Get("/api/v1/pupils?sen_status=X&ehc_plan=yes&sort=age", admin);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.Json()["errors"][0]["path"], "query:ehc_plan") << bad.body;
  Response bad2 = Get("/api/v1/pupils?sen_status=X&sort=age", admin);
  ASSERT_EQ(bad2.Json()["errors"].size(), 2u) << bad2.body;
  EXPECT_EQ(bad2.Json()["errors"][0]["path"], "query:sen_status");
  EXPECT_EQ(bad2.Json()["errors"][1]["path"], "query:sort");
}

TEST_F(SeededDashboardTest, ASencoLimitedToOneSchoolSeesOnlyItsPupilsAndRegister) {
  Start();
  const std::string senco = Token(server::Role::kSenco, "200000");
  EXPECT_EQ(Surnames(Get("/api/v1/pupils", senco).Json()), std::vector<std::string>{"Doyle"});
  // Asking for another school is refused, not widened.
  EXPECT_EQ(Get("/api/v1/pupils?school=100000", senco).status, 403);
  json reg = Get("/api/v1/register", senco).Json();
  ASSERT_EQ(reg["schools"].size(), 1u) << reg.dump();
  EXPECT_EQ(reg["schools"][0]["school_urn"], "200000");
  EXPECT_EQ(Get("/api/v1/pupils/" + Upn(2) + "/disclosures", senco).status, 404);
  EXPECT_EQ(Get("/api/v1/pupils", Token(server::Role::kAuditor)).status, 403);
}

TEST_F(SeededDashboardTest, RegisterCountsStatusNeedAndYearPerSchoolAndKAndEOverTime) {
  Start();
  const std::string admin = Token(server::Role::kAdmin);
  json reg = Get("/api/v1/register?as_of=2025-03-15&months=4", admin).Json();
  ASSERT_EQ(reg["schools"].size(), 2u) << reg.dump();
  const json& a = reg["schools"][0];
  EXPECT_EQ(a["school_urn"], "100000");
  EXPECT_EQ(a["pupils"], 3);
  EXPECT_EQ(a["totals"], (json{{"N", 1}, {"K", 1}, {"E", 1}}));
  json expected = json::array(
      {{{"sen_status", "E"}, {"primary_need", "ASD"}, {"nc_year", "6"}, {"count", 1}},
       {{"sen_status", "K"}, {"primary_need", "SPLD"}, {"nc_year", "5"}, {"count", 1}},
       {{"sen_status", "N"}, {"primary_need", nullptr}, {"nc_year", "6"}, {"count", 1}}});
  EXPECT_EQ(a["counts"], expected);
  // Baker moved from K to E on 2025-02-10; Doyle was K from 2025-01-06.
  json over = json::array({{{"date", "2024-12-01"}, {"K", 2}, {"E", 0}},
                           {{"date", "2025-01-01"}, {"K", 2}, {"E", 0}},
                           {{"date", "2025-02-01"}, {"K", 3}, {"E", 0}},
                           {{"date", "2025-03-01"}, {"K", 2}, {"E", 1}}});
  EXPECT_EQ(reg["over_time"], over);
  EXPECT_EQ(Get("/api/v1/register?months=99", admin).status, 400);
}

// The register's answer is kept between calls: a new pupil counts at the next call, and a SENCO
// gets her own school's counts even after an admin's whole-LA answer was kept.
TEST_F(SeededDashboardTest, RegisterShowsAChangeAtTheNextCallAndKeepsSchoolLimits) {
  Start();
  const std::string admin = Token(server::Role::kAdmin);
  const std::string q = "/api/v1/register?as_of=2025-03-15&months=4";
  auto pupils = [](const json& reg, const std::string& urn) -> int64_t {
    for (const auto& s : reg["schools"])
      if (s["school_urn"] == urn) return s["pupils"];
    return 0;
  };
  json before = Get(q, admin).Json();
  EXPECT_EQ(Get(q, admin).Json(), before);
  EXPECT_EQ(pupils(before, "200000"), 1) << before.dump();
  const std::string senco = Token(server::Role::kSenco, "200000");
  for (int i = 0; i < 2; ++i) {
    json own = Get(q, senco).Json();
    ASSERT_EQ(own["schools"].size(), 1u) << own.dump();
    EXPECT_EQ(own["schools"][0]["school_urn"], "200000");
  }
  Import({Pupil(5, "200000", "Evans", "4")});
  EXPECT_EQ(pupils(Get(q, admin).Json(), "200000"), 2);
  EXPECT_EQ(pupils(Get(q, senco).Json(), "200000"), 2);
}

TEST_F(DashboardApiTest, DisclosuresListWhatEachLinkWasSentAboutThePupilAndWhen) {
  fs::create_directories(dir_ / "target");
  sync::LinkSpec spec;
  spec.name = "target";
  spec.school_urn = "100000";
  spec.adapter_id = "jsonl-folder";
  spec.schedule = "manual";
  spec.config = {{"folder", (dir_ / "target").string()}};
  spec.settings = {{"kinds", {{"pupil", {{"direction", "write"}}}}}};
  plugins::RuntimeOptions rt;
  rt.mode = plugins::Mode::kInProcess;
  ASSERT_TRUE(sync::AddLink(*store_, spec, rt, SERVER_PLUGIN_DIR, "test").ok());
  // Changes after the link was added are queued for it.
  Import({Pupil(1, "100000", "Adams", "5"), Pupil(2, "100000", "Baker", "6")});
  Start();
  auto run = svc_->scheduler().RunNow("target", sync::RunMode::kSync);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  const std::string admin = Token(server::Role::kAdmin);
  Response r = Get("/api/v1/pupils/" + Upn(1) + "/disclosures", admin);
  ASSERT_EQ(r.status, 200) << r.body;
  json j = r.Json();
  EXPECT_EQ(j["upn"], Upn(1));
  auto queued = store::ListOutbox(*Conn(), {"", 0, "", 0, 100});
  ASSERT_EQ(j["items"].size(), 1u) << j.dump() << " outbox: " << (queued.ok() ? queued->size() : 0);
  const json& d = j["items"][0];
  EXPECT_EQ(d["link"], "target");
  EXPECT_EQ(d["kind"], "pupil");
  EXPECT_TRUE(d["delivered_at"].is_string()) << d.dump();
  std::set<std::string> fields(d["fields"].begin(), d["fields"].end());
  EXPECT_TRUE(fields.count("legal_surname") && fields.count("dob")) << d.dump();
  // The other pupil's deliveries are not this pupil's disclosures.
  const json others = Get("/api/v1/pupils/" + Upn(2) + "/disclosures", admin).Json();
  for (const auto& other : others["items"]) EXPECT_NE(other["record_id"], d["record_id"]);
  EXPECT_EQ(Get("/api/v1/pupils/" + Upn(9) + "/disclosures", admin).status, 404);
  EXPECT_EQ(Get("/api/v1/pupils/nope/disclosures", admin).status, 400);
}

// Adams's request for an EHC needs assessment, received by the LA on 2024-01-08 and never
// decided: the LA's 6-week decision clock falls due on 2024-02-19.
json AdamsReferral() {
  return {{"kind", "referral"},
          {"id", "RF1"},
          {"pupil", {{"id", "p1"}, {"upn", Upn(1)}}},
          {"requester_role", "school"},
          {"request_source", 2},
          {"la", "820"},
          {"la_reference", "EHC-820-2024-00001"},
          {"request_date", "2024-01-05"},
          {"received_date", "2024-01-08"},
          {"status", "received"}};
}

// The state of `clock` for `upn` in a due list answer; "" when it is not there.
std::string ClockState(const json& due, const std::string& upn, const std::string& clock) {
  for (const auto& i : due["items"])
    if (i["upn"] == upn && i["clock"] == clock) return i["state"];
  return "";
}

TEST_F(SeededDashboardTest, DueIsFilteredByOwnerKindStateAndDatesWithTotalsPerState) {
  // By 2024-06-01 the LA's 6-week decision clock is overdue.
  Import({AdamsReferral()});
  Start();
  const std::string admin = Token(server::Role::kAdmin);
  json all = Get("/api/v1/due?as_of=2024-06-01&limit=500", admin).Json();
  ASSERT_TRUE(all.contains("totals")) << all.dump();
  int64_t sum = 0;
  for (const auto& [state, n] : all["totals"].items()) sum += n.get<int64_t>();
  EXPECT_EQ(sum, all["total"].get<int64_t>()) << all.dump();
  json la = Get("/api/v1/due?as_of=2024-06-01&owner=la&kind=statutory", admin).Json();
  ASSERT_GE(la["items"].size(), 1u) << la.dump();
  bool decision = false;
  for (const auto& i : la["items"]) {
    EXPECT_EQ(i["owner"], "la");
    EXPECT_EQ(i["kind"], "statutory");
    EXPECT_EQ(i["upn"], Upn(1));
    decision |= i["clock"] == "ehc_decision_6w" && i["state"] == "overdue";
  }
  EXPECT_TRUE(decision) << la.dump();
  const json school_kind = Get("/api/v1/due?as_of=2024-06-01&kind=school", admin).Json();
  for (const auto& i : school_kind["items"]) EXPECT_EQ(i["kind"], "school") << i.dump();
  json overdue = Get("/api/v1/due?as_of=2024-06-01&owner=la&state=overdue", admin).Json();
  EXPECT_EQ(overdue["totals"], la["totals"]) << "totals count every state the other filters keep";
  for (const auto& i : overdue["items"]) EXPECT_EQ(i["state"], "overdue");
  // The 6-week decision was due on 2024-02-19: a window that ends before it leaves it out.
  json before = Get("/api/v1/due?as_of=2024-06-01&owner=la&to=2024-02-18", admin).Json();
  for (const auto& i : before["items"]) EXPECT_NE(i["clock"], "ehc_decision_6w") << i.dump();
  json window =
      Get("/api/v1/due?as_of=2024-06-01&owner=la&from=2024-02-01&to=2024-02-29", admin).Json();
  ASSERT_EQ(window["items"].size(), 1u) << window.dump();
  EXPECT_EQ(window["items"][0]["clock"], "ehc_decision_6w");
  // Another school's SENCO sees none of it.
  const json elsewhere =
      Get("/api/v1/due?as_of=2024-06-01", Token(server::Role::kSenco, "200000")).Json();
  for (const auto& i : elsewhere["items"]) EXPECT_EQ(i["school_urn"], "200000") << i.dump();
  Response bad = Get("/api/v1/due?owner=parent&kind=x&state=late&from=2024-13-01", admin);
  ASSERT_EQ(bad.status, 400);
  EXPECT_EQ(bad.Json()["errors"].size(), 4u) << bad.body;
}

// The due list's lines are kept between calls (server::DueCache): a change to a record shows at
// the very next call, as if nothing were kept.
TEST_F(SeededDashboardTest, DueListShowsAChangedRecordAtTheNextCall) {
  Start();
  const std::string admin = Token(server::Role::kAdmin);
  const std::string senco = Token(server::Role::kSenco, "100000");
  const std::string q = "/api/v1/due?as_of=2024-06-01&limit=500";
  for (const std::string& token : {admin, senco}) {
    json before = Get(q, token).Json();
    EXPECT_EQ(ClockState(before, Upn(1), "ehc_decision_6w"), "") << before.dump();
    EXPECT_EQ(Get(q, token).Json(), before) << "the same lines again, from the cache";
  }
  Import({AdamsReferral()});
  for (const std::string& token : {admin, senco}) {
    json after = Get(q, token).Json();
    EXPECT_EQ(ClockState(after, Upn(1), "ehc_decision_6w"), "overdue") << after.dump();
  }
}

// Clocks depend on today's date: at midnight a call without ?as_of= is answered for the new day,
// never from the lines kept for the day before.
TEST_F(SeededDashboardTest, DueListMovesOnWithTheDate) {
  Import({AdamsReferral()});
  struct Clock {
    std::mutex mu;
    Date today{2024, 2, 10};
  };
  auto clock = std::make_shared<Clock>();
  server::ServiceOptions o = Options();
  o.today = [clock] {
    std::lock_guard<std::mutex> lock(clock->mu);
    return clock->today;
  };
  Start(o);
  const std::string admin = Token(server::Role::kAdmin);
  json d1 = Get("/api/v1/due?limit=500", admin).Json();
  EXPECT_EQ(d1["as_of"], "2024-02-10");
  EXPECT_EQ(ClockState(d1, Upn(1), "ehc_decision_6w"), "due") << d1.dump();
  EXPECT_EQ(Get("/api/v1/due?limit=500", admin).Json(), d1) << "the same day: the kept lines";
  {
    std::lock_guard<std::mutex> lock(clock->mu);
    clock->today = Date(2024, 2, 20);  // the day after the decision was due
  }
  json d2 = Get("/api/v1/due?limit=500", admin).Json();
  EXPECT_EQ(d2["as_of"], "2024-02-20");
  EXPECT_EQ(ClockState(d2, Upn(1), "ehc_decision_6w"), "overdue") << d2.dump();
  EXPECT_EQ(d2["totals"]["overdue"].get<int64_t>(), d1["totals"]["overdue"].get<int64_t>() + 1)
      << d1["totals"].dump() << " then " << d2["totals"].dump();
}

// A school-limited token sees its own school's lines only, whoever filled the cache before it and
// whatever school it names.
TEST_F(SeededDashboardTest, DueListKeepsSchoolLimitsThroughTheCache) {
  Import({AdamsReferral()});
  Start();
  const std::string admin = Token(server::Role::kAdmin);
  // By mid-2025 Doyle (200000), on SEN support since January, is due a review.
  const std::string q = "/api/v1/due?as_of=2025-06-01&limit=500";
  auto schools = [](const json& due) {
    std::set<std::string> out;
    for (const auto& i : due["items"]) out.insert(i["school_urn"]);
    return out;
  };
  // The whole LA's and each school's lines are kept first, by the admin.
  EXPECT_EQ(schools(Get(q, admin).Json()), (std::set<std::string>{"100000", "200000"}));
  EXPECT_EQ(schools(Get(q + "&school=100000", admin).Json()), std::set<std::string>{"100000"});
  const std::string senco2 = Token(server::Role::kSenco, "200000");
  for (int i = 0; i < 2; ++i) {  // computed, then kept
    json own = Get(q, senco2).Json();
    EXPECT_EQ(schools(own), std::set<std::string>{"200000"}) << own.dump();
    EXPECT_EQ(ClockState(own, Upn(1), "ehc_decision_6w"), "") << own.dump();
    EXPECT_EQ(own["total"], own["items"].size());
  }
  Response other = Get(q + "&school=100000", senco2);
  if (other.status == 200) {
    EXPECT_EQ(schools(other.Json()), std::set<std::string>{"200000"}) << other.body;
  } else {
    EXPECT_EQ(other.status, 403) << other.body;
  }
  json mine = Get(q, Token(server::Role::kSenco, "100000")).Json();
  EXPECT_EQ(schools(mine), std::set<std::string>{"100000"}) << mine.dump();
  EXPECT_EQ(ClockState(mine, Upn(1), "ehc_decision_6w"), "overdue") << mine.dump();
}

}  // namespace
}  // namespace sendsync::server_test
