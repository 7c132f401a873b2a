// Internal to plugins/: one running sendsync-adapter-host child, started with posix_spawn, and
// what the host can learn about it (exit reason, resident memory).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "sendsync/sdk/status.h"

namespace sendsync::plugins::detail {

class WorkerProcess {
 public:
  // Starts `exe` with `args`; its stdin and stdout become pipes to this object, stderr is shared.
  static Result<std::unique_ptr<WorkerProcess>> Start(const std::string& exe,
                                                      const std::vector<std::string>& args);
  ~WorkerProcess();  // kills and reaps the child if it still runs

  int to_child() const { return to_child_; }      // write end of the child's stdin
  int from_child() const { return from_child_; }  // read end of the child's stdout
  pid_t pid() const { return pid_; }

  // Resident set size in MiB (0 when unknown).
  size_t ResidentMiB() const;
  // Sends SIGKILL (if still running) and reaps. Returns how the child ended, for people:
  // "exited with code 3", "crashed (SIGSEGV: Segmentation fault)", ...
  std::string KillAndReap();
  // Waits up to `ms` for the child to end by itself; returns how it ended, or "" if it still runs.
  std::string WaitFor(int ms);
  void CloseInput();

 private:
  WorkerProcess() = default;
  std::string Describe(int wait_status) const;

  pid_t pid_ = -1;
  int to_child_ = -1, from_child_ = -1;
  bool reaped_ = false;
  std::string ended_;
};

// The worker executable to use: `configured` if set, else $SENDSYNC_ADAPTER_HOST, else
// sendsync-adapter-host next to the running executable, else the installed one in
// <exe>/../lib/sendsync/ (the Debian package's /usr/lib/sendsync/).
std::string WorkerPath(const std::string& configured);

}  // namespace sendsync::plugins::detail
