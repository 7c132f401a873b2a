// The LA portal simulator itself: its calendar and scripts, its control port, and the program a
// test in another process drives.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "fixtures.h"
#include "sendsync/sdk/http.h"

extern char** environ;

using namespace la_portal_test;
namespace fs = std::filesystem;
namespace http = sendsync::sdk::http;

namespace {

// Calls `base` (a control or API port) with JSON.
json CallJson(const std::string& base, const std::string& method, const std::string& target,
              const json& body = nullptr, int* status = nullptr) {
  http::ClientOptions o;
  o.base_url = base;
  auto c = http::Client::Create(o);
  EXPECT_TRUE(c.ok());
  http::Request r;
  r.method = method;
  r.target = target;
  if (!body.is_null()) r.body = body.dump();
  auto resp = (*c)->Send(r);
  EXPECT_TRUE(resp.ok()) << resp.status().ToString();
  if (!resp.ok()) return nullptr;
  if (status) *status = resp->status;
  return json::parse(resp->body, nullptr, false);
}

std::string ReadFileWhenThere(const std::string& path) {
  for (int i = 0; i < 200; ++i) {
    std::ifstream in(path);
    std::string s;
    if (in && std::getline(in, s) && !s.empty()) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return "";
}

}  // namespace

TEST(Sim, CalendarOnlyMovesForward) {
  auto sim = StartSim();
  EXPECT_TRUE(sim->Advance(3).ok());
  EXPECT_EQ(sim->today().ToString(), "2024-05-04");
  EXPECT_FALSE(sim->SetToday(sendsync::Date(2024, 5, 1)).ok());
  EXPECT_FALSE(sim->Advance(-1).ok());
  EXPECT_TRUE(sim->SetToday(sendsync::Date(2024, 6, 1)).ok());
}

TEST(Sim, ScriptedStepsComeOutInDateOrderWithTheirDates) {
  auto sim = StartSim();
  Adapter a(ApiKeyConfig(*sim));
  ASSERT_TRUE(
      sim->AddScript({{"match", {{"client_reference", "A"}}}, {"scenario", "late_decision"}}).ok());
  ASSERT_TRUE(
      sim->AddScript({{"match", {{"client_reference", "B"}}}, {"scenario", "not_to_assess"}}).ok());
  a.WriteOne(ReferralRecord("A"), ReadyContext(), "ka");
  a.WriteOne(ReferralRecord("B"), ReadyContext(), "kb");
  ASSERT_TRUE(sim->Advance(60).ok());  // B decided on day 38, A on day 50
  auto ra = sim->Referral(SimReferralId(*sim, "A"));
  auto rb = sim->Referral(SimReferralId(*sim, "B"));
  EXPECT_EQ((*ra)["state"]["decision_date"], "2024-06-20");
  EXPECT_EQ((*rb)["state"]["decision_date"], "2024-06-08");
  std::string last;
  json records = a.ReadAll("referral", "", &last);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0]["id"], SimReferralId(*sim, "B")) << "B's decision came first";
  EXPECT_EQ(records[1]["id"], SimReferralId(*sim, "A"));
}

TEST(Sim, StepTheStatusDoesNotAllowIsReportedNotApplied) {
  auto sim = StartSim();
  Adapter a(ApiKeyConfig(*sim));
  ASSERT_TRUE(sim->AddScript({{"steps", {{{"day", 5}, {"action", "issue_final_plan"}}}}}).ok());
  a.WriteOne(ReferralRecord(), ReadyContext(), "k");
  ASSERT_TRUE(sim->Advance(6).ok());
  json state = sim->State();
  ASSERT_EQ(state["script_errors"].size(), 1u);
  EXPECT_NE(state["script_errors"][0].get<std::string>().find("issue_final_plan"),
            std::string::npos);
  EXPECT_EQ((*sim->Referral(SimReferralId(*sim, "REF-2024-0001")))["state"]["status"], "received");
}

TEST(Sim, UnknownScenarioAndActionAreRefused) {
  auto sim = StartSim();
  EXPECT_FALSE(sim->AddScript({{"scenario", "instant_plan"}}).ok());
  EXPECT_FALSE(sim->AddScript({{"steps", {{{"day", 1}, {"action", "teleport"}}}}}).ok());
}

TEST(Sim, ControlPortDrivesTheLa) {
  auto sim = StartSim();
  Adapter a(ApiKeyConfig(*sim));
  const std::string c = sim->control_url();
  int status = 0;
  CallJson(c, "POST", "/control/scripts",
           {{"match", {{"upn", "B801200005001"}}}, {"scenario", "on_time"}}, &status);
  EXPECT_EQ(status, 200);
  const std::string id = a.WriteOne(ReferralRecord(), ReadyContext(), "k")["remote_id"];
  json cal = CallJson(c, "POST", "/control/calendar", {{"advance_days", 35}}, &status);
  EXPECT_EQ(cal["today"], "2024-06-05");
  json r = CallJson(c, "GET", "/control/referrals/" + id);
  EXPECT_EQ(r["state"]["status"], "assessing");
  EXPECT_EQ(r["pending_steps"].size(), 2u);
  json list = CallJson(c, "GET", "/control/referrals");
  EXPECT_EQ(list["referrals"].size(), 1u);
  CallJson(c, "POST", "/control/referrals/" + id + "/actions",
           {{"action", "issue_final_plan"}, {"named_setting", "Oak Special School"}}, &status);
  EXPECT_EQ(status, 200);
  CallJson(c, "POST", "/control/referrals/" + id + "/actions", {{"action", "decide_to_assess"}},
           &status);
  EXPECT_EQ(status, 409) << "deciding again after the plan was issued";
  CallJson(c, "POST", "/control/calendar", {{"today", "2024-01-01"}}, &status);
  EXPECT_EQ(status, 409);
  const std::string doc = r["documents"][0]["id"];
  http::ClientOptions o;
  o.base_url = c;
  auto client = http::Client::Create(o);
  http::Request get;
  get.target = "/control/referrals/" + id + "/documents/" + doc;
  auto pdf = (*client)->Send(get);
  ASSERT_TRUE(pdf.ok());
  EXPECT_EQ(pdf->Header("content-type"), "application/pdf");
  EXPECT_EQ(pdf->body.rfind("%PDF-", 0), 0u);
  json state = CallJson(c, "GET", "/control/state");
  EXPECT_EQ(state["counters"]["referrals"], 1);
  EXPECT_EQ(state["request_violations"], 0);
  EXPECT_EQ(CallJson(c, "GET", "/control/violations")["requests"].size(), 0u);
  CallJson(c, "POST", "/control/auth", {{"mode", "oauth2"}, {"client_id", "x"}}, &status);
  EXPECT_EQ(status, 400) << "oauth2 without a secret";
  CallJson(c, "POST", "/control/reset", nullptr, &status);
  EXPECT_EQ(CallJson(c, "GET", "/control/referrals")["referrals"].size(), 0u);
  CallJson(c, "GET", "/control/nothing", nullptr, &status);
  EXPECT_EQ(status, 404);
}

TEST(Sim, ProgramIsDrivenFromAnotherProcess) {
  fs::path dir = fs::temp_directory_path() / ("sendsync-la-sim-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string port_file = (dir / "port").string(), control_file = (dir / "control").string();
  std::vector<std::string> args = {SIM_PROGRAM,           "--port-file", port_file,
                                   "--control-port-file", control_file,  "--today",
                                   "2025-01-06",          "--scenario",  "on_time",
                                   "--client-id",         "school-1",    "--client-secret",
                                   "prog-secret",         "--faults",    R"({"fail_next": 1})"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, SIM_PROGRAM, nullptr, nullptr, argv.data(), environ), 0);
  const std::string port = ReadFileWhenThere(port_file);
  const std::string control = ReadFileWhenThere(control_file);
  ASSERT_FALSE(port.empty());
  ASSERT_FALSE(control.empty());
  const std::string api = "http://127.0.0.1:" + port;
  const std::string ctl = "http://127.0.0.1:" + control;

  json config = {{"base_url", api},
                 {"la", "820"},
                 {"auth",
                  {{"type", "oauth2"},
                   {"token_url", api + "/oauth/token"},
                   {"client_id", "school-1"},
                   {"client_secret", "prog-secret"}}}};
  Adapter a(config);
  json res = a.WriteOne(ReferralRecord(), ReadyContext(), "prog-key");
  EXPECT_EQ(res["result"], "retry") << "the --faults 503 reaches the token request";
  res = a.WriteOne(ReferralRecord(), ReadyContext(), "prog-key");
  EXPECT_EQ(res["result"], "applied") << res.dump();
  CallJson(ctl, "POST", "/control/calendar", {{"advance_days", 35}});
  std::string last;
  json records = a.ReadAll("referral", "", &last);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["received_date"], "2025-01-06");
  EXPECT_EQ(records[0]["decision_date"], "2025-02-10");
  json state = CallJson(ctl, "GET", "/control/state");
  EXPECT_EQ(state["counters"]["referrals"], 1);
  EXPECT_EQ(state["auth"]["mode"], "oauth2");
  EXPECT_EQ(state.dump().find("prog-secret"), std::string::npos);
  json stats = CallJson(api, "GET", "/_sim/stats");
  EXPECT_EQ(stats["injected_errors"], 1);

  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  int wstatus = 0;
  ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
  fs::remove_all(dir);
}
