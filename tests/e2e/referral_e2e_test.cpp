// Issue 6 end to end: a request for an EHC needs assessment leaves the hub with its evidence pack
// through `sendsync referral submit` and the la-portal adapter (in its worker), reaches the LA
// portal simulator (sendsync-sim-la-portal on 127.0.0.1) once however the first attempts fail, and
// the LA's decisions come back through `sendsync sync` into the referral record, `pupil show` and
// `sendsync due`. The simulator's calendar plays the LA; it starts on Monday 3 November 2025.
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "e2e_support.h"

#ifdef SIM_LA_PORTAL_BIN

namespace sendsync::e2e {
namespace {

const char kKey[] = "la820-e2e-key";
const char kReady[] = "X820200120015";     // two completed, reviewed cycles; consent: ready
const char kNotReady[] = "M820200121008";  // one completed cycle: not ready
const char kReceived[] = "2025-11-03";     // the simulator's today when the request arrives

// One pupil at Brookside (URN 100001) with a draft request. `cycles` completed cycles, each with
// SMART targets, a review with progress and both voices, specialist advice; costed provision;
// consent to share.
std::string Pupil(const std::string& upn, const std::string& tag, int cycles,
                  const std::string& la = "820") {
  const json p = {{"id", tag}, {"upn", upn}};
  std::vector<json> lines;
  lines.push_back({{"kind", "pupil"},
                   {"id", tag},
                   {"upn", upn},
                   {"legal_surname", "Morgan"},
                   {"legal_forename", "Ella"},
                   {"dob", "2017-03-11"},
                   {"sex", "F"},
                   {"nc_year", "4"},
                   {"school_urn", "100001"},
                   {"laestab", "8202001"}});
  lines.push_back({{"kind", "sen"},
                   {"pupil", p},
                   {"provision", "K"},
                   {"provision_start", "2024-09-09"},
                   {"needs", {{{"type", "SPLD"}, {"rank", 1}, {"start", "2024-09-09"}}}}});
  const std::pair<const char*, const char*> spans[] = {{"2024-09-16", "2024-12-13"},
                                                       {"2025-01-06", "2025-03-28"}};
  for (int i = 0; i < cycles; ++i) {
    const std::string n = std::to_string(i + 1);
    const std::string start = spans[i].first, end = spans[i].second;
    lines.push_back(
        {{"kind", "cycle"},
         {"id", tag + "-C" + n},
         {"pupil", p},
         {"start", start},
         {"review_date", end},
         {"status", "completed"},
         {"completed", end},
         {"assessment_summary", "Decoding of unfamiliar words slow; strong spoken vocabulary."},
         {"assessment_sources",
          {{{"role", "specialist"},
            {"name", "Educational psychologist"},
            {"date", start},
            {"summary", "Recommends daily precision teaching."}}}},
         {"outcomes",
          {{{"id", "O1"},
            {"description", "Reads simple texts with growing confidence"},
            {"targets",
             {{{"id", "T1"},
               {"description", "Blend and read CVC words"},
               {"success_criteria", "8 of 10 unseen words read correctly"},
               {"due", end},
               {"progress", "achieved"}}}}}}},
         {"planned_provision", {tag + "-PR1"}}});
    lines.push_back(
        {{"kind", "review"},
         {"id", tag + "-R" + n},
         {"pupil", p},
         {"date", end},
         {"review_kind", "sen_support"},
         {"cycle_id", tag + "-C" + n},
         {"attendees", {{{"role", "senco"}}, {{"role", "parent"}}, {{"role", "pupil"}}}},
         {"pupil_voice", "Long words are still hard."},
         {"parent_voice", "Happier about reading, tired after school."},
         {"progress", {{{"target_id", "T1"}, {"progress", "achieved"}}}},
         {"impact", "Decoding of short words secure."},
         {"decision", "adjust"},
         {"next_review", "2025-06-27"}});
  }
  lines.push_back({{"kind", "provision"},
                   {"id", tag + "-PR1"},
                   {"pupil", p},
                   {"area", "CL"},
                   {"intervention", "Precision teaching"},
                   {"wave", 3},
                   {"group_size", 1},
                   {"sessions_per_week", 5},
                   {"minutes_per_session", 10},
                   {"staff_role", "TA"},
                   {"start", "2024-09-23"},
                   {"hourly_rate", 18.5}});
  lines.push_back({{"kind", "referral"},
                   {"id", tag + "-RF1"},
                   {"pupil", p},
                   {"requester_role", "school"},
                   {"request_source", 2},
                   {"requester_name", "Mrs D. Hale (SENCO)"},

                   {"request_date", kReceived},
                   {"consent", {{"given", true}, {"date", "2025-10-17"}, {"by", "parent"}}},
                   {"status", "draft"}});
  if (!la.empty()) lines.back()["la"] = la;
  std::string out;
  for (const json& l : lines) out += l.dump() + "\n";
  return out;
}

const json* FindBy(const json& items, const std::string& key, const std::string& value) {
  if (!items.is_array()) return nullptr;
  for (const json& i : items)
    if (i.value(key, "") == value) return &i;
  return nullptr;
}

// A hub with both pupils, a link to the LA portal simulator, and the simulator.
class ReferralE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(sim_.Start(SIM_LA_PORTAL_BIN,
                           {"--today", kReceived, "--la", "820", "--api-key", kKey,
                            "--control-port-file", (dir_ / "la.control").string()},
                           dir_.path(), "la", error))
        << error;
    control_ = static_cast<uint16_t>(std::stoi(ReadText(dir_ / "la.control")));
    // Retries a second apart (doubling), so a few failed attempts take seconds, not minutes.
    WriteText(dir_ / "host.json", R"({"backoff_base_seconds": 1, "backoff_max_seconds": 4})");
    cli_.SetEnv("SENDSYNC_CONFIG", (dir_ / "host.json").string());
    cli_.SetEnv("LA820_KEY", kKey);
    ASSERT_EQ(cli_.Run({"init"}).exit_code, 0);
    WriteText(dir_ / "la.json", json{{"base_url", sim_.base_url()},
                                     {"la", "820"},
                                     {"school_name", "Brookside Primary School"},
                                     {"auth", {{"type", "api_key"}, {"key", "env:LA820_KEY"}}}}
                                    .dump());
    ProgramResult add =
        cli_.Run({"link", "add", "--name", "la820", "--school", "100001", "--adapter", "la-portal",
                  "--config", (dir_ / "la.json").string()});
    ASSERT_EQ(add.exit_code, 0) << add.Describe();
    // The link exists before the drafts arrive, so the fan-out sees them (and must hold them).
    WriteText(dir_ / "hub.jsonl", Pupil(kReady, "P1", 2) + Pupil(kNotReady, "P2", 1, ""));
    ProgramResult imp = cli_.Run({"import-json", (dir_ / "hub.jsonl").string()});
    ASSERT_EQ(imp.exit_code, 0) << imp.Describe();
  }

  json Control(const std::string& method, const std::string& path, const json& body = nullptr) {
    HttpReply r = Http(control_, method, path, body.is_null() ? "" : body.dump());
    EXPECT_EQ(r.status / 100, 2) << method << " " << path << ": " << r.status << " " << r.body
                                 << r.error;
    return r.Json();
  }
  void Script(const std::string& scenario) {
    Control("POST", "/control/scripts", {{"match", json::object()}, {"scenario", scenario}});
  }
  void Advance(int days) { Control("POST", "/control/calendar", {{"advance_days", days}}); }
  json Counters() { return Control("GET", "/control/counters"); }

  void Sync() {
    ProgramResult r = cli_.Run({"sync", "--link", "la820"});
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
  }
  json Referral(const std::string& upn, const std::string& as_of) {
    json s = cli_.RunJson({"pupil", "show", upn, "--as-of", as_of});
    EXPECT_EQ(s["referrals"].size(), 1u) << s.dump(2);
    return s["referrals"].empty() ? json::object() : s["referrals"][0];
  }
  json Clocks(const std::string& upn, const std::string& as_of) {
    return cli_.RunJson({"pupil", "show", upn, "--as-of", as_of})["clocks"];
  }
  json Due(const std::string& as_of) { return cli_.RunJson({"due", "--as-of", as_of})["items"]; }

  TempDir dir_;
  Cli cli_{dir_.path()};
  SimProcess sim_;
  uint16_t control_ = 0;
};

TEST_F(ReferralE2e, DraftRequestsAreNotSentBySync) {
  ProgramResult r = cli_.Run({"sync", "--link", "la820", "--push-only"});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(Counters()["submit_requests"], 0);
  EXPECT_EQ(Referral(kReady, kReceived)["status"], "draft");
}

TEST_F(ReferralE2e, SubmitReachesTheLaOnceThroughFaultsAndTheDecisionComesBackWithItsClocks) {
  Script("on_time");  // the LA decides to assess on day 35
  // The first two attempts get 503; the third is taken by the LA but its answer is lost.
  HttpReply f = Http(sim_.port(), "POST", "/_sim/faults",
                     R"({"fail_next": 2, "drop_after_handling_next": 1})");
  ASSERT_EQ(f.status, 200) << f.body << f.error;

  json sub = cli_.RunJson({"referral", "submit", kReady});
  EXPECT_EQ(sub["outcome"], "delivered") << sub.dump(2);
  EXPECT_EQ(sub["forced"], false);
  EXPECT_GE(sub.value("attempts", 0), 2) << "the two 503s were retried by the host";
  const std::string la_id = sub.value("remote_id", "");
  ASSERT_FALSE(la_id.empty());

  json stats = Http(sim_.port(), "GET", "/_sim/stats").Json();
  EXPECT_EQ(stats["injected_errors"], 2) << stats.dump();
  EXPECT_EQ(stats["dropped_after"], 1) << stats.dump();
  json counters = Counters();
  EXPECT_EQ(counters["referrals"], 1) << counters.dump();
  EXPECT_EQ(counters["documents"], 2) << "one evidence pack: PDF and JSON";
  json held = Control("GET", "/control/referrals/" + la_id);
  EXPECT_EQ(held["submission"]["pupil"]["upn"], kReady);
  EXPECT_EQ(held["submission"]["client_reference"], sub["referral_id"]);
  EXPECT_EQ(held["submission"]["evidence"]["cycles"].size(), 2u);
  EXPECT_EQ(held["submission"]["readiness"]["ready"], true);
  ASSERT_EQ(held["documents"].size(), 2u) << held.dump(2);
  const json* pdf = FindBy(held["documents"], "category", "evidence_pack");
  ASSERT_NE(pdf, nullptr);
  HttpReply bytes =
      Http(control_, "GET",
           "/control/referrals/" + la_id + "/documents/" + (*pdf)["id"].get<std::string>());
  EXPECT_EQ(bytes.body.rfind("%PDF-", 0), 0u) << "the evidence pack is a PDF";
  EXPECT_NE(FindBy(held["documents"], "category", "evidence_pack_data"), nullptr);
  EXPECT_EQ(Referral(kReady, kReceived)["status"], "submitted");

  Advance(35);
  Sync();
  json r = Referral(kReady, "2025-12-08");
  EXPECT_EQ(r["status"], "assessing") << r.dump(2);
  EXPECT_EQ(r["received_date"], kReceived);
  EXPECT_EQ(r["decision"], "assess");
  EXPECT_EQ(r["decision_date"], "2025-12-08");  // day 35
  EXPECT_EQ(r["la_reference"].get<std::string>().rfind("EHC-820-", 0), 0u) << r.dump(2);
  json clocks = Clocks(kReady, "2025-12-08");
  const json* decision = FindBy(clocks, "clock", "ehc_decision_6w");
  ASSERT_NE(decision, nullptr) << clocks.dump(2);
  EXPECT_EQ((*decision)["state"], "met");
  const json* plan = FindBy(clocks, "clock", "ehc_final_plan_20w");
  ASSERT_NE(plan, nullptr) << clocks.dump(2);
  EXPECT_EQ((*plan)["due"], "2026-03-23");  // 20 weeks from 3 November 2025
  EXPECT_EQ((*plan)["state"], "upcoming");

  json due = Due("2025-12-08");
  const json* listed = FindBy(due, "clock", "ehc_final_plan_20w");
  ASSERT_NE(listed, nullptr) << due.dump(2);
  EXPECT_EQ((*listed)["upn"], kReady);
  EXPECT_EQ((*listed)["due"], "2026-03-23");
  EXPECT_EQ((*listed)["owner"], "la");
  ProgramResult text = cli_.Run({"due", "--as-of", "2025-12-08"});
  EXPECT_NE(text.out.find("Final EHC plan issued (20 weeks)"), std::string::npos)
      << text.Describe();

  json v = Control("GET", "/control/violations");
  EXPECT_TRUE(v["requests"].empty()) << v.dump(2);
  EXPECT_TRUE(v["responses"].empty()) << v.dump(2);
}

TEST_F(ReferralE2e, NotReadyPupilIsRefusedNamingWhatIsMissing) {
  ProgramResult r = cli_.Run({"referral", "submit", kNotReady});
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_NE(r.err.find("not ready"), std::string::npos) << r.Describe();
  EXPECT_NE(r.err.find("Needs 2 completed cycles"), std::string::npos) << r.Describe();
  EXPECT_EQ(Counters()["submit_requests"], 0);
  EXPECT_EQ(Referral(kNotReady, kReceived)["status"], "draft") << "nothing changed";
}

TEST_F(ReferralE2e, NotReadyPupilIsSentWhenForcedAndTheLaSeesItWasForced) {
  json sub = cli_.RunJson({"referral", "submit", kNotReady, "--force"});
  EXPECT_EQ(sub["outcome"], "delivered") << sub.dump(2);
  EXPECT_EQ(sub["forced"], true);
  json held = Control("GET", "/control/referrals/" + sub.value("remote_id", ""));
  EXPECT_EQ(held["submission"]["readiness"]["ready"], false);
  EXPECT_EQ(held["submission"]["readiness"]["forced"], true);
  json r = Referral(kNotReady, kReceived);
  EXPECT_EQ(r["status"], "submitted");
  EXPECT_EQ(r["la"], "820") << "the request records the LA it went to";
}

// Section 36 of the Children and Families Act 2014: the parent may ask for the assessment
// without SEN support first, so their own request is not held back by the checklist.
TEST_F(ReferralE2e, AParentsOwnRequestIsSentUnforcedThoughNotReady) {
  std::istringstream lines(Pupil(kNotReady, "P2", 1, ""));
  std::string line, referral;
  while (std::getline(lines, line)) {
    json j = json::parse(line, nullptr, false);
    if (j.is_object() && j.value("kind", "") == "referral") {
      j["requester_role"] = "parent";
      j["request_source"] = 1;
      referral = j.dump() + "\n";
    }
  }
  ASSERT_FALSE(referral.empty());
  WriteText(dir_ / "parent.jsonl", referral);
  ASSERT_EQ(cli_.Run({"import-json", (dir_ / "parent.jsonl").string()}).exit_code, 0);
  json check = cli_.RunJson({"referral", "check", kNotReady}, 0);
  EXPECT_EQ(check["ready"], false);
  EXPECT_EQ(check["gate"], false);
  json sub = cli_.RunJson({"referral", "submit", kNotReady});
  EXPECT_EQ(sub["outcome"], "delivered") << sub.dump(2);
  EXPECT_EQ(sub["forced"], false);
  json held = Control("GET", "/control/referrals/" + sub.value("remote_id", ""));
  EXPECT_EQ(held["submission"]["readiness"]["ready"], false);
  EXPECT_EQ(held["submission"]["readiness"]["forced"], false);
}

TEST_F(ReferralE2e, RequestForAnotherLaIsRefusedBeforeAnythingChanges) {
  WriteText(dir_ / "other.jsonl", Pupil("C820200122003", "P3", 2, "821"));
  ASSERT_EQ(cli_.Run({"import-json", (dir_ / "other.jsonl").string()}).exit_code, 0);
  ProgramResult r = cli_.Run({"referral", "submit", "C820200122003"});
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_NE(r.err.find("is for LA 821 but link la820 submits to LA 820"), std::string::npos)
      << r.Describe();
  EXPECT_EQ(Referral("C820200122003", kReceived)["status"], "draft");
  EXPECT_EQ(Counters()["submit_requests"], 0);
}

TEST_F(ReferralE2e, ARequestIsQueuedOnlyForItsSchoolsLinkToItsLa) {
  // The same school's link to another LA, and another school's link to this LA: neither may be
  // given the request (nor may any link be given another school's pupils).
  auto add = [&](const std::string& name, const std::string& school, const std::string& la) {
    WriteText(dir_ / (name + ".json"),
              json{{"base_url", sim_.base_url()},
                   {"la", la},
                   {"school_name", "Elsewhere"},
                   {"auth", {{"type", "api_key"}, {"key", "env:LA820_KEY"}}}}
                  .dump());
    ProgramResult r = cli_.Run({"link", "add", "--name", name, "--school", school, "--adapter",
                                "la-portal", "--config", (dir_ / (name + ".json")).string()});
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
  };
  add("la821", "100001", "821");
  add("other-school", "100002", "820");
  json sub = cli_.RunJson({"referral", "submit", kReady, "--link", "la820"});
  EXPECT_EQ(sub["outcome"], "delivered") << sub.dump(2);
  for (const char* other : {"la821", "other-school"})
    EXPECT_TRUE(cli_.RunJson({"outbox", "list", "--link", other})["outbox"].empty())
        << other << " was given a change it must not have";
  EXPECT_EQ(Counters()["referrals"], 1);
}

TEST_F(ReferralE2e, SubmitAgainOnceDeliveredIsRefused) {
  ASSERT_EQ(cli_.RunJson({"referral", "submit", kReady})["outcome"], "delivered");
  ProgramResult again = cli_.Run({"referral", "submit", kReady});
  EXPECT_EQ(again.exit_code, 1) << again.Describe();
  EXPECT_NE(again.err.find("already delivered"), std::string::npos) << again.Describe();
  EXPECT_EQ(Counters()["referrals"], 1);
}

TEST_F(ReferralE2e, LateLaDecisionRaisesTheAlert) {
  Script("late_decision");  // the LA decides on day 50; the limit is day 42
  ASSERT_EQ(cli_.RunJson({"referral", "submit", kReady})["outcome"], "delivered");
  Advance(45);
  Sync();
  json due = Due("2025-12-18");  // day 45
  const json* late = FindBy(due, "clock", "ehc_decision_6w");
  ASSERT_NE(late, nullptr) << due.dump(2);
  EXPECT_EQ((*late)["state"], "overdue");
  EXPECT_EQ((*late)["owner"], "la");
  EXPECT_EQ((*late)["due"], "2025-12-15");
  Advance(5);
  Sync();
  json clocks = Clocks(kReady, "2025-12-23");
  const json* decided = FindBy(clocks, "clock", "ehc_decision_6w");
  ASSERT_NE(decided, nullptr);
  EXPECT_EQ((*decided)["state"], "met_late");
  json after = Due("2025-12-23");
  EXPECT_EQ(FindBy(after, "clock", "ehc_decision_6w"), nullptr) << "met (late): not listed";
}

TEST_F(ReferralE2e, MoreInformationRequestedIsOwedByTheSchoolInTheDueList) {
  Script("more_information");  // day 14: the LA asks for more; 14 days to respond
  ASSERT_EQ(cli_.RunJson({"referral", "submit", kReady})["outcome"], "delivered");
  Advance(14);
  Sync();
  EXPECT_EQ(Referral(kReady, "2025-11-17")["status"], "more_info_requested");
  json due = Due("2025-11-17");
  const json* owed = FindBy(due, "clock", "la_information_requested");
  ASSERT_NE(owed, nullptr);
  EXPECT_EQ((*owed)["owner"], "school");
  EXPECT_EQ((*owed)["due"], "2025-12-01");
  EXPECT_EQ((*owed)["state"], "due");
}

}  // namespace
}  // namespace sendsync::e2e

#endif  // SIM_LA_PORTAL_BIN
