#include "e2e_support.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

namespace sendsync::e2e {

namespace {

std::atomic<int> g_runs{0};

// Waits for `pid` until `deadline`; SIGKILLs it after that. Returns the wait status, and whether
// it had to be killed.
int WaitWithDeadline(pid_t pid, std::chrono::steady_clock::time_point deadline, bool& killed) {
  killed = false;
  int st = 0;
  for (;;) {
    pid_t r = ::waitpid(pid, &st, WNOHANG);
    if (r == pid) return st;
    if (r < 0) return 0;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &st, 0);
      killed = true;
      return st;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// fork + exec with stdin from /dev/null and stdout/stderr into the given files. Everything the
// child needs (arguments, environment, file descriptors) is made before fork, so the child only
// calls async-signal-safe functions.
pid_t Spawn(const std::string& program, const std::vector<std::string>& args,
            const std::map<std::string, std::string>& env, const fs::path& out_file,
            const fs::path& err_file) {
  std::vector<std::string> argv_s = {program};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::map<std::string, std::string> merged;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    size_t eq = kv.find('=');
    if (eq != std::string::npos) merged[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : env) merged[k] = v;
  std::vector<std::string> envp_s;
  for (const auto& [k, v] : merged) envp_s.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : envp_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int out = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  pid_t pid = in < 0 || out < 0 || err < 0 ? -1 : ::fork();
  if (pid == 0) {
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execve(program.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  for (int fd : {in, out, err})
    if (fd >= 0) ::close(fd);
  return pid;
}

std::string TestName() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return info ? std::string(info->test_suite_name()) + "." + info->name() : "no-test";
}

}  // namespace

json ProgramResult::Json() const {
  return json::parse(out, nullptr, false);
}

std::string ProgramResult::Describe() const {
  return (timed_out ? "timed out" : "exit " + std::to_string(exit_code)) + "\n--- stdout\n" + out +
         "--- stderr\n" + err;
}

ProgramResult RunProgram(const std::string& program, const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& env, const fs::path& scratch,
                         std::chrono::seconds limit) {
  const std::string n = std::to_string(++g_runs);
  const fs::path out_file = scratch / (".run-" + n + ".out");
  const fs::path err_file = scratch / (".run-" + n + ".err");
  ProgramResult r;
  pid_t pid = Spawn(program, args, env, out_file, err_file);
  if (pid < 0) {
    r.err = "fork failed";
    return r;
  }
  bool killed = false;
  int st = WaitWithDeadline(pid, std::chrono::steady_clock::now() + limit, killed);
  r.timed_out = killed;
  r.exit_code = !killed && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.out = ReadText(out_file);
  r.err = ReadText(err_file);
  std::error_code ec;
  fs::remove(out_file, ec);
  fs::remove(err_file, ec);
  return r;
}

TempDir::TempDir(const std::string& tag) {
  std::string name = "sendsync-e2e-" + std::to_string(::getpid()) + "-" + TestName();
  if (!tag.empty()) name += "-" + tag;
  for (char& c : name)
    if (c == '/' || c == ' ') c = '_';
  path_ = fs::temp_directory_path() / name;
  fs::remove_all(path_);
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  if (::testing::Test::HasFailure()) {
    std::fprintf(stderr, "kept %s for inspection\n", path_.c_str());
    return;
  }
  std::error_code ec;
  fs::remove_all(path_, ec);
}

Cli::Cli(fs::path dir) : dir_(std::move(dir)) {
  db_url_ = "sqlite:" + (dir_ / "hub.db").string();
  env_ = {{"SENDSYNC_DB", db_url_},
          {"SENDSYNC_PLUGINS", PLUGIN_DIR},
          {"SENDSYNC_ADAPTER_HOST", WORKER_PATH},
          {"SENDSYNC_CONFIG", ""},
          // Sanitizer builds: the CLI is a short-lived process; leaks are the unit tests' business.
          {"ASAN_OPTIONS", "detect_leaks=0"}};
}

ProgramResult Cli::Run(const std::vector<std::string>& args) const {
  return RunProgram(SENDSYNC_BIN, args, env_, dir_);
}

json Cli::RunJson(std::vector<std::string> args, int expected_exit) const {
  std::string shown;
  for (const auto& a : args) shown += " " + a;
  args.push_back("--json");
  ProgramResult r = Run(args);
  json j = r.Json();
  if (r.exit_code != expected_exit || j.is_discarded()) {
    ADD_FAILURE() << "sendsync" << shown << " --json: expected exit " << expected_exit
                  << " and JSON, got " << r.Describe();
    return json();
  }
  return j;
}

SimProcess::~SimProcess() {
  Stop();
}

bool SimProcess::Start(const std::string& program, std::vector<std::string> args,
                       const fs::path& dir, const std::string& name, std::string& error) {
  const fs::path port_file = dir / (name + ".port");
  log_ = dir / (name + ".log");
  std::error_code ec;
  fs::remove(port_file, ec);
  args.push_back("--port-file");
  args.push_back(port_file.string());
  pid_ = Spawn(program, args, {{"ASAN_OPTIONS", "detect_leaks=0"}}, dir / (name + ".out"), log_);
  if (pid_ < 0) {
    error = "fork failed";
    return false;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      error = program + " exited before listening: " + Log();
      return false;
    }
    std::ifstream in(port_file);
    int port = 0;
    if (in >> port && port > 0 && port < 65536) {
      port_ = static_cast<uint16_t>(port);
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  error = program + " did not write its port file within 20 s: " + Log();
  Stop();
  return false;
}

int SimProcess::Stop() {
  if (pid_ <= 0) return 0;
  ::kill(pid_, SIGTERM);
  bool killed = false;
  int st =
      WaitWithDeadline(pid_, std::chrono::steady_clock::now() + std::chrono::seconds(10), killed);
  pid_ = -1;
  return !killed && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

std::string SimProcess::Log() const {
  return ReadText(log_);
}

json HttpReply::Json() const {
  return json::parse(body, nullptr, false);
}

HttpReply Http(uint16_t port, const std::string& method, const std::string& path,
               const std::string& body) {
  HttpReply reply;
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", port);
    session.setTimeout(Poco::Timespan(30, 0));
    Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    if (!body.empty()) {
      req.setContentType("application/json");
      req.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    std::ostream& os = session.sendRequest(req);
    os << body;
    Poco::Net::HTTPResponse res;
    std::istream& is = session.receiveResponse(res);
    Poco::StreamCopier::copyToString(is, reply.body);
    reply.status = static_cast<int>(res.getStatus());
  } catch (const Poco::Exception& e) {
    reply.error = e.displayText();
  }
  return reply;
}

void WriteText(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string ReadText(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<json> ReadJsonLines(const fs::path& file) {
  std::vector<json> out;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos)
      out.push_back(json::parse(line, nullptr, false));
  return out;
}

}  // namespace sendsync::e2e
