#include "sendsync/sdk/durable_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

namespace sendsync::sdk {
namespace fs = std::filesystem;

Status FileErrorStatus(int err, const std::string& what, const std::string& path) {
  std::string msg = what + " '" + path + "': " + std::strerror(err);
  switch (err) {
    case ENOSPC:
    case EDQUOT:
    case EIO:
    case EAGAIN:
    case EINTR:
    case EBUSY:
    case ETIMEDOUT:
    case ENOLCK:
    case ESTALE:
    case ENETDOWN:
    case ENETUNREACH:
    case EHOSTDOWN:
    case EHOSTUNREACH:
    case ECONNRESET:
    case EROFS:
      return Status::Unavailable(msg);
    case EACCES:
    case EPERM:
      return Status::PermissionDenied(msg);
    case ENOENT:
    case ENOTDIR:
      return Status::NotFound(msg);
    case EEXIST:
      return Status::AlreadyExists(msg);
    default:
      return Status::IoError(msg);
  }
}

namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

class PosixFileSystem final : public FileSystem {
 public:
  Status Write(const fs::path& path, std::string_view data, Mode mode) override {
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (mode == Mode::kAppend ? O_APPEND : O_EXCL);
    Fd fd(::open(path.c_str(), flags, 0640));
    if (fd.get() < 0) return FileErrorStatus(errno, "cannot open", path.string());
    while (!data.empty()) {
      ssize_t n = ::write(fd.get(), data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return FileErrorStatus(errno, "cannot write", path.string());
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return Status::OK();
  }

  Status SyncFile(const fs::path& path) override {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return FileErrorStatus(errno, "cannot open", path.string());
    if (::fsync(fd.get()) != 0) return FileErrorStatus(errno, "cannot flush", path.string());
    return Status::OK();
  }

  Status SyncFolder(const fs::path& folder) override {
    fs::path f = folder.empty() ? fs::path(".") : folder;
    Fd fd(::open(f.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) return FileErrorStatus(errno, "cannot open folder", f.string());
    // Some network file systems refuse fsync on a folder (EINVAL/ENOTSUP); they make names
    // durable on their own.
    if (::fsync(fd.get()) != 0 && errno != EINVAL && errno != ENOTSUP)
      return FileErrorStatus(errno, "cannot flush folder", f.string());
    return Status::OK();
  }

  Status Rename(const fs::path& from, const fs::path& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0)
      return FileErrorStatus(errno, "cannot rename '" + from.string() + "' to", to.string());
    return Status::OK();
  }

  Status Link(const fs::path& from, const fs::path& to) override {
    if (::link(from.c_str(), to.c_str()) == 0) return Status::OK();
    int err = errno;
    if (err == EPERM || err == ENOTSUP || err == EOPNOTSUPP || err == EXDEV)
      return Status::FailedPrecondition("no hard link from '" + from.string() + "' to '" +
                                        to.string() + "': " + std::strerror(err));
    return FileErrorStatus(err, "cannot link '" + from.string() + "' to", to.string());
  }

  Status Remove(const fs::path& path) override {
    if (::unlink(path.c_str()) != 0) return FileErrorStatus(errno, "cannot remove", path.string());
    return Status::OK();
  }

  Status Truncate(const fs::path& path, uint64_t size) override {
    if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0)
      return FileErrorStatus(errno, "cannot truncate", path.string());
    return Status::OK();
  }

  Status CreateFolders(const fs::path& folder) override {
    if (folder.empty() || Exists(folder)) return Status::OK();
    SENDSYNC_RETURN_IF_ERROR(CreateFolders(folder.parent_path()));
    if (::mkdir(folder.c_str(), 0750) != 0 && errno != EEXIST)
      return FileErrorStatus(errno, "cannot create folder", folder.string());
    return SyncFolder(folder.parent_path());
  }

  Result<std::string> Read(const fs::path& path) override {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return FileErrorStatus(errno, "cannot open", path.string());
    std::string out;
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return FileErrorStatus(errno, "cannot read", path.string());
      if (n == 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

  bool Exists(const fs::path& path) override {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
  }
};

}  // namespace

FileSystem& RealFileSystem() {
  static PosixFileSystem fs;
  return fs;
}

Status AppendDurably(FileSystem& fs, const fs::path& path, std::string_view text) {
  const bool created = !fs.Exists(path);
  if (created) SENDSYNC_RETURN_IF_ERROR(fs.CreateFolders(path.parent_path()));
  SENDSYNC_RETURN_IF_ERROR(fs.Write(path, text, FileSystem::Mode::kAppend));
  SENDSYNC_RETURN_IF_ERROR(fs.SyncFile(path));
  if (created) return fs.SyncFolder(path.parent_path());
  return Status::OK();
}

Status WriteNewFileDurably(FileSystem& fs, const fs::path& path, std::string_view content) {
  Status st = fs.Write(path, content, FileSystem::Mode::kCreateNew);
  if (st.ok()) st = fs.SyncFile(path);
  if (!st.ok() && st.code() != Status::Code::kAlreadyExists) {
    // Best effort: a half-written new file is worth nothing; the error that matters is `st`.
    (void)fs.Remove(path);
  }
  return st;
}

Status WriteFileAtomically(FileSystem& fs, const fs::path& path, std::string_view content) {
  static std::atomic<unsigned> counter{0};
  const fs::path folder = path.parent_path();
  SENDSYNC_RETURN_IF_ERROR(fs.CreateFolders(folder));
  const fs::path tmp = folder / ("." + path.filename().string() + ".tmp-" +
                                 std::to_string(::getpid()) + "-" + std::to_string(counter++));
  Status st = WriteNewFileDurably(fs, tmp, content);
  if (st.ok()) st = fs.Rename(tmp, path);
  if (!st.ok()) {
    // Best effort: the temp name is ours alone and unused; `st` is the error to report.
    (void)fs.Remove(tmp);
    return st;
  }
  return fs.SyncFolder(folder);
}

Status MoveNoClobber(FileSystem& fs, const fs::path& from, const fs::path& to) {
  Status linked = fs.Link(from, to);
  if (linked.ok()) {
    Status st = fs.Remove(from);
    if (!st.ok())
      return st.WithContext("moved '" + from.string() + "' to '" + to.string() +
                            "' but cannot remove the old name");
  } else if (linked.code() == Status::Code::kFailedPrecondition) {
    if (fs.Exists(to))
      return Status::AlreadyExists("'" + to.string() + "' already exists; not overwriting it");
    SENDSYNC_RETURN_IF_ERROR(fs.Rename(from, to));
  } else if (linked.code() == Status::Code::kAlreadyExists) {
    return Status::AlreadyExists("'" + to.string() + "' already exists; not overwriting it");
  } else {
    return linked;
  }
  SENDSYNC_RETURN_IF_ERROR(fs.SyncFolder(to.parent_path()));
  if (from.parent_path() != to.parent_path()) return fs.SyncFolder(from.parent_path());
  return Status::OK();
}

Result<FolderLock> FolderLock::Acquire(const fs::path& path, int wait_ms) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return FileErrorStatus(errno, "cannot open lock file", path.string());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  for (;;) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return FolderLock(fd);
    if (errno != EWOULDBLOCK && errno != EINTR) break;
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::close(fd);
  return Status::Unavailable("another sendsync process is using '" + path.parent_path().string() +
                             "' (lock " + path.filename().string() + " is held); try again later");
}

FolderLock::~FolderLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the descriptor releases the flock
}

}  // namespace sendsync::sdk
