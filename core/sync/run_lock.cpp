#include "core/sync/run_lock.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace sendsync::sync::detail {

Result<std::unique_ptr<RunLock>> RunLock::TryTake(const std::string& path, int64_t link_id) {
  if (link_id < 0) return Status::InvalidArgument("run lock: negative link id");
  // O_CLOEXEC: an adapter worker started by this process must not inherit, and so keep, the lock.
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return Status::IoError("cannot open the run lock file " + path + ": " + std::strerror(errno));
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = static_cast<off_t>(link_id);
  fl.l_len = 1;
  if (::fcntl(fd, F_OFD_SETLK, &fl) == 0) return std::unique_ptr<RunLock>(new RunLock(fd));
  const int err = errno;
  ::close(fd);
  if (err == EAGAIN || err == EACCES) return std::unique_ptr<RunLock>();
  return Status::IoError("cannot lock the run lock file " + path + ": " + std::strerror(err));
}

RunLock::~RunLock() {
  ::close(fd_);  // drops the lock
}

std::string RunLockPathFor(const std::string& store_connector, const std::string& connection) {
  if (store_connector != "SQLite" || connection.empty() || connection == ":memory:") return "";
  return connection + "-runs.lock";
}

bool ProcessEnded(long pid) {
  if (pid <= 0) return false;
  if (::kill(static_cast<pid_t>(pid), 0) != 0) return errno == ESRCH;
  // /proc/<pid>/stat: "pid (comm) S ...": the state follows the last ')'.
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return false;
  const char state = stat[close + 2];
  return state == 'Z' || state == 'X';
}

}  // namespace sendsync::sync::detail
