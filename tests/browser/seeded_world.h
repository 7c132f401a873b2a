// The world the dashboard's browser test works in, built once per test binary: a store seeded
// through the `sendsync` CLI (World::Seed says what it holds), tokens from `sendsync token create`,
// `sendsync serve` on an ephemeral loopback port, a small client for its API, and headless chromium
// behind chromedriver. Test code only (tests/browser).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
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
#include "test_upn.h"
#include "webdriver.h"

namespace sendsync::browser {

namespace fs = std::filesystem;
using nlohmann::json;

using testing_support::Upn;

inline constexpr char kSchool[] = "100000";

inline nlohmann::json Pupil(const std::string& id, int n, const std::string& surname,
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

  std::string Token(const std::string& role, const std::string& name,
                    const std::string& school = "") {
    std::string out;
    std::vector<std::string> args = {"token", "create", "--role", role, "--name", name, "--json"};
    if (!school.empty()) args.insert(args.end(), {"--school", school});
    if (!Cli(args, &out)) return "";
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
  // link whose output file is a folder, with one delivery attempt allowed: a dead letter. Two
  // records from a third link with the same fault: a group in the quarantine.
  bool Seed() {
    fs::create_directories(dir / "plugins");
    fs::copy_file(fs::path(PLUGIN_DIR) / "jsonl-folder.so", dir / "plugins" / "jsonl-folder.so");
    // The server tests' adapter whose reads take a while: a run that stays running while a test
    // looks at its progress (tests/server/fixtures/slow_source.cpp).
    fs::copy_file(SLOW_SOURCE_SO, dir / "plugins" / fs::path(SLOW_SOURCE_SO).filename());
    std::ofstream(dir / "plugins" / "not-a-plugin.so") << "this is text, not a shared library\n";
    std::ofstream(dir / "sendsync.json") << json{
        {"data_dir", (dir / "data").string()},
        {"plugin_dir", (dir / "plugins").string()},
        {"worker_mode", "in-process"},
        {"max_attempts", 1},
        {"log_level", "warn"}}.dump();
    const json read = {{"direction", "read"}};
    if (!Cli({"init"}) ||
        !AddLink("mis", "mis",
                 {{"pupil", read},
                  {"referral", read},
                  {"sen", read},
                  {"cycle", read},
                  {"provision", read},
                  {"review", read}}) ||
        !AddLink("tool", "tool", {{"pupil", read}}) ||
        !AddLink("office", "office", {{"pupil", read}}) ||
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
    SeedSenSupportYear();
    AppendTo("tool", Pupil("T1", 1, "Smith"));
    AppendTo("mis", Pupil("S5", 5, "White"));
    AppendTo("tool", Pupil("T5", 5, "White", "2015-01-01"));  // same UPN, another birthday
    if (!Cli({"sync", "--link", "mis"}) || !Cli({"sync", "--link", "tool"})) return false;
    AppendTo("mis", Pupil("S1", 1, "Jones"));
    AppendTo("tool", Pupil("T1", 1, "Brown"));
    AppendTo("tool", Pupil("T2", 2, "<img src=x onerror=\"window.pwned=1\">", "2014-02-30"));
    AppendTo("tool", Pupil("T3", 3, "Green", "2014-13-01"));
    // Two records the office system sent with the same fault: one group in the quarantine.
    AppendTo("office", Pupil("O8", 8, "Grey", "2014-02-31"));
    AppendTo("office", Pupil("O9", 9, "Hill", "2015-04-31"));
    if (!Cli({"sync", "--link", "mis"}) || !Cli({"sync", "--link", "tool"}) ||
        !Cli({"sync", "--link", "office"}) || !Cli({"sync", "--link", "target"}))
      return false;
    admin_token = Token("admin", "browser-admin");
    if (admin_token.empty()) return false;
    auditor_token = Token("auditor", "browser-auditor");
    return !auditor_token.empty();
  }

  // Pupil 1's year at SEN support (K from September 2024, N since July 2025, so that no school
  // clock of hers is due now): her needs, one completed plan-do-review cycle with an outcome and a
  // target, a costed language group with entry and exit scores, and the review that ended it.
  void SeedSenSupportYear() {
    const json who = {{"id", "S1"}, {"upn", Upn(1)}};
    AppendTo("mis", {{"kind", "sen"},
                     {"pupil", who},
                     {"provision", "N"},
                     {"provision_start", "2025-07-19"},
                     {"needs", json::array()},
                     {"history",
                      {{{"provision", "K"}, {"start", "2024-09-02"}, {"end", "2025-07-18"}},
                       {{"provision", "N"}, {"start", "2025-07-19"}}}}});
    const json target = {{"id", "T1"},
                         {"description", "Follows a two-step instruction in class"},
                         {"success_criteria", "4 of 5 times, observed by the TA"},
                         {"due", "2025-07-18"},
                         {"progress", "achieved"}};
    AppendTo("mis", {{"kind", "cycle"},
                     {"id", "C1"},
                     {"pupil", who},
                     {"start", "2024-09-09"},
                     {"assessment_summary", "Receptive language below age; BPVS 78"},
                     {"outcomes",
                      {{{"id", "O1"},
                        {"description", "Understands and follows classroom instructions"},
                        {"targets", {target}}}}},
                     {"review_date", "2025-07-18"},
                     {"status", "completed"},
                     {"completed", "2025-07-18"}});
    AppendTo("mis", {{"kind", "provision"},
                     {"id", "P1"},
                     {"pupil", who},
                     {"area", "CI"},
                     {"intervention", "Language group"},
                     {"wave", 2},
                     {"group_size", 4},
                     {"sessions_per_week", 3},
                     {"minutes_per_session", 30},
                     {"staff_role", "TA"},
                     {"start", "2024-09-16"},
                     {"end", "2025-07-11"},
                     {"hourly_rate", 16},
                     {"resources_cost", 120},
                     {"baseline", {{"measure", "BPVS standard score"}, {"value", "78"}}},
                     {"exit", {{"measure", "BPVS standard score"}, {"value", "86"}}},
                     {"target_ids", {"T1"}},
                     {"cycle_id", "C1"}});
    AppendTo("mis", {{"kind", "review"},
                     {"id", "R1"},
                     {"pupil", who},
                     {"cycle_id", "C1"},
                     {"date", "2025-07-18"},
                     {"review_kind", "sen_support"},
                     {"parents_met", true},
                     {"progress", {{{"target_id", "T1"}, {"progress", "achieved"}}}},
                     {"impact", "Follows two-step instructions; BPVS up 8 points"},
                     {"decision", "end_sen_support"}});
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

// The one world of this test binary, built on first use; torn down at exit.
inline World* TheWorld() {
  static std::unique_ptr<World> w = [] {
    auto p = std::make_unique<World>();
    p->Build();
    return p;
  }();
  return w.get();
}

}  // namespace sendsync::browser
