// The MIS API simulator itself, as other processes use it: its control endpoints, its own
// answers to bad requests, and the sendsync-sim-mis-api program.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "sendsync/sdk/http.h"
#include "test_support.h"

using namespace mis_test;
namespace http = sendsync::sdk::http;
namespace fs = std::filesystem;

namespace {

std::unique_ptr<http::Client> ClientFor(const std::string& base) {
  http::ClientOptions o;
  o.base_url = base;
  auto c = http::Client::Create(o);
  EXPECT_TRUE(c.ok());
  return c.ok() ? std::move(*c) : nullptr;
}

http::Response Send(http::Client& c, const std::string& method, const std::string& target,
                    const std::string& body = "", bool auth = false) {
  http::Request r;
  r.method = method;
  r.target = target;
  r.body = body;
  if (auth) r.headers.push_back({"Authorization", std::string("Bearer ") + kToken});
  auto resp = c.Send(r);
  EXPECT_TRUE(resp.ok()) << resp.status().ToString();
  return resp.ok() ? *resp : http::Response{};
}

}  // namespace

TEST(MisApiSimulator, Sim_ControlEndpointsLoadEditAndReport) {
  MisApiSim sim(kToken);
  ASSERT_TRUE(sim.Start().ok());
  auto c = ClientFor("http://127.0.0.1:" + std::to_string(sim.server().port()));
  EXPECT_EQ(Send(*c, "PUT", "/_sim-mis/school", SchoolFixture(3).dump()).status, 200);
  EXPECT_EQ(Send(*c, "POST", "/_sim-mis/students/STU-0002/sen-status", R"({"code":"E"})").status,
            200);
  json school = *Send(*c, "GET", "/_sim-mis/school").Json();
  EXPECT_EQ(school["students"][1]["sen_status"]["code"], "E");
  EXPECT_EQ(school["students"][1]["sen_status"]["history"][0]["code"], "N");
  EXPECT_EQ(Send(*c, "DELETE", "/_sim-mis/students/STU-0003").status, 200);
  EXPECT_EQ(sim.DumpSchool()["deletions"].size(), 2u);  // the student and its review
  json before = *Send(*c, "GET", "/_sim-mis/clock").Json();
  json after = *Send(*c, "POST", "/_sim-mis/clock", R"({"advance_seconds":3600})").Json();
  EXPECT_GT(after["now"].get<std::string>(), before["now"].get<std::string>());
  json sw = *Send(*c, "POST", "/_sim-mis/switches", R"({"approved":false})").Json();
  EXPECT_EQ(sw["approved"], false);
  EXPECT_EQ(Send(*c, "GET", "/v1.0/schools/SCH-0001", "", true).status, 403);
  EXPECT_EQ(Send(*c, "GET", "/_sim-mis/write-backs").status, 200);
  EXPECT_EQ(Send(*c, "GET", "/_sim-mis/nothing").status, 404);
}

TEST(MisApiSimulator, Sim_RefusesBadRequestsAsTheDocSays) {
  MisApiSim sim(kToken);
  ASSERT_TRUE(sim.Start().ok());
  ASSERT_TRUE(sim.LoadSchool(SchoolFixture(2)).ok());
  auto c = ClientFor(sim.api_url());
  EXPECT_EQ(Send(*c, "GET", "schools/SCH-0001/students").status, 401);
  EXPECT_EQ(Send(*c, "GET", "schools/OTHER/students", "", true).status, 404);
  EXPECT_EQ(Send(*c, "GET", "schools/SCH-0001/students?per_page=0", "", true).status, 400);
  EXPECT_EQ(Send(*c, "GET", "schools/SCH-0001/students?updated_after=yesterday", "", true).status,
            400);
  EXPECT_EQ(Send(*c, "GET", "schools/SCH-0001/deletions", "", true).status, 400);
  // A write without an Idempotency-Key is refused; with one reused for another body, 409.
  http::Request w;
  w.method = "POST";
  w.target = "schools/SCH-0001/students/STU-0001/sen";
  w.body = R"({"sen_status":{"code":"K"},"sen_needs":[]})";
  w.headers = {{"Authorization", std::string("Bearer ") + kToken}};
  EXPECT_EQ(c->Send(w)->status, 400);
  w.headers.push_back({"Idempotency-Key", "sim-k"});
  EXPECT_EQ(c->Send(w)->status, 200);
  w.body = R"({"sen_status":{"code":"E"},"sen_needs":[]})";
  EXPECT_EQ(c->Send(w)->status, 409);
  EXPECT_EQ(sim.Applications("sim-k"), 1);
}

TEST(MisApiSimulator, Sim_ProgramServesTheDataFileUntilSignalled) {
  fs::path dir = fs::temp_directory_path() / ("mis-sim-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "school.json") << SchoolFixture(2).dump();
  fs::path port_file = dir / "port";
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::string data = (dir / "school.json").string(), pf = port_file.string();
    ::execl(SIM_PROGRAM, SIM_PROGRAM, "--token", kToken, "--data", data.c_str(), "--port-file",
            pf.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  for (int i = 0; i < 200 && !fs::exists(port_file); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  ASSERT_TRUE(fs::exists(port_file)) << "the program did not write its port";
  int port = 0;
  std::ifstream(port_file) >> port;
  auto c = ClientFor("http://127.0.0.1:" + std::to_string(port) + "/v1.0");
  http::Response r = Send(*c, "GET", "schools/SCH-0001/students", "", true);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ((*r.Json())["data"].size(), 2u);
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  fs::remove_all(dir);
}

TEST(MisApiSimulator, Sim_ProgramRefusesToStartWithoutAToken) {
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 2);
    ::execl(SIM_PROGRAM, SIM_PROGRAM, static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << status;
}
