// Internal to core/sync: a host-wide mark that a process is running a link right now. The lease in
// the store keeps two runs of a link apart across hosts, but a crashed run leaves its lease behind
// until it expires; this mark lets a run on the same host tell at once whether the lease's holder
// still runs, even while the crashed process is a zombie that kill(pid, 0) still finds.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "sendsync/sdk/status.h"

namespace sendsync::sync::detail {

// An open-file-description lock (F_OFD_SETLK) on byte `link_id` of one lock file. The kernel
// drops it when its holder's descriptor closes, which happens as the process dies, before the
// process is reaped. Two runs conflict whether they are in two processes or two threads of one.
class RunLock {
 public:
  // Takes the lock of `link_id` in `path` (created, mode 0600, if missing; never through a
  // symbolic link). A null pointer when another run holds it; an error when the file cannot be
  // opened or locked.
  static Result<std::unique_ptr<RunLock>> TryTake(const std::string& path, int64_t link_id);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  explicit RunLock(int fd) : fd_(fd) {}
  const int fd_;
};

// The run-lock file of a SQLite store ("<file>-runs.lock", next to it); "" for other stores
// (PostgreSQL: the lease's expiry and a process check stand in for it).
std::string RunLockPathFor(const std::string& store_connector, const std::string& connection);

// Whether the process `pid` on this host has ended: it no longer exists, or it has exited and
// waits, as a zombie, to be reaped (which kill(pid, 0) alone takes for alive).
bool ProcessEnded(long pid);

}  // namespace sendsync::sync::detail
