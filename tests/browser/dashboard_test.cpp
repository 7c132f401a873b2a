// The dashboard in a real browser. One world for the whole binary (starting chromium is the slow
// part): a store seeded through the `sendsync` CLI (see World::Seed: a conflict, quarantined
// records, a match, a dead letter, an overdue statutory clock, a refused plugin file), tokens made
// with `sendsync token create`, `sendsync serve` on an ephemeral loopback port, and headless
// chromium driven through chromedriver. What the page does is checked through the API.
// Screenshots go to <build>/test-artifacts/browser/.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "seeded_world.h"

namespace sendsync::browser {
namespace {

class Dashboard : public ::testing::Test {
 protected:
  void SetUp() override {
    w_ = TheWorld();
    ASSERT_TRUE(w_->broken.empty()) << w_->broken;
    // Each test starts signed out on a freshly loaded page (a reload, since a change of #fragment
    // alone would keep the page and what it was doing).
    ASSERT_EQ(w_->browser.Navigate(w_->base + "/#overview"), "");
    json ignored;
    ASSERT_EQ(w_->browser.Execute("sessionStorage.clear();", ignored), "");
    ASSERT_EQ(w_->browser.Refresh(), "");
  }

  // Types the token into the sign-in form and submits it with the Enter key (keyboard use).
  void SignIn(const std::string& token) {
    ASSERT_EQ(w_->browser.TypeCss("#token", token + "\xee\x80\x87"), "");  // U+E007: Enter
  }

  // Saves a screenshot as a test artefact and prints where it went.
  void Shot(const std::string& name) {
    fs::create_directories(ARTIFACT_DIR);
    fs::path png = fs::path(ARTIFACT_DIR) / (name + ".png");
    ASSERT_EQ(w_->browser.Screenshot(png), "");
    std::cout << "screenshot: " << png.string() << std::endl;
  }

  // Signs in as the admin ("admin") or as a SENCO of the seeded school named `senco_name`, and
  // opens the SEN register from the navigation.
  void OpenRegisterAs(const std::string& who, const std::string& senco_name) {
    const std::string name = who == "admin" ? "browser-admin" : senco_name;
    const std::string token = who == "admin" ? w_->admin_token : w_->Token("senco", name, kSchool);
    ASSERT_FALSE(token.empty()) << w_->error;
    SignIn(token);
    ASSERT_EQ(Seen("#view .meta", "Signed in as " + name), "");
    ASSERT_EQ(w_->browser.ClickCss("#nav a[href='#register']"), "");
  }

  std::string Seen(const std::string& css, const std::string& needle) {
    std::string seen;
    return w_->browser.WaitForText(css, needle, seen);
  }

  // Runs axe-core (npm, pinned in tests/browser/axe/package-lock.json, installed in the build tree)
  // on the page as it is now: a failure for each serious or critical violation; lesser findings
  // are printed for people to look at.
  void ExpectAxeClean(const std::string& name) {
    std::ifstream in(AXE_JS);
    ASSERT_TRUE(in) << "axe-core is missing at " << AXE_JS
                    << ": build the browser_axe target (npm ci in tests/browser/axe)";
    const std::string axe((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string run_axe = R"(
      window.__axe = null;
      axe.run(document, { resultTypes: ['violations'] }).then(
        (r) => { window.__axe = r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
          nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) })); },
        (e) => { window.__axe = { error: String(e) }; });
      return true;)";
    json has, ignored;
    ASSERT_EQ(w_->browser.Execute("return typeof axe;", has), "");
    if (has != "object") {
      ASSERT_EQ(w_->browser.Execute(axe + "\nreturn true;", ignored), "");
    }
    ASSERT_EQ(w_->browser.Execute(run_axe, ignored), "");
    json found;
    for (int i = 0; i < 300 && (found.is_null() || found.empty()); ++i) {
      ASSERT_EQ(w_->browser.Execute("return window.__axe;", found), "");
      if (found.is_null())
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      else
        break;
    }
    ASSERT_TRUE(found.is_array()) << "axe did not finish: " << found.dump();
    for (const json& v : found) {
      const std::string impact = v.value("impact", "");
      if (impact == "serious" || impact == "critical")
        ADD_FAILURE() << name << ": " << impact << " " << v.value("id", "") << " — "
                      << v.value("help", "") << " at " << v["nodes"].dump();
      else
        std::cout << "axe " << name << ": " << impact << " " << v.value("id", "") << " — "
                  << v.value("help", "") << std::endl;
    }
  }

  World* w_ = nullptr;
};

TEST_F(Dashboard, SignIn_WrongTokenStaysOnSignInWithAClearMessage) {
  SignIn("not-a-real-token");
  EXPECT_EQ(Seen("#login-error", "not accepted"), "");
  size_t nav = 0;
  ASSERT_EQ(w_->browser.Count("#nav:not([hidden])", nav), "");
  EXPECT_EQ(nav, 0u) << "nothing but the sign-in form is shown";
  Shot("sign-in-refused");
}

TEST_F(Dashboard, SignIn_TokenIsKeptInSessionStorageAndNeverInTheUrl) {
  SignIn(w_->admin_token);
  ASSERT_EQ(Seen("#view h1", "Overview"), "");
  std::string url;
  ASSERT_EQ(w_->browser.CurrentUrl(url), "");
  EXPECT_EQ(url.find(w_->admin_token), std::string::npos) << url;
  json stored;
  ASSERT_EQ(w_->browser.Execute("return sessionStorage.getItem('sendsync.token');", stored), "");
  EXPECT_EQ(stored, w_->admin_token);
  json local;
  ASSERT_EQ(w_->browser.Execute("return localStorage.length + document.cookie.length;", local), "");
  EXPECT_EQ(local, 0) << "the token is kept nowhere that outlives the tab";
}

TEST_F(Dashboard, Overview_ShowsEachLinkOfTheSchoolWithItsLastRun) {
  SignIn(w_->admin_token);
  ASSERT_EQ(Seen("#view", "School " + std::string(kSchool)), "");
  std::string text;
  ASSERT_EQ(w_->browser.WaitForText("#view", "tool", text), "");
  EXPECT_NE(text.find("mis"), std::string::npos) << text;
  EXPECT_NE(text.find("needs person"), std::string::npos) << "the last run's state: " << text;
  Shot("overview");
}

TEST_F(Dashboard, Overview_RunNowStartsARunOfTheLink) {
  ApiReply before = w_->Api("GET", "/runs?link=mis", w_->admin_token);
  ASSERT_EQ(before.status, 200) << before.error << before.body.dump();
  const size_t runs = before.body["items"].size();
  SignIn(w_->admin_token);
  ASSERT_EQ(w_->browser.ClickCss("button[id='run-link-mis']"), "");
  EXPECT_EQ(Seen("#announce", "Run of mis started"), "");
  // The run happens in the service's scheduler: wait until it is listed and has finished, so
  // that it is over before the next test.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  json latest;
  size_t now = runs;
  while (std::chrono::steady_clock::now() < deadline) {
    ApiReply after = w_->Api("GET", "/runs?link=mis", w_->admin_token);
    ASSERT_EQ(after.status, 200) << after.error << after.body.dump();
    now = after.body["items"].size();
    if (now > runs) latest = after.body["items"][0];
    if (now > runs && latest.value("status", "") != "running") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(now, runs + 1);
  EXPECT_EQ(latest.value("status", ""), "ok") << latest.dump();
}

TEST_F(Dashboard, RunDetail_OpensFromTheOverviewWithWhatTheRunDid) {
  ApiReply link = w_->Api("GET", "/links/tool", w_->admin_token);
  ASSERT_EQ(link.status, 200) << link.error << link.body.dump();
  const std::string id = std::to_string(link.body["last_run"]["id"].get<int64_t>());
  SignIn(w_->admin_token);
  ASSERT_EQ(w_->browser.ClickCss("#view a[href='#run/" + id + "']"), "");
  ASSERT_EQ(Seen("#view h2", "Run " + id + " of tool"), "");
  std::string text;
  ASSERT_EQ(w_->browser.WaitForText("#view", "quarantined", text), "");
  EXPECT_NE(text.find("needs person"), std::string::npos) << text;
  EXPECT_NE(text.find("conflicts"), std::string::npos) << text;
  Shot("run");
}

TEST_F(Dashboard, Conflicts_TakingTheirsInThePageResolvesItInTheApi) {
  SignIn(w_->admin_token);
  ASSERT_EQ(Seen("#view h1", "Overview"), "");
  ASSERT_EQ(w_->browser.ClickCss("#nav a[href='#conflicts']"), "");
  // Base, ours and theirs side by side.
  ASSERT_EQ(Seen(".conflict .side-base", "Smith"), "");
  ASSERT_EQ(Seen(".conflict .side-ours", "Jones"), "");
  ASSERT_EQ(Seen(".conflict .side-theirs", "Brown"), "");
  // In words: whose record, the field's name as people say it, each side named by its system,
  // and a link to the pupil's page.
  EXPECT_EQ(Seen(".conflict h2", "Sam Jones's details: legal surname"), "");
  EXPECT_EQ(Seen(".conflict .side-theirs h3", "tool (jsonl-folder) says"), "");
  EXPECT_EQ(Seen(".conflict .side-ours h3", "sendsync (the hub) holds"), "");
  EXPECT_EQ(Seen(".conflict .side-base h3", "Last agreed by both"), "");
  size_t linked = 0;
  ASSERT_EQ(w_->browser.Count(".conflict a[href='#pupil/" + Upn(1) + "']", linked), "");
  EXPECT_EQ(linked, 1u);
  Shot("conflict-open");
  ASSERT_EQ(w_->browser.ClickCss(".conflict button.take-theirs"), "");
  EXPECT_EQ(Seen("#announce", "resolved"), "");
  EXPECT_EQ(Seen("#view", "No conflicts"), "");
  Shot("conflict-resolved");

  // The service agrees: nothing open, the one conflict resolved by this token taking theirs,
  // and the hub now holds the link's value.
  ApiReply open = w_->Api("GET", "/conflicts?status=open", w_->admin_token);
  ASSERT_EQ(open.status, 200) << open.error << open.body.dump();
  EXPECT_TRUE(open.body["items"].empty()) << open.body.dump();
  ApiReply all = w_->Api("GET", "/conflicts?status=all", w_->admin_token);
  ASSERT_EQ(all.status, 200) << all.error << all.body.dump();
  ASSERT_EQ(all.body["items"].size(), 1u) << all.body.dump();
  const json& c = all.body["items"][0];
  EXPECT_EQ(c["field"], "legal_surname");
  EXPECT_EQ(c["status"], "resolved");
  EXPECT_EQ(c["resolved_by"], "token:browser-admin");
  ApiReply pupil = w_->Api("GET", "/pupils/" + Upn(1), w_->admin_token);
  ASSERT_EQ(pupil.status, 200) << pupil.error << pupil.body.dump();
  EXPECT_EQ(pupil.body["pupil"]["legal_surname"], "Brown");
}

TEST_F(Dashboard, Matches_DiscardingTheLastItemLeavesAQueueThatSaysNothingNeedsYou) {
  SignIn(w_->admin_token);
  ASSERT_EQ(Seen("#view h1", "Overview"), "");
  ASSERT_EQ(w_->browser.ClickCss("#nav a[href='#matches']"), "");
  ASSERT_EQ(Seen(".match", "date of birth"), "") << "why it could not be matched";
  EXPECT_EQ(Seen(".match", Upn(5)), "");
  Shot("matches-open");
  ASSERT_EQ(w_->browser.ClickCss(".match button.match-discard"), "");
  EXPECT_EQ(Seen("#announce", "discarded"), "");
  EXPECT_EQ(Seen("#view .empty", "nothing needs you"), "");
  Shot("matches-empty");
  ApiReply open = w_->Api("GET", "/matches?status=open", w_->admin_token);
  ASSERT_EQ(open.status, 200) << open.error << open.body.dump();
  EXPECT_TRUE(open.body["items"].empty()) << open.body.dump();
}

TEST_F(Dashboard, Quarantine_ShowsTheRawPayloadAsTextNeverAsMarkup) {
  SignIn(w_->admin_token);
  ASSERT_EQ(Seen("#view h1", "Overview"), "");
  ASSERT_EQ(w_->browser.ClickCss("#nav a[href='#quarantine']"), "");
  const std::string card =
      "article[aria-labelledby='q-" + std::to_string(w_->QuarantineId("T2")) + "']";
  size_t open = 1;
  ASSERT_EQ(Seen(card + " details.payload summary", "Payload as received"), "");
  ASSERT_EQ(w_->browser.Count(card + " details.payload[open]", open), "");
  EXPECT_EQ(open, 0u) << "the raw payload is folded away until asked for";
  ASSERT_EQ(w_->browser.ClickCss(card + " details.payload summary"), "");
  ASSERT_EQ(Seen(card + " pre.raw", "<img src=x"), "") << "the payload as received";
  EXPECT_EQ(Seen(card + " .reasons", "dob"), "") << "and why it was held";
  size_t images = 1;
  ASSERT_EQ(w_->browser.Count("#view img", images), "");
  EXPECT_EQ(images, 0u) << "data became markup";
  json pwned;
  ASSERT_EQ(w_->browser.Execute("return window.pwned === undefined;", pwned), "");
  EXPECT_EQ(pwned, true);
  Shot("quarantine");
}

TEST_F(Dashboard, Quarantine_DiscardNeedsAReasonAndIsRecorded) {
  const int64_t id = w_->QuarantineId("T3");
  ASSERT_NE(id, 0);
  const std::string card = "article[aria-labelledby='q-" + std::to_string(id) + "']";
  SignIn(w_->admin_token);
  ASSERT_EQ(Seen("#view h1", "Overview"), "");
  ASSERT_EQ(w_->browser.ClickCss("#nav a[href='#quarantine']"), "");
  ASSERT_EQ(w_->browser.ClickCss(card + " button.discard"), "");
  EXPECT_EQ(Seen("#view .problem", "reason"), "") << "refused without a reason, saying so";
  ASSERT_EQ(w_->browser.TypeCss(card + " input[type=text]", "Duplicate of a corrected record"), "");
  ASSERT_EQ(w_->browser.ClickCss(card + " button.discard"), "");
  EXPECT_EQ(Seen("#announce", "discarded"), "");
  ApiReply q = w_->Api("GET", "/quarantine/" + std::to_string(id), w_->admin_token);
  ASSERT_EQ(q.status, 200) << q.error << q.body.dump();
  EXPECT_EQ(q.body["status"], "discarded");
}

// Grouped by link and reason, filtered in the address, and a whole group discarded at once with
// one reason through the bulk API (each record audited).
TEST_F(Dashboard, Quarantine_GroupedByLinkAndReasonWithABulkDiscard) {
  const int64_t o8 = w_->QuarantineId("O8"), o9 = w_->QuarantineId("O9");
  ASSERT_NE(o8, 0);
  ASSERT_NE(o9, 0);
  SignIn(w_->admin_token);
  ASSERT_EQ(Seen("#view h1", "Overview"), "");
  ASSERT_EQ(w_->browser.ClickCss("#nav a[href='#quarantine']"), "");
  ASSERT_EQ(Seen("#view form.filters", "Reason"), "");
  json ignored;
  ASSERT_EQ(w_->browser.Execute("document.getElementById('quarantine-link').value = 'office';"
                                "document.querySelector('form.filters button').click();",
                                ignored),
            "");
  std::string heading;
  ASSERT_EQ(w_->browser.WaitForText("#view section.quarantine-group h2", "(2)", heading), "");
  EXPECT_NE(heading.find("From office: "), std::string::npos) << heading;
  size_t groups = 0, open = 1;
  ASSERT_EQ(w_->browser.Count("#view section.quarantine-group", groups), "");
  EXPECT_EQ(groups, 1u) << "only the office's records, in one group";
  ASSERT_EQ(w_->browser.Count("#view details.payload[open]", open), "");
  EXPECT_EQ(open, 0u);
  json hash;
  ASSERT_EQ(w_->browser.Execute("return location.hash;", hash), "");
  EXPECT_EQ(hash, "#quarantine/link=office");
  Shot("quarantine-grouped");
  ASSERT_EQ(w_->browser.ClickCss("#view input.pick-group"), "");
  ASSERT_EQ(w_->browser.ClickCss("#view button.bulk-discard"), "");
  EXPECT_EQ(Seen("#view .problem", "reason"), "") << "refused without a reason, saying so";
  ASSERT_EQ(w_->browser.TypeCss("#bulk-reason", "Test pupils sent by mistake"), "");
  ASSERT_EQ(w_->browser.ClickCss("#view button.bulk-discard"), "");
  EXPECT_EQ(Seen("#announce", "Discarded 2 of 2 records"), "");
  for (int64_t id : {o8, o9}) {
    ApiReply q = w_->Api("GET", "/quarantine/" + std::to_string(id), w_->admin_token);
    ASSERT_EQ(q.status, 200) << q.error << q.body.dump();
    EXPECT_EQ(q.body["status"], "discarded");
  }
  int by_token = 0;
  std::string cursor;
  for (int page = 0; page < 50; ++page) {
    ApiReply audit = w_->Api(
        "GET", "/audit?limit=500" + (cursor.empty() ? "" : "&cursor=" + cursor), w_->admin_token);
    ASSERT_EQ(audit.status, 200) << audit.error << audit.body.dump();
    for (const json& e : audit.body["items"])
      if (e.value("action", "") == "quarantine.discard" &&
          e.value("actor", "") == "token:browser-admin")
        ++by_token;
    if (!audit.body["next_cursor"].is_string()) break;
    cursor = audit.body["next_cursor"];
  }
  EXPECT_GE(by_token, 2) << "each record discarded is audited under the token";
}

TEST_F(Dashboard, DeadLetters_RetryPutsTheChangeBackInTheQueue) {
  ApiReply dead = w_->Api("GET", "/outbox?status=dead", w_->admin_token);
  ASSERT_EQ(dead.status, 200) << dead.error << dead.body.dump();
  ASSERT_FALSE(dead.body["items"].empty()) << "the seed made a dead letter";
  const std::string id = std::to_string(dead.body["items"][0]["id"].get<int64_t>());
  SignIn(w_->admin_token);
  ASSERT_EQ(Seen("#view h1", "Overview"), "");
  ASSERT_EQ(w_->browser.ClickCss("#nav a[href='#dead-letters']"), "");
  EXPECT_EQ(Seen("#view tbody", "cannot open"), "") << "the last error is shown";
  Shot("dead-letters");
  ASSERT_EQ(w_->browser.ClickCss("#retry-outbox-" + id), "");
  EXPECT_EQ(Seen("#announce", "queued again"), "");
  ApiReply pending = w_->Api("GET", "/outbox?status=pending", w_->admin_token);
  ASSERT_EQ(pending.status, 200) << pending.error << pending.body.dump();
  bool queued = false;
  for (const json& x : pending.body["items"]) queued |= std::to_string(x.value("id", 0)) == id;
  EXPECT_TRUE(queued) << pending.body.dump();
}

TEST_F(Dashboard, Due_ShowsTheLasOverdueDecisionClockWithThePupil) {
  SignIn(w_->admin_token);
  ASSERT_EQ(Seen("#view h1", "Overview"), "");
  ASSERT_EQ(w_->browser.ClickCss("#nav a[href='#due']"), "");
  std::string row;
  ASSERT_EQ(w_->browser.WaitForText("#view tbody tr", Upn(1), row), "");
  EXPECT_NE(row.find("overdue"), std::string::npos) << row;
  EXPECT_NE(row.find("la"), std::string::npos) << "who owns it: " << row;
  Shot("due");
}

// The SEN register for an admin and for SENCOs: the figures as tables, the pupils with their
// status, a filter kept in the address, a CSV of what is shown; another school's SENCO sees none.
TEST_F(Dashboard, Register_ShowsFiguresAndPupilsWithinTheTokensSchool) {
  for (const std::string who : {"admin", "senco"}) {
    SCOPED_TRACE(who);
    ASSERT_NO_FATAL_FAILURE(OpenRegisterAs(who, "browser-register-senco"));
    std::string row;
    ASSERT_EQ(w_->browser.WaitForText("#view table.pupils tbody tr", Upn(1), row), "");
    // Her surname depends on whether the conflict test ran first (Jones, or Brown once taken).
    EXPECT_NE(row.find("Sam "), std::string::npos) << row;
    EXPECT_NE(row.find(kSchool), std::string::npos) << row;
    size_t n = 0;
    ASSERT_EQ(w_->browser.Count("#view table.by-need caption", n), "");
    EXPECT_EQ(n, 1u);
    ASSERT_EQ(w_->browser.Count("#view table.over-time tbody tr", n), "");
    EXPECT_EQ(n, 12u) << "one row a month";
    ASSERT_EQ(w_->browser.Count("#view a.csv[download='sen-register.csv']", n), "");
    EXPECT_EQ(n, 1u);
    Shot("register-" + who);
    json ignored;
    ASSERT_EQ(w_->browser.Execute("document.getElementById('pupils-q').value = 'no such pupil';"
                                  "document.querySelector('form.filters button').click();",
                                  ignored),
              "");
    EXPECT_EQ(Seen("#view .empty", "No pupil matches"), "");
    ASSERT_EQ(w_->browser.ClickCss("#sign-out"), "");
  }
  const std::string other = w_->Token("senco", "browser-register-other", "200000");
  SignIn(other);
  ASSERT_EQ(Seen("#view .meta", "Signed in as browser-register-other"), "");
  json ignored;
  ASSERT_EQ(w_->browser.Execute("location.hash = '#register';", ignored), "");
  EXPECT_EQ(Seen("#view .empty", "No pupil matches"), "");
}

// The pupil page, opened from the register for an admin and a SENCO of her school: who she is and
// her id in each system, her SEN status over time, ranked needs, the cycle with its outcome and
// target, the costed provision with entry and exit scores, the review, her clocks on a timeline
// with today marked, and what was sent about her; the figures are the API's.
TEST_F(Dashboard, Pupil_OpensFromTheRegisterWithHerWholeSenStory) {
  ApiReply api = w_->Api("GET", "/pupils/" + Upn(1), w_->admin_token);
  ASSERT_EQ(api.status, 200) << api.error << api.body.dump();
  ASSERT_EQ(api.body["provision"].size(), 1u)
      << "the seed's provision reached the hub: " << api.body.dump();
  ASSERT_EQ(api.body["cycles"].size(), 1u) << api.body.dump();
  const json cost = api.body["provision"][0]["cost"];
  char per_term[32], per_year[32];
  std::snprintf(per_term, sizeof per_term, "£%.2f", cost["per_term"].get<double>());
  std::snprintf(per_year, sizeof per_year, "£%.2f", cost["per_year"].get<double>());
  for (const std::string who : {"admin", "senco"}) {
    SCOPED_TRACE(who);
    ASSERT_NO_FATAL_FAILURE(OpenRegisterAs(who, "browser-pupil-senco"));
    ASSERT_EQ(w_->browser.ClickCss("#view table.pupils a[href='#pupil/" + Upn(1) + "']"), "");
    ASSERT_EQ(Seen("#view h1", "Pupil"), "");
    // Each part of the page, and something it must say.
    const std::vector<std::pair<std::string, std::string>> parts = {
        {"#view dl.facts", Upn(1)},
        {"#view table.system-ids", "mis"},
        {"#view ol.sen-history", "K: SEN support, until 2025-07-18"},
        {"#view ol.sen-history", "N: no special educational need, current"},
        {"#view .cycle", "Understands and follows classroom instructions"},
        {"#view table.targets", "Follows a two-step instruction"},
        {"#view table.targets", "achieved"},
        {"#view table.reviews", "end sen support"},
        {"#view", "What other systems were sent"}};
    for (const auto& [css, needle] : parts) EXPECT_EQ(Seen(css, needle), "") << css;
    std::string row;
    ASSERT_EQ(w_->browser.WaitForText("#view table.provision tbody tr", "Language group", row), "");
    EXPECT_NE(row.find(per_term), std::string::npos) << per_term << " in " << row;
    EXPECT_NE(row.find(per_year), std::string::npos) << per_year << " in " << row;
    EXPECT_NE(row.find("78 → BPVS standard score: 86"), std::string::npos) << "impact: " << row;
    // The clocks in date order with today among them: the LA's overdue decision clock before it.
    json order;
    ASSERT_EQ(
        w_->browser.Execute("return Array.from(document.querySelectorAll('#view ol.clocks li'))"
                            ".map((li) => li.className + '|' + li.textContent);",
                            order),
        "");
    int today = -1, overdue = -1;
    for (size_t i = 0; i < order.size(); ++i) {
      const std::string li = order[i];
      if (li.rfind("today|", 0) == 0) today = static_cast<int>(i);
      if (li.find("clock-overdue") != std::string::npos &&
          li.find("statutory") != std::string::npos)
        overdue = static_cast<int>(i);
    }
    EXPECT_GE(overdue, 0) << order.dump();
    EXPECT_GT(today, overdue) << "today comes after the overdue clock: " << order.dump();
    Shot("pupil-" + who);
    ASSERT_EQ(w_->browser.ClickCss("#sign-out"), "");
  }
  // Another school's SENCO is told there is no such pupil.
  const std::string other = w_->Token("senco", "browser-pupil-other", "200000");
  json ignored;
  ASSERT_EQ(w_->browser.Execute("location.hash = '#overview';", ignored), "");  // signed out
  SignIn(other);
  ASSERT_EQ(Seen("#view .meta", "Signed in as browser-pupil-other"), "");
  ASSERT_EQ(w_->browser.Execute("location.hash = '#pupil/" + Upn(1) + "';", ignored), "");
  EXPECT_EQ(Seen("#view .problem", "no pupil with that UPN"), "");
}

// The due list and the conflicts lead to the pupil's page.
TEST_F(Dashboard, Pupil_IsLinkedFromTheDueList) {
  SignIn(w_->admin_token);
  ASSERT_EQ(Seen("#view h1", "Overview"), "");
  ASSERT_EQ(w_->browser.ClickCss("#nav a[href='#due']"), "");
  ASSERT_EQ(w_->browser.ClickCss("#view tbody a[href='#pupil/" + Upn(1) + "']"), "");
  EXPECT_EQ(Seen("#view dl.facts", Upn(1)), "");
}

// The register's three charts, drawn with Debian's Chart.js served by `serve` itself
// (/ui/vendor/chart.js): each a figure with a caption and a text alternative, ink on its canvas,
// and a link to the table that keeps the same figures.
TEST_F(Dashboard, Register_DrawsThreeChartsEachBesideItsTable) {
  SignIn(w_->admin_token);
  ASSERT_EQ(Seen("#view .meta", "Signed in as"), "");
  ASSERT_EQ(w_->browser.ClickCss("#nav a[href='#register']"), "");
  std::string row;
  ASSERT_EQ(w_->browser.WaitForText("#view table.pupils tbody tr", Upn(1), row), "");
  const std::string probe = R"(
    return ['chart-by-need', 'chart-by-year', 'chart-over-time'].map((id) => {
      const c = document.getElementById(id);
      if (!c) return { id, missing: true };
      const chart = window.Chart && Chart.getChart(c);
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let ink = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) ink++;
      const fig = c.closest('figure');
      const link = fig && fig.querySelector('figcaption a.to-table');
      const target = link && document.getElementById(link.getAttribute('href').slice(1));
      return { id, chart: Boolean(chart), type: chart ? chart.config.type : '', ink,
               label: c.getAttribute('aria-label') || '', role: c.getAttribute('role') || '',
               caption: fig ? fig.querySelector('figcaption').textContent : '',
               table: target ? target.tagName + '.' + target.className : '',
               labels: chart ? chart.data.labels : [],
               series: chart ? chart.data.datasets.map((d) => d.data) : [],
               rows: target ? Array.from(target.querySelectorAll('tbody tr'))
                                  .map((tr) => Array.from(tr.cells).map((td) => td.textContent)) : [] };
    });)";
  json charts;
  // Chart.js draws when the page is shown; a bounded wait covers a slow first frame.
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(w_->browser.Execute(probe, charts), "");
    bool inked = charts.is_array() && charts.size() == 3;
    for (const auto& c : charts) inked = inked && c.value("ink", 0) > 500;
    if (inked) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(charts.is_array() && charts.size() == 3) << charts.dump();
  const std::map<std::string, std::pair<std::string, std::string>> want = {
      {"chart-by-need", {"bar", "TABLE.by-need"}},
      {"chart-by-year", {"bar", "TABLE.by-year"}},
      {"chart-over-time", {"line", "TABLE.over-time"}}};
  for (const auto& c : charts) {
    SCOPED_TRACE(c.dump());
    const std::string id = c.value("id", "");
    ASSERT_EQ(want.count(id), 1u);
    EXPECT_TRUE(c.value("chart", false))
        << "no Chart.js chart: is libjs-chart.js installed (scripts/setup.sh)?";
    EXPECT_EQ(c.value("type", ""), want.at(id).first);
    EXPECT_GT(c.value("ink", 0), 500) << "the canvas is blank";
    EXPECT_EQ(c.value("role", ""), "img");
    EXPECT_NE(c.value("label", "").find("chart: "), std::string::npos) << "a text alternative";
    EXPECT_NE(c.value("caption", "").find("The same figures as a table"), std::string::npos);
    EXPECT_EQ(c.value("table", ""), want.at(id).second) << "the link leads to the table";
    // The chart shows exactly the figures its table holds, in the same order.
    const json& labels = c["labels"];
    const json& series = c["series"];
    const json& rows = c["rows"];
    ASSERT_EQ(series.size(), id == "chart-over-time" ? 2u : 1u);
    ASSERT_EQ(labels.size(), rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      EXPECT_EQ(rows[i][0], labels[i]);
      for (size_t k = 0; k < series.size(); ++k)
        EXPECT_EQ(rows[i][k + 1], std::to_string(series[k][i].get<int>())) << "row " << i;
    }
  }
  EXPECT_EQ(charts[2]["labels"].size(), 12u) << "one point a month";
  // The over-time chart's text alternative gives the figures, month by month.
  EXPECT_NE(charts[2].value("label", "").find(": K "), std::string::npos) << charts[2].dump();
  size_t n = 0;
  ASSERT_EQ(w_->browser.Count("#view .charts-unavailable:not([hidden])", n), "");
  EXPECT_EQ(n, 0u);
  for (const char* t : {"#view table.by-need", "#view table.by-year", "#view table.over-time"}) {
    ASSERT_EQ(w_->browser.Count(t, n), "");
    EXPECT_EQ(n, 1u) << t << " stays as the charts' accessible alternative";
  }
  Shot("register-charts");
  // The link to the table moves focus to it without leaving the register view.
  json after;
  ASSERT_EQ(w_->browser.Execute("document.querySelector('#chart-by-year-caption a').click();"
                                "return [document.activeElement.id, location.hash];",
                                after),
            "");
  EXPECT_EQ(after, json::array({"table-by-year", "#register"}));
}

// Without the chart library (libjs-chart.js not installed: /ui/vendor/chart.js answers 404) the
// register says charts are unavailable and keeps every figure in its tables. Emulated by removing
// the library from the page; the next test's reload brings it back.
TEST_F(Dashboard, Register_WithoutTheChartLibrarySaysSoAndKeepsTheTables) {
  SignIn(w_->admin_token);
  ASSERT_EQ(Seen("#view .meta", "Signed in as"), "");
  json ignored;
  ASSERT_EQ(w_->browser.Execute("delete window.Chart; location.hash = '#register';", ignored), "");
  EXPECT_EQ(Seen("#view .charts-unavailable", "Charts are unavailable"), "");
  size_t n = 0;
  ASSERT_EQ(w_->browser.Count("#view .charts-unavailable:not([hidden])", n), "");
  EXPECT_EQ(n, 1u);
  ASSERT_EQ(w_->browser.Count("#view figure.chart:not([hidden])", n), "");
  EXPECT_EQ(n, 0u) << "no empty chart frames";
  for (const char* t : {"#view table.by-need", "#view table.by-year", "#view table.over-time"}) {
    ASSERT_EQ(w_->browser.Count(t, n), "");
    EXPECT_EQ(n, 1u) << t;
  }
  ASSERT_EQ(w_->browser.Count("#view table.over-time tbody tr", n), "");
  EXPECT_EQ(n, 12u);
  Shot("register-no-charts");
}

// Counts per state at the top; the filters narrow the list through the API's and keep the choice
// in the address.
TEST_F(Dashboard, Due_FiltersByWhoActsAndCountsEachState) {
  SignIn(w_->admin_token);
  ASSERT_EQ(Seen("#view h1", "Overview"), "");
  ASSERT_EQ(w_->browser.ClickCss("#nav a[href='#due']"), "");
  ASSERT_EQ(Seen("#view ul.counts", "overdue"), "");
  std::string counts;
  ASSERT_EQ(w_->browser.WaitForText("#view ul.counts li", "overdue", counts), "");
  EXPECT_EQ(counts.find("0 overdue"), std::string::npos) << "the LA's clock is overdue: " << counts;
  json ignored;
  ASSERT_EQ(w_->browser.Execute("document.getElementById('due-owner').value = 'school';"
                                "document.querySelector('form.filters button').click();",
                                ignored),
            "");
  EXPECT_EQ(Seen("#view .empty", "with these filters"), "");
  json hash;
  ASSERT_EQ(w_->browser.Execute("return location.hash;", hash), "");
  EXPECT_EQ(hash, "#due/owner=school");
  ASSERT_EQ(w_->browser.Execute("document.getElementById('due-owner').value = 'la';"
                                "document.querySelector('form.filters button').click();",
                                ignored),
            "");
  std::string row;
  ASSERT_EQ(w_->browser.WaitForText("#view tbody tr", Upn(1), row), "");
  EXPECT_NE(row.find("statutory"), std::string::npos) << row;
  Shot("due-filtered");
}

TEST_F(Dashboard, Referrals_ShowEachRequestWithItsLaReferenceAndStatus) {
  SignIn(w_->admin_token);
  ASSERT_EQ(Seen("#view h1", "Overview"), "");
  ASSERT_EQ(w_->browser.ClickCss("#nav a[href='#referrals']"), "");
  std::string row;
  ASSERT_EQ(w_->browser.WaitForText("#view tbody tr", "EHC-820-2024-00001", row), "");
  EXPECT_NE(row.find("received"), std::string::npos) << row;
  EXPECT_NE(row.find(Upn(1)), std::string::npos) << row;
  Shot("referrals");
}

TEST_F(Dashboard, Plugins_ListLoadedAdaptersAndRefusedFilesWithTheReason) {
  SignIn(w_->admin_token);
  ASSERT_EQ(Seen("#view h1", "Overview"), "");
  ASSERT_EQ(w_->browser.ClickCss("#nav a[href='#plugins']"), "");
  EXPECT_EQ(Seen("table.loaded", "jsonl-folder"), "");
  std::string refused;
  ASSERT_EQ(w_->browser.WaitForText("table.refused", "not-a-plugin.so", refused), "");
  EXPECT_NE(refused.find("not an ELF"), std::string::npos) << "the reason: " << refused;
  Shot("plugins");
}

TEST_F(Dashboard, Forbidden_AuditorIsToldTheirRoleCannotSeeConflicts) {
  SignIn(w_->auditor_token);
  ASSERT_EQ(Seen("#view h1", "Overview"), "");
  // The navigation does not offer the page; an address typed or bookmarked still explains.
  json ignored;
  ASSERT_EQ(w_->browser.Execute("location.hash = '#conflicts';", ignored), "");
  EXPECT_EQ(Seen("#view .problem", "role cannot"), "");
  size_t login = 0;
  ASSERT_EQ(w_->browser.Count("#login:not([hidden])", login), "");
  EXPECT_EQ(login, 0u) << "a 403 keeps the person signed in";
  Shot("forbidden");
}

// The navigation offers only the pages the token's role may open: a SENCO limited to a school
// sees no match queue, dead letters or plugins (each would answer 403); an admin sees every page.
TEST_F(Dashboard, Navigation_ShowsOnlyThePagesTheTokensRoleMayOpen) {
  const std::string senco = w_->Token("senco", "browser-nav-senco", kSchool);
  ASSERT_FALSE(senco.empty()) << w_->error;
  SignIn(senco);
  ASSERT_EQ(Seen("#view .meta", "Signed in as browser-nav-senco"), "");
  json shown;
  const std::string visible =
      "return Array.from(document.querySelectorAll('#nav li:not([hidden]) a'))"
      ".map((a) => a.getAttribute('href')).join(' ');";
  ASSERT_EQ(w_->browser.Execute(visible, shown), "");
  EXPECT_EQ(shown, "#overview #conflicts #quarantine #register #due #referrals");
  Shot("nav-senco");
  ASSERT_EQ(w_->browser.ClickCss("#sign-out"), "");
  SignIn(w_->admin_token);
  ASSERT_EQ(Seen("#view .meta", "Signed in as browser-admin"), "");
  ASSERT_EQ(w_->browser.Execute(visible, shown), "");
  EXPECT_EQ(shown,
            "#overview #conflicts #quarantine #matches #dead-letters #register #due #referrals "
            "#plugins");
  ASSERT_EQ(w_->browser.ClickCss("#sign-out"), "");
  SignIn(w_->auditor_token);
  ASSERT_EQ(Seen("#view .meta", "Signed in as browser-auditor"), "");
  ASSERT_EQ(w_->browser.Execute(visible, shown), "");
  EXPECT_EQ(shown, "#overview");
}

TEST_F(Dashboard, SignIn_RevokedTokenSendsThePersonBackToSignInWithAMessage) {
  std::string token = w_->Token("operator", "browser-revoked");
  ASSERT_FALSE(token.empty()) << w_->error;
  SignIn(token);
  ASSERT_EQ(Seen("#view h1", "Overview"), "");
  ASSERT_TRUE(w_->Cli({"token", "revoke", "browser-revoked"})) << w_->error;
  ASSERT_EQ(w_->browser.ClickCss("#nav a[href='#conflicts']"), "");
  EXPECT_EQ(Seen("#login-error", "Sign in again"), "");
  json stored;
  ASSERT_EQ(w_->browser.Execute("return sessionStorage.getItem('sendsync.token');", stored), "");
  EXPECT_TRUE(stored.is_null()) << "the dead token is forgotten";
}

TEST_F(Dashboard, NetworkError_ServiceGoneSaysItCannotBeReached) {
  // A second service on the same store, stopped while the page is open.
  Background second;
  std::string base = w_->StartServe(second, "second");
  ASSERT_FALSE(base.empty()) << w_->error;
  ASSERT_EQ(w_->browser.Navigate(base + "/#overview"), "");
  SignIn(w_->admin_token);
  ASSERT_EQ(Seen("#view h1", "Overview"), "");
  second.Stop();
  ASSERT_EQ(w_->browser.ClickCss("#nav a[href='#conflicts']"), "");
  EXPECT_EQ(Seen("#view .problem", "Cannot reach sendsync"), "");
  Shot("network-error");
}

// A school named (here through the API; `sendsync schools import` for the DfE's list) is shown by
// name wherever its URN is: the overview's heading, the register's and the due list's rows, the
// pupil's page and the signed-in line of a SENCO of that school.
TEST_F(Dashboard, SchoolNames_AreShownWhereverTheUrnIs) {
  const json name = {{"name", "Oak Tree Primary School"}};
  ApiReply set =
      w_->Api("POST", std::string("/schools/") + kSchool + "/name", w_->admin_token, &name);
  ASSERT_EQ(set.status, 200) << set.error << set.body.dump();
  const std::string shown = "Oak Tree Primary School (" + std::string(kSchool) + ")";
  SignIn(w_->admin_token);
  EXPECT_EQ(Seen("#view section.school h2", shown), "");
  json ignored;
  ASSERT_EQ(w_->browser.Execute("location.hash = '#register';", ignored), "");
  std::string row;
  ASSERT_EQ(w_->browser.WaitForText("#view table.pupils tbody tr", Upn(1), row), "");
  EXPECT_NE(row.find(shown), std::string::npos) << row;
  ASSERT_EQ(w_->browser.Execute("location.hash = '#due';", ignored), "");
  ASSERT_EQ(w_->browser.WaitForText("#view tbody tr", Upn(1), row), "");
  EXPECT_NE(row.find(shown), std::string::npos) << row;
  ASSERT_EQ(w_->browser.Execute("location.hash = '#pupil/" + Upn(1) + "';", ignored), "");
  EXPECT_EQ(Seen("#view dl.facts", shown), "");
  ASSERT_EQ(w_->browser.ClickCss("#sign-out"), "");
  SignIn(w_->Token("senco", "browser-names-senco", kSchool));
  EXPECT_EQ(Seen("#view .meta", "school " + shown), "");
  Shot("overview-named");
}

// Every page checked by axe-core (npm, pinned in tests/browser/axe/package-lock.json, installed in
// the build tree) with no serious or critical violation, and a screenshot of each at 1400×1000 in
// the test output folder. Lesser findings are printed for people to look at.
TEST_F(Dashboard, Accessibility_EveryPagePassesAxeWithNoSeriousViolation) {
  json size;
  ASSERT_EQ(w_->browser.Execute("return [window.innerWidth, window.innerHeight];", size), "");
  EXPECT_EQ(size, json::array({1400, 1000})) << "screenshots are of a 1400×1000 viewport";
  ApiReply link = w_->Api("GET", "/links/tool", w_->admin_token);
  ASSERT_EQ(link.status, 200) << link.error << link.body.dump();
  const std::string run = std::to_string(link.body["last_run"]["id"].get<int64_t>());
  const std::vector<std::pair<std::string, std::string>> pages = {{"sign-in", ""},
                                                                  {"overview", "#overview"},
                                                                  {"run", "#run/" + run},
                                                                  {"conflicts", "#conflicts"},
                                                                  {"quarantine", "#quarantine"},
                                                                  {"matches", "#matches"},
                                                                  {"dead-letters", "#dead-letters"},
                                                                  {"register", "#register"},
                                                                  {"due", "#due"},
                                                                  {"referrals", "#referrals"},
                                                                  {"plugins", "#plugins"},
                                                                  {"pupil", "#pupil/" + Upn(1)}};
  for (const auto& [name, hash] : pages) {
    SCOPED_TRACE(name);
    json ignored;
    if (name == "sign-in") {
      ASSERT_EQ(Seen("#login h1", "Sign in"), "");
    } else {
      if (hash == "#overview") SignIn(w_->admin_token);
      // The old page goes first, so that what is waited for below is the new page's.
      ASSERT_EQ(w_->browser.Execute("document.getElementById('view').replaceChildren();"
                                    "location.hash = '" +
                                        hash + "';",
                                    ignored),
                "");
      ASSERT_EQ(Seen("#view .meta", "Signed in as"), "") << "the page finished loading";
    }
    ExpectAxeClean(name);
    Shot("page-" + name);
  }
}

// A run in flight, watched on its page: records done of the total in words, a progress bar named
// for the run whose value is the records done and whose maximum is the total, the rate and time
// left, moving on while the page stays open (no reload), clean under axe; once the run has ended
// the page shows its final counts and no progress. The run is of a slow adapter (a page of 5
// every 500 ms) on a school of its own, so that the other tests' pages are unchanged.
TEST_F(Dashboard, Progress_ARunningRunShowsRecordsDoneOfTheTotalAndMovesOnWhileThePageIsOpen) {
  constexpr int kPupils = 100;
  constexpr char kSlowSchool[] = "100009";
  fs::create_directories(w_->dir / "slow");
  {
    std::ofstream out(w_->dir / "slow" / "pupil.jsonl");
    for (int n = 1; n <= kPupils; ++n) {
      json p = Pupil("SL" + std::to_string(n), 500 + n, "Slow");
      p["school_urn"] = kSlowSchool;
      out << p.dump() << "\n";
    }
  }
  std::ofstream(w_->dir / "slow.json")
      << json{{"folder", (w_->dir / "slow").string()}, {"delay_ms", 500}, {"page", 5}}.dump();
  std::ofstream(w_->dir / "slow-settings.json")
      << json{{"kinds", {{"pupil", {{"direction", "read"}}}}}}.dump();
  ASSERT_TRUE(w_->Cli({"link", "add", "--school", kSlowSchool, "--adapter", "slow-source", "--name",
                       "slow", "--config", (w_->dir / "slow.json").string(), "--settings",
                       (w_->dir / "slow-settings.json").string()}))
      << w_->error;
  SignIn(w_->admin_token);
  ASSERT_EQ(Seen("#view .meta", "Signed in as"), "");
  ApiReply started = w_->Api("POST", "/links/slow/run", w_->admin_token);
  ASSERT_EQ(started.status, 202) << started.error << started.body.dump();
  int64_t run_id = 0;
  for (int i = 0; i < 200 && run_id == 0; ++i) {
    ApiReply runs = w_->Api("GET", "/runs?link=slow&limit=1", w_->admin_token);
    if (runs.status == 200 && !runs.body["items"].empty())
      run_id = runs.body["items"][0].value("id", int64_t{0});
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_NE(run_id, 0) << "the run did not start";
  const std::string run = std::to_string(run_id);
  json ignored;
  ASSERT_EQ(w_->browser.Execute("location.hash = '#run/" + run + "';", ignored), "");
  EXPECT_EQ(Seen("#view .progress", " of " + std::to_string(kPupils) + " ("), "");
  EXPECT_EQ(Seen("#view .progress", "a second"), "");
  const std::string read_bar = R"(
    const bar = document.querySelector('#view .progress progress');
    return bar ? { label: bar.getAttribute('aria-label'), text: bar.getAttribute('aria-valuetext'),
                   value: bar.value, max: bar.max } : null;)";
  json bar;
  ASSERT_EQ(w_->browser.Execute(read_bar, bar), "");
  ASSERT_TRUE(bar.is_object()) << "no progress bar on the run's page";
  EXPECT_EQ(bar["label"], "Run " + run + ": pupil records read");
  EXPECT_EQ(bar["max"], kPupils);
  const double first = bar["value"].get<double>();
  EXPECT_GT(first, 0);
  EXPECT_LT(first, kPupils);
  EXPECT_NE(bar["text"].get<std::string>().find(" of " + std::to_string(kPupils)),
            std::string::npos)
      << bar.dump();
  ExpectAxeClean("run-in-flight");
  Shot("run-in-flight");
  // Redrawn while the page is open: a larger value, without a reload.
  bool moved = false;
  for (int i = 0; i < 300 && !moved; ++i) {
    ASSERT_EQ(w_->browser.Execute(read_bar, bar), "");
    ASSERT_TRUE(bar.is_object()) << "the run ended before its progress was seen to move";
    moved = bar["value"].get<double>() > first;
    if (!moved) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(moved) << "the progress stayed at " << first << " records";
  // Ended: the final counts, and no progress any more.
  std::string seen;
  EXPECT_EQ(w_->browser.WaitForText("#view", "What the run did", seen, std::chrono::seconds(60)),
            "");
  size_t bars = 1;
  for (int i = 0; i < 1200 && bars > 0; ++i) {
    ASSERT_EQ(w_->browser.Count("#view .progress", bars), "");
    if (bars > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(bars, 0u) << "the progress is still shown after the run ended";
  ApiReply ended = w_->Api("GET", "/runs/" + run, w_->admin_token);
  ASSERT_EQ(ended.status, 200);
  EXPECT_NE(ended.body.value("status", ""), "running");
  EXPECT_EQ(Seen("#view table.counts", std::to_string(kPupils)), "");
}

}  // namespace
}  // namespace sendsync::browser
