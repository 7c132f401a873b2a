// The dashboard in a real browser. One world for the whole binary (starting chromium is the slow
// part): a store seeded through the `sendsync` CLI (see World::Seed: a conflict, quarantined
// records, a match, a dead letter, an overdue statutory clock, a refused plugin file), tokens made
// with `sendsync token create`, `sendsync serve` on an ephemeral loopback port, and headless
// chromium driven through chromedriver. What the page does is checked through the API.
// Screenshots go to <build>/test-artifacts/browser/.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <nlohmann/json.hpp>

#include "child_process.h"
#include "core/domain/domain.h"
#include "webdriver.h"

namespace sendsync::browser {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr char kSchool[] = "100000";

// A valid UPN (check letter computed by the domain, not typed in) for serial n.
std::string Upn(int n) {
  char body[16];
  std::snprintf(body, sizeof body, "?82012000%04d", n % 10000);
  std::string s(body);
  s[0] = *domain::UpnCheckLetter(s);
  return s;
}

json Pupil(const std::string& id, int n, const std::string& surname,
           const std::string& dob = "2014-03-02") {
  return {{"kind", "pupil"},         {"id", id},   {"upn", Upn(n)}, {"legal_surname", surname},
          {"legal_forename", "Sam"}, {"dob", dob}, {"sex", "F"},    {"nc_year", "6"},
          {"school_urn", kSchool}};
}

struct ApiReply {
  int status = 0;  // 0: no answer
  json body;
  std::string error;
};

// Everything the tests share. `broken` says why it could not be built; `error` holds the last
// failure of a helper (a CLI call, a server start).
struct World {
  fs::path dir;
  std::string broken, error;
  std::map<std::string, std::string> env;
  int port = 0;
  std::string base;  // http://127.0.0.1:<port>
  std::string admin_token, auditor_token;
  Background serve;
  WebDriver browser;

  // The sendsync CLI with the world's host config; output on failure.
  bool Cli(const std::vector<std::string>& args, std::string* out = nullptr) {
    std::vector<std::string> a = args;
    a.insert(a.end(), {args[0] == "link" && args[1] == "add" ? "--host-config" : "--config",
                       (dir / "sendsync.json").string()});
    CliResult r = RunToEnd(SENDSYNC_BIN, a, env, dir / "cli.log");
    if (out) *out = r.output;
    // 3: finished with records needing a person, which is what the seed wants.
    if (r.exit_code == 0 || (args[0] == "sync" && r.exit_code == 3)) return true;
    error = "sendsync";
    for (const auto& x : a) error += " " + x;
    error += " exited " + std::to_string(r.exit_code) + ": " + r.output;
    return false;
  }

  void AppendTo(const std::string& folder, const json& rec) {
    std::ofstream(dir / folder / (rec["kind"].get<std::string>() + ".jsonl"), std::ios::app)
        << rec.dump() << "\n";
  }

  bool AddLink(const std::string& name, const std::string& folder, const json& kinds) {
    fs::create_directories(dir / folder);
    std::ofstream(dir / (name + ".json")) << json{{"folder", (dir / folder).string()}}.dump();
    std::ofstream(dir / (name + "-settings.json")) << json{{"kinds", kinds}}.dump();
    return Cli({"link", "add", "--school", kSchool, "--adapter", "jsonl-folder", "--name", name,
                "--config", (dir / (name + ".json")).string(), "--settings",
                (dir / (name + "-settings.json")).string()});
  }

  std::string Token(const std::string& role, const std::string& name) {
    std::string out;
    if (!Cli({"token", "create", "--role", role, "--name", name, "--json"}, &out)) return "";
    json j = json::parse(out, nullptr, false);
    if (j.is_discarded() || !j.contains("token")) {
      error = "token create printed no token: " + out;
      return "";
    }
    return j["token"];
  }

  // Two links that agree on a pupil, then change her surname differently: one conflict. Records
  // with impossible dates of birth (one with markup in its name): quarantined. A referral the LA
  // received in January 2024 and never decided: its 6-week decision clock is overdue. The same UPN
  // with two dates of birth: an item in the match queue. A target
  // link whose output file is a folder, with one delivery attempt allowed: a dead letter.
  bool Seed() {
    fs::create_directories(dir / "plugins");
    fs::copy_file(fs::path(PLUGIN_DIR) / "jsonl-folder.so", dir / "plugins" / "jsonl-folder.so");
    std::ofstream(dir / "plugins" / "not-a-plugin.so") << "this is text, not a shared library\n";
    std::ofstream(dir / "sendsync.json") << json{
        {"data_dir", (dir / "data").string()},
        {"plugin_dir", (dir / "plugins").string()},
        {"worker_mode", "in-process"},
        {"max_attempts", 1},
        {"log_level", "warn"}}.dump();
    const json read = {{"direction", "read"}};
    if (!Cli({"init"}) || !AddLink("mis", "mis", {{"pupil", read}, {"referral", read}}) ||
        !AddLink("tool", "tool", {{"pupil", read}}) ||
        !AddLink("target", "target", {{"pupil", {{"direction", "write"}}}}))
      return false;
    fs::create_directories(dir / "target" / "out" / "pupil.jsonl");
    AppendTo("mis", Pupil("S1", 1, "Smith"));
    AppendTo("mis", {{"kind", "referral"},
                     {"id", "RF1"},
                     {"pupil", {{"id", "S1"}, {"upn", Upn(1)}}},
                     {"requester_role", "school"},
                     {"request_source", 2},
                     {"la", "820"},
                     {"la_reference", "EHC-820-2024-00001"},
                     {"request_date", "2024-01-05"},
                     {"received_date", "2024-01-08"},
                     {"status", "received"}});
    AppendTo("tool", Pupil("T1", 1, "Smith"));
    AppendTo("mis", Pupil("S5", 5, "White"));
    AppendTo("tool", Pupil("T5", 5, "White", "2015-01-01"));  // same UPN, another birthday
    if (!Cli({"sync", "--link", "mis"}) || !Cli({"sync", "--link", "tool"})) return false;
    AppendTo("mis", Pupil("S1", 1, "Jones"));
    AppendTo("tool", Pupil("T1", 1, "Brown"));
    AppendTo("tool", Pupil("T2", 2, "<img src=x onerror=\"window.pwned=1\">", "2014-02-30"));
    AppendTo("tool", Pupil("T3", 3, "Green", "2014-13-01"));
    if (!Cli({"sync", "--link", "mis"}) || !Cli({"sync", "--link", "tool"}) ||
        !Cli({"sync", "--link", "target"}))
      return false;
    admin_token = Token("admin", "browser-admin");
    if (admin_token.empty()) return false;
    auditor_token = Token("auditor", "browser-auditor");
    return !auditor_token.empty();
  }

  // Starts `sendsync serve` on an ephemeral loopback port; the base URL, or "" with `error` set.
  std::string StartServe(Background& proc, const std::string& name) {
    fs::path port_file = dir / (name + ".port");
    fs::remove(port_file);  // a file left by an earlier start would name a port nobody serves
    if (!proc.Start(SENDSYNC_BIN,
                    {"serve", "--config", (dir / "sendsync.json").string(), "--listen",
                     "127.0.0.1:0", "--port-file", port_file.string()},
                    env, dir / (name + ".log"))) {
      error = "cannot start sendsync serve";
      return "";
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline && proc.Running()) {
      std::ifstream in(port_file);
      int p = 0;
      if (in >> p && p > 0) return "http://127.0.0.1:" + std::to_string(p);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    error = "sendsync serve wrote no port file: " + proc.Log();
    return "";
  }

  ApiReply Api(const std::string& method, const std::string& path, const std::string& token,
               const json* body = nullptr) {
    ApiReply r;
    try {
      Poco::Net::HTTPClientSession http("127.0.0.1", static_cast<Poco::UInt16>(port));
      http.setTimeout(Poco::Timespan(10, 0));
      Poco::Net::HTTPRequest req(method, "/api/v1" + path, Poco::Net::HTTPMessage::HTTP_1_1);
      req.set("Authorization", "Bearer " + token);
      std::string text = body ? body->dump() : "";
      if (body) {
        req.setContentType("application/json");
        req.setContentLength(static_cast<std::streamsize>(text.size()));
      }
      http.sendRequest(req) << text;
      Poco::Net::HTTPResponse res;
      std::string reply;
      Poco::StreamCopier::copyToString(http.receiveResponse(res), reply);
      r.status = res.getStatus();
      r.body = json::parse(reply, nullptr, false);
    } catch (const Poco::Exception& e) {
      r.error = e.displayText();
    }
    return r;
  }

  // The id of the open quarantined record that came with `source_id`; 0 when none.
  int64_t QuarantineId(const std::string& source_id) {
    ApiReply r = Api("GET", "/quarantine?status=open", admin_token);
    if (r.status == 200)
      for (const json& q : r.body["items"])
        if (q.value("source_id", "") == source_id) return q.value("id", int64_t{0});
    return 0;
  }

  void Build() {
    dir = fs::temp_directory_path() / ("sendsync-browser-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    base = Seed() ? StartServe(serve, "serve") : "";
    if (base.empty()) {
      broken = error;
      return;
    }
    port = std::stoi(base.substr(base.rfind(':') + 1));
    broken = browser.Start(dir / "chromium");
  }

  ~World() {
    browser.Quit();
    serve.Stop();
    std::error_code ec;
    if (!::testing::UnitTest::GetInstance()->Failed()) fs::remove_all(dir, ec);
  }
};

World* TheWorld() {
  static std::unique_ptr<World> w = [] {
    auto p = std::make_unique<World>();
    p->Build();
    return p;
  }();
  return w.get();
}

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

  std::string Seen(const std::string& css, const std::string& needle) {
    std::string seen;
    return w_->browser.WaitForText(css, needle, seen);
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
  ASSERT_EQ(w_->browser.ClickCss("#nav a[href='#conflicts']"), "");
  EXPECT_EQ(Seen("#view .problem", "role cannot"), "");
  size_t login = 0;
  ASSERT_EQ(w_->browser.Count("#login:not([hidden])", login), "");
  EXPECT_EQ(login, 0u) << "a 403 keeps the person signed in";
  Shot("forbidden");
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

}  // namespace
}  // namespace sendsync::browser
