#include "worker_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <thread>
#include <utility>

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/filesystem/operations.hpp>

namespace sendsync::plugins::detail {

namespace {

// Closes what it holds unless released.
struct Fds {
  int fd[2] = {-1, -1};
  ~Fds() {
    for (int f : fd)
      if (f >= 0) ::close(f);
  }
};

std::string Errno(const char* what, int err) {
  return std::string(what) + ": " + std::strerror(err);
}

}  // namespace

Result<std::unique_ptr<WorkerProcess>> WorkerProcess::Start(const std::string& exe,
                                                            const std::vector<std::string>& args) {
  // A worker that dies while we write to it must cost an error value, not the host process.
  static std::once_flag once;
  std::call_once(once, [] { ::signal(SIGPIPE, SIG_IGN); });

  const std::string cannot = "cannot start adapter worker " + exe + ": ";
  // Both pipes are close-on-exec here, so no other child started meanwhile inherits them; the
  // child gets its ends as stdin and stdout (dup2 clears the flag), and nothing else: every other
  // descriptor is closed in one call (close_range) rather than one close() per possible
  // descriptor, which costs seconds under a container's limit of a million open files.
  Fds in, out;  // in: host -> child stdin; out: child stdout -> host
  if (::pipe2(in.fd, O_CLOEXEC) != 0 || ::pipe2(out.fd, O_CLOEXEC) != 0)
    return Status::Unavailable(cannot + Errno("pipe", errno));
  posix_spawn_file_actions_t actions;
  if (int e = ::posix_spawn_file_actions_init(&actions); e != 0)
    return Status::Unavailable(cannot + Errno("posix_spawn_file_actions_init", e));
  int e = ::posix_spawn_file_actions_adddup2(&actions, in.fd[0], STDIN_FILENO);
  if (e == 0) e = ::posix_spawn_file_actions_adddup2(&actions, out.fd[1], STDOUT_FILENO);
  if (e == 0) e = ::posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(exe.c_str()));
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (e == 0) e = ::posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv.data(), environ);
  ::posix_spawn_file_actions_destroy(&actions);
  if (e != 0) return Status::Unavailable(cannot + std::strerror(e));

  std::unique_ptr<WorkerProcess> w(new WorkerProcess());
  w->pid_ = pid;
  w->to_child_ = std::exchange(in.fd[1], -1);
  w->from_child_ = std::exchange(out.fd[0], -1);
  return w;  // the child's ends close with `in` and `out`
}

WorkerProcess::~WorkerProcess() {
  if (!reaped_) KillAndReap();
  CloseInput();
  if (from_child_ >= 0) ::close(from_child_);
}

void WorkerProcess::CloseInput() {
  if (to_child_ >= 0) ::close(to_child_);
  to_child_ = -1;
}

size_t WorkerProcess::ResidentMiB() const {
  std::ifstream f("/proc/" + std::to_string(pid_) + "/statm");
  size_t size = 0, resident = 0;
  if (!(f >> size >> resident)) return 0;
  return resident * static_cast<size_t>(::sysconf(_SC_PAGESIZE)) / (1024 * 1024);
}

std::string WorkerProcess::Describe(int st) const {
  if (WIFEXITED(st)) return "exited with code " + std::to_string(WEXITSTATUS(st));
  if (WIFSIGNALED(st)) {
    int sig = WTERMSIG(st);
    const char* abbrev = ::sigabbrev_np(sig);
    std::string name = abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
    const char* text = ::strsignal(sig);
    std::string what = sig == SIGABRT ? "aborted" : "crashed";
    return what + " (" + name + (text ? std::string(": ") + text : "") + ")";
  }
  return "ended (wait status " + std::to_string(st) + ")";
}

std::string WorkerProcess::WaitFor(int ms) {
  if (reaped_) return ended_;
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  for (;;) {
    int st = 0;
    pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      ended_ = Describe(st);
      return ended_;
    }
    if (r < 0) {
      reaped_ = true;
      ended_ = "ended";
      return ended_;
    }
    if (std::chrono::steady_clock::now() >= until) return "";
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::string WorkerProcess::KillAndReap() {
  if (reaped_) return ended_;
  std::string ended = WaitFor(0);
  if (!ended.empty()) return ended;
  ::kill(pid_, SIGKILL);
  int st = 0;
  while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  ended_ = "killed by the host";
  return ended_;
}

std::string WorkerPath(const std::string& configured) {
  if (!configured.empty()) return configured;
  if (const char* env = std::getenv("SENDSYNC_ADAPTER_HOST"); env && *env) return env;
  // In a build tree (and a hand install) the worker sits next to `sendsync`; the Debian package
  // keeps it out of PATH, in the private folder beside the bundled adapters
  // (<prefix>/lib/sendsync).
  const boost::filesystem::path exe_dir = boost::dll::program_location().parent_path();
  const boost::filesystem::path beside = exe_dir / "sendsync-adapter-host";
  if (boost::filesystem::exists(beside)) return beside.string();
  const boost::filesystem::path installed =
      exe_dir.parent_path() / "lib" / "sendsync" / "sendsync-adapter-host";
  if (boost::filesystem::exists(installed)) return installed.lexically_normal().string();
  return beside.string();
}

}  // namespace sendsync::plugins::detail
