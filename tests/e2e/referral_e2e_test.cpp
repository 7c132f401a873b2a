// Issue 6 end to end: a request for an EHC needs assessment leaves the hub with its evidence pack
// through `sendsync referral submit` and the la-portal adapter (in its worker), reaches the LA
// portal simulator (sendsync-sim-la-portal on 127.0.0.1) once however the first attempts fail, and
// the LA's decisions come back through `sendsync sync` into the referral record, `pupil show` and
// `sendsync due`. The simulator's calendar plays the LA; it starts on Monday 3 November 2025.
#include <gtest/gtest.h>

#include <regex>
#include <sstream>
#include <string>

#include "e2e_support.h"
#include "ready_pupil.h"

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
                  const std::string& la = "820", const std::string& urn = "100001",
                  const std::string& laestab = "8202001") {
  const json p = {{"id", tag}, {"upn", upn}};
  std::vector<json> lines = testing_support::ReadyPupilRecords(
      {.upn = upn, .tag = tag, .cycles = cycles, .urn = urn, .laestab = laestab});
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
  const std::string ref = held["submission"].value("client_reference", "");
  EXPECT_EQ(ref.rfind("100001-", 0), 0u) << "the school's URN and a random part: " << ref;
  EXPECT_NE(ref, sub["referral_id"]) << "a hub's own id is not unique at the LA";
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
  json shown = Referral(kReady, kReceived);
  EXPECT_EQ(shown["status"], "submitted");
  EXPECT_EQ(shown["delivery"], "delivered") << shown.dump(2);
  EXPECT_EQ(shown["la_id"], la_id);
  EXPECT_EQ(shown["client_reference"], ref);
  ProgramResult shown_text = cli_.Run({"pupil", "show", kReady, "--as-of", kReceived});
  EXPECT_NE(shown_text.out.find("delivered to the LA (its id " + la_id + ")"), std::string::npos)
      << shown_text.Describe();

  Advance(35);
  Sync();
  json r = Referral(kReady, "2025-12-08");
  EXPECT_EQ(r["delivery"], "acknowledged") << r.dump(2);
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

TEST_F(ReferralE2e, PupilShowSaysQueuedWhileTheLaCannotBeReached) {
  HttpReply f = Http(sim_.port(), "POST", "/_sim/faults", R"({"fail_next": 100})");
  ASSERT_EQ(f.status, 200) << f.body << f.error;
  json sub = cli_.RunJson({"referral", "submit", kReady, "--wait", "0"}, 1);
  EXPECT_EQ(sub["outcome"], "pending") << sub.dump(2);
  EXPECT_EQ(sub["attempts"], 1) << "one failed try so far";
  json r = Referral(kReady, kReceived);
  EXPECT_EQ(r["status"], "submitted");
  EXPECT_EQ(r["delivery"], "queued") << r.dump(2);
  ProgramResult text = cli_.Run({"pupil", "show", kReady, "--as-of", kReceived});
  EXPECT_NE(text.out.find("queued for the LA (not delivered yet)"), std::string::npos)
      << text.Describe();
}

TEST_F(ReferralE2e, ResetCursorMakesTheLinkReadItsKindAgainAndIsAudited) {
  ASSERT_EQ(cli_.RunJson({"referral", "submit", kReady})["outcome"], "delivered");
  Sync();
  json before = cli_.RunJson({"link", "show", "la820"});
  ASSERT_TRUE(before["cursors"].contains("referral")) << before.dump(2);
  ProgramResult bad = cli_.Run({"link", "reset-cursor", "la820", "--kind", "referals"});
  EXPECT_EQ(bad.exit_code, 2) << bad.Describe();
  ProgramResult r = cli_.Run({"link", "reset-cursor", "la820", "--kind", "referral"});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.out.find("cursor reset for referral"), std::string::npos) << r.Describe();
  json after = cli_.RunJson({"link", "show", "la820"});
  EXPECT_FALSE(after["cursors"].contains("referral")) << after.dump(2);
  ProgramResult audit = cli_.Run({"audit", "show", "--json"});
  EXPECT_NE(audit.out.find("link.reset_cursor"), std::string::npos) << audit.Describe();
  Sync();  // reads the LA's changes again: nothing new, nothing broken
  EXPECT_EQ(Referral(kReady, kReceived)["status"], "received");
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
  EXPECT_EQ(sub["la"], "820");
  EXPECT_EQ(sub["la_from_link"], true) << "the request named no LA: the command says so";
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

// A second school's hub (its own store, school URN 100002) with its own link to the same LA,
// and the same two pupils' shapes imported in the same order, so its local ids (h1, h2, …) are
// the first hub's.
class SecondHub {
 public:
  // With `settings`, the link is added with them (`link add --settings`); with `records`, those
  // are imported instead of the two pupils.
  SecondHub(const std::string& base_url, const std::string& upn_ready,
            const std::string& upn_not_ready, const json& settings = nullptr,
            const std::string& records = "") {
    cli_.SetEnv("SENDSYNC_CONFIG", (dir_ / "host.json").string());
    cli_.SetEnv("LA820_KEY", kKey);
    WriteText(dir_ / "host.json", R"({"backoff_base_seconds": 1, "backoff_max_seconds": 4})");
    EXPECT_EQ(cli_.Run({"init"}).exit_code, 0);
    WriteText(dir_ / "la.json", json{{"base_url", base_url},
                                     {"la", "820"},
                                     {"school_name", "Hillside Primary School"},
                                     {"auth", {{"type", "api_key"}, {"key", "env:LA820_KEY"}}}}
                                    .dump());
    std::vector<std::string> add_args = {
        "link",   "add",       "--name",    "la820",    "--school",
        "100002", "--adapter", "la-portal", "--config", (dir_ / "la.json").string()};
    if (!settings.is_null()) {
      WriteText(dir_ / "settings.json", settings.dump());
      add_args.push_back("--settings");
      add_args.push_back((dir_ / "settings.json").string());
    }
    ProgramResult add = cli_.Run(add_args);
    EXPECT_EQ(add.exit_code, 0) << add.Describe();
    WriteText(dir_ / "hub.jsonl", !records.empty()
                                      ? records
                                      : Pupil(upn_ready, "P1", 2, "820", "100002", "8202002") +
                                            Pupil(upn_not_ready, "P2", 1, "", "100002", "8202002"));
    ProgramResult imp = cli_.Run({"import-json", (dir_ / "hub.jsonl").string()});
    EXPECT_EQ(imp.exit_code, 0) << imp.Describe();
  }
  const Cli& cli() const { return cli_; }

 private:
  TempDir dir_{"second-hub"};
  Cli cli_{dir_.path()};
};

// The evidence.json the LA holds for referral `id`, parsed.
json HeldEvidence(uint16_t control, const json& held, const std::string& id) {
  const json* data = FindBy(held["documents"], "category", "evidence_pack_data");
  if (!data) return nullptr;
  return json::parse(
      Http(control, "GET",
           "/control/referrals/" + id + "/documents/" + (*data)["id"].get<std::string>())
          .body,
      nullptr, false);
}

TEST_F(ReferralE2e, TwoHubsWithCollidingLocalIdsGiveTheLaTwoReferralsEachWithItsOwnChildsPack) {
  SecondHub other(sim_.base_url(), "J820200220017", "U820200220025");
  json mine = cli_.RunJson({"referral", "submit", kReady});
  json theirs = other.cli().RunJson({"referral", "submit", "J820200220017"});
  ASSERT_EQ(mine["referral_id"], theirs["referral_id"]) << "the two hubs' local ids collide";
  EXPECT_EQ(mine["outcome"], "delivered") << mine.dump(2);
  EXPECT_EQ(theirs["outcome"], "delivered") << theirs.dump(2);
  EXPECT_NE(mine.value("remote_id", ""), theirs.value("remote_id", ""));

  json refs = Control("GET", "/control/referrals")["referrals"];
  ASSERT_EQ(refs.size(), 2u) << refs.dump(2);
  const std::pair<std::string, std::string> expected[] = {{kReady, "100001"},
                                                          {"J820200220017", "100002"}};
  for (const auto& [upn, urn] : expected) {
    const json* r = nullptr;
    for (const json& x : refs)
      if (Control("GET", "/control/referrals/" +
                             x["id"].get<std::string>())["submission"]["pupil"]["upn"] == upn)
        r = &x;
    ASSERT_NE(r, nullptr) << "no referral at the LA for " << upn;
    const std::string id = (*r)["id"];
    json held = Control("GET", "/control/referrals/" + id);
    EXPECT_EQ(held["submission"]["school"]["urn"], urn);
    EXPECT_EQ(held["documents"].size(), 2u) << "one pack, PDF and JSON: " << held.dump(2);
    json evidence = HeldEvidence(control_, held, id);
    ASSERT_TRUE(evidence.is_object()) << held.dump(2);
    EXPECT_EQ(evidence["pupil"]["upn"], upn) << "another child's pack in this child's referral";
    EXPECT_EQ(evidence["school"]["urn"], urn);
  }
}

// A hub id ("h17") or a hub reference ("cycle:h71") in `text`, or "" when there is none.
std::string HubIdIn(const std::string& text) {
  static const std::regex kHubId("(^|[^A-Za-z0-9_])(h[0-9]+)([^A-Za-z0-9_]|$)");
  static const std::regex kHubRef("(cycle|review|provision|referral|sen|pupil):[A-Za-z0-9-]+");
  std::smatch m;
  if (std::regex_search(text, m, kHubId)) return m[2];
  if (std::regex_search(text, m, kHubRef)) return m[0];
  return "";
}

TEST_F(ReferralE2e, NoHubIdReachesTheLaOrTheSenco) {
  // The second pupil has one completed cycle: referral check names what is missing.
  ProgramResult check = cli_.Run({"referral", "check", kNotReady, "--as-of", kReceived});
  EXPECT_EQ(check.exit_code, 3) << check.Describe();
  EXPECT_EQ(HubIdIn(check.out + check.err), "") << check.Describe();
  json sub = cli_.RunJson({"referral", "submit", kNotReady, "--force"});
  ASSERT_EQ(sub["outcome"], "delivered") << sub.dump(2);

  const std::string id = sub["remote_id"];
  json held = Control("GET", "/control/referrals/" + id);
  EXPECT_EQ(HubIdIn(held["submission"].dump()), "") << held["submission"].dump(2);
  ASSERT_EQ(held["documents"].size(), 2u);
  for (const json& d : held["documents"]) {
    const std::string bytes =
        Http(control_, "GET",
             "/control/referrals/" + id + "/documents/" + d["id"].get<std::string>())
            .body;
    std::string readable = bytes;
    if (d["media_type"] == "application/pdf") {
      WriteText(dir_ / "pack.pdf", bytes);
      ProgramResult t =
          RunProgram("/usr/bin/pdftotext", {"-enc", "UTF-8", (dir_ / "pack.pdf").string(), "-"}, {},
                     dir_.path());
      ASSERT_EQ(t.exit_code, 0) << t.Describe();
      readable = t.out;
      EXPECT_NE(readable.find("Brookside Primary School"), std::string::npos) << readable;
    }
    EXPECT_EQ(HubIdIn(readable), "") << d["filename"] << ":\n" << readable;
  }
  // Everything else the LA was sent or asked: the documents' titles and the requests' targets.
  EXPECT_EQ(HubIdIn(held["documents"].dump()), "") << held["documents"].dump(2);
}

// An admin lets the LA link send the reviews' voices (the link does not read or write reviews
// itself: direction "none", only an allow-list). With the family's consent they reach the LA and
// its evidence pack; a request without consent, forced, takes only the default allow-list.
TEST_F(ReferralE2e, ALinkAllowedToSendViewsSendsThemWithTheFamilysConsent) {
  const json settings = {
      {"kinds",
       {{"referral", {{"direction", "both"}}},
        {"ehc_plan", {{"direction", "read"}}},
        {"review",
         {{"direction", "none"},
          {"allow",
           {"cycle_id", "date", "review_kind", "attendees", "parents_met", "progress", "impact",
            "decision", "next_review", "pupil_voice", "parent_voice"}}}}}}};
  std::string records = Pupil("J820200220017", "P1", 2, "820", "100002", "8202002");
  std::string unconsented = Pupil("U820200220025", "P2", 2, "820", "100002", "8202002");
  const std::string given = R"("consent":{"by":"parent","date":"2025-10-17","given":true})";
  ASSERT_NE(unconsented.find(given), std::string::npos) << unconsented;
  unconsented.replace(unconsented.find(given), given.size(), R"("consent":{"given":false})");
  SecondHub hub(sim_.base_url(), "", "", settings, records + unconsented);

  json sent = hub.cli().RunJson({"referral", "submit", "J820200220017"});
  ASSERT_EQ(sent["outcome"], "delivered") << sent.dump(2);
  json held = Control("GET", "/control/referrals/" + sent["remote_id"].get<std::string>());
  const json reviews = held["submission"]["evidence"]["reviews"];
  ASSERT_EQ(reviews.size(), 2u) << held["submission"].dump(2);
  EXPECT_EQ(reviews[0]["pupil_voice"], "Long words are still hard.");
  EXPECT_EQ(reviews[0]["parent_voice"], "Happier about reading, tired after school.");
  json evidence = HeldEvidence(control_, held, sent["remote_id"]);
  ASSERT_TRUE(evidence.is_object());
  EXPECT_EQ(evidence["reviews"][1]["pupil_voice"], "Long words are still hard.");

  json forced = hub.cli().RunJson({"referral", "submit", "U820200220025", "--force"});
  ASSERT_EQ(forced["outcome"], "delivered") << forced.dump(2);
  json other = Control("GET", "/control/referrals/" + forced["remote_id"].get<std::string>());
  for (const json& r : other["submission"]["evidence"]["reviews"]) {
    EXPECT_FALSE(r.contains("pupil_voice")) << "sent without the family's consent";
    EXPECT_FALSE(r.contains("parent_voice")) << "sent without the family's consent";
  }
}

TEST_F(ReferralE2e, ByDefaultTheVoicesInReviewsStayInTheHub) {
  json sub = cli_.RunJson({"referral", "submit", kReady});
  ASSERT_EQ(sub["outcome"], "delivered") << sub.dump(2);
  json held = Control("GET", "/control/referrals/" + sub["remote_id"].get<std::string>());
  for (const json& r : held["submission"]["evidence"]["reviews"])
    EXPECT_FALSE(r.contains("pupil_voice")) << r.dump();
}

}  // namespace
}  // namespace sendsync::e2e

#endif  // SIM_LA_PORTAL_BIN
