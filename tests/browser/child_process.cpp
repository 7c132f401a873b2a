#include "child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <thread>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

namespace sendsync::browser {
namespace {

// In the child after fork: environment, output to the log, then exec. Never returns.
[[noreturn]] void ExecChild(const std::string& program, const std::vector<std::string>& args,
                            const std::map<std::string, std::string>& env,
                            const std::filesystem::path& log) {
  for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (fd >= 0) {
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::close(fd);
  }
  int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull >= 0) ::dup2(devnull, 0);
  // Our own process group, so a stop reaches what the child starts (chromedriver's chromium).
  ::setpgid(0, 0);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv(program.c_str(), argv.data());
  ::_exit(127);
}

std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

CliResult RunToEnd(const std::string& program, const std::vector<std::string>& args,
                   const std::map<std::string, std::string>& env,
                   const std::filesystem::path& log) {
  std::error_code ec;
  std::filesystem::remove(log, ec);
  CliResult r;
  pid_t pid = ::fork();
  if (pid < 0) return r;
  if (pid == 0) ExecChild(program, args, env, log);
  int st = 0;
  ::waitpid(pid, &st, 0);
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.output = ReadAll(log);
  return r;
}

bool Background::Start(const std::string& program, const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env,
                       const std::filesystem::path& log) {
  Stop();
  log_ = log;
  pid_ = ::fork();
  if (pid_ < 0) return false;
  if (pid_ == 0) ExecChild(program, args, env, log);
  ::setpgid(pid_, pid_);  // also here, so a Stop right after Start cannot miss the group
  return true;
}

bool Background::Running() {
  if (pid_ <= 0) return false;
  int st = 0;
  pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r == 0) return true;
  pid_ = -1;
  return false;
}

void Background::Stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  int st = 0;
  while (::waitpid(pid_, &st, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(-pid_, SIGKILL);
      ::waitpid(pid_, &st, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // Whatever else is left in the group (a browser the driver started) goes too.
  ::kill(-pid_, SIGKILL);
  pid_ = -1;
}

std::string Background::Log() const {
  return ReadAll(log_);
}

int FreeLoopbackPort() {
  Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
  int port = s.address().port();
  s.close();
  return port;
}

}  // namespace sendsync::browser
