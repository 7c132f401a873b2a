#include "worker_process.h"

#include <signal.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <thread>

#include <Poco/Exception.h>
#include <Poco/Pipe.h>
#include <Poco/Process.h>
#include <boost/dll/runtime_symbol_info.hpp>

namespace sendsync::plugins::detail {

Result<std::unique_ptr<WorkerProcess>> WorkerProcess::Start(const std::string& exe,
                                                            const std::vector<std::string>& args) {
  // A worker that dies while we write to it must cost an error value, not the host process.
  static std::once_flag once;
  std::call_once(once, [] { ::signal(SIGPIPE, SIG_IGN); });

  std::unique_ptr<WorkerProcess> w(new WorkerProcess());
  w->in_ = std::make_unique<Poco::Pipe>();
  w->out_ = std::make_unique<Poco::Pipe>();
  try {
    Poco::Process::Args a(args.begin(), args.end());
    Poco::ProcessHandle h = Poco::Process::launch(exe, a, w->in_.get(), w->out_.get(), nullptr);
    w->handle_ = std::make_unique<Poco::ProcessHandle>(h);
  } catch (const Poco::Exception& e) {
    return Status::Unavailable("cannot start adapter worker " + exe + ": " + e.displayText());
  }
  w->pid_ = static_cast<pid_t>(w->handle_->id());
  w->to_child_ = w->in_->writeHandle();
  w->from_child_ = w->out_->readHandle();
  // Our copies of the child's ends must not stay open here, or we would never see end-of-file.
  w->in_->close(Poco::Pipe::CLOSE_READ);
  w->out_->close(Poco::Pipe::CLOSE_WRITE);
  // Later workers must not inherit these ends either.
  ::fcntl(w->to_child_, F_SETFD, FD_CLOEXEC);
  ::fcntl(w->from_child_, F_SETFD, FD_CLOEXEC);
  return w;
}

WorkerProcess::~WorkerProcess() {
  if (!reaped_) KillAndReap();
}

void WorkerProcess::CloseInput() {
  if (in_) in_->close(Poco::Pipe::CLOSE_WRITE);
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
  return (boost::dll::program_location().parent_path() / "sendsync-adapter-host").string();
}

}  // namespace sendsync::plugins::detail
