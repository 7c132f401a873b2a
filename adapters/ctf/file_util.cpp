#include "file_util.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <thread>

#include <Poco/Crypto/DigestEngine.h>
#include <Poco/Exception.h>
#include <sendsync/sdk/regular_file.h>

namespace sendsync::ctf {
namespace {

std::string Errno() {
  return std::strerror(errno);
}

Status WriteAll(int fd, const std::string& data, const fs::path& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Unavailable("cannot write '" + path.string() + "': " + Errno());
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0)
    return Status::Unavailable("cannot flush '" + path.string() + "' to disk: " + Errno());
  return Status::OK();
}

}  // namespace

Status AppendLineDurably(const fs::path& path, const std::string& line) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return Status::Unavailable("cannot open '" + path.string() + "': " + Errno());
  Status st = WriteAll(fd, line + "\n", path);
  ::close(fd);
  return st;
}

Status WriteNewFileDurably(const fs::path& path, const std::string& content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) return Status::Unavailable("cannot create '" + path.string() + "': " + Errno());
  Status st = WriteAll(fd, content, path);
  ::close(fd);
  return st;
}

Status SyncFolder(const fs::path& folder) {
  int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return Status::Unavailable("cannot open folder '" + folder.string() + "': " + Errno());
  int rc = ::fsync(fd);
  ::close(fd);
  // Some network file systems refuse fsync on a folder; the rename itself has still happened.
  if (rc != 0 && errno != EINVAL && errno != ENOTSUP)
    return Status::Unavailable("cannot sync folder '" + folder.string() + "': " + Errno());
  return Status::OK();
}

Status MoveNoClobber(const fs::path& from, const fs::path& to) {
  if (::link(from.c_str(), to.c_str()) == 0) {
    if (::unlink(from.c_str()) != 0)
      return Status::Unavailable("moved '" + from.string() + "' to '" + to.string() +
                                 "' but cannot remove the old name: " + Errno());
  } else if (errno == EEXIST) {
    return Status::AlreadyExists("'" + to.string() + "' already exists; not overwriting it");
  } else if (errno == EPERM || errno == ENOTSUP || errno == EOPNOTSUPP || errno == EXDEV) {
    std::error_code ec;
    if (fs::exists(to, ec))
      return Status::AlreadyExists("'" + to.string() + "' already exists; not overwriting it");
    if (::rename(from.c_str(), to.c_str()) != 0)
      return Status::Unavailable("cannot move '" + from.string() + "' to '" + to.string() +
                                 "': " + Errno());
  } else {
    return Status::Unavailable("cannot move '" + from.string() + "' to '" + to.string() +
                               "': " + Errno());
  }
  SENDSYNC_RETURN_IF_ERROR(SyncFolder(to.parent_path()));
  if (from.parent_path() != to.parent_path()) return SyncFolder(from.parent_path());
  return Status::OK();
}

fs::path FreeName(const fs::path& dir, const std::string& name, const std::string& tag) {
  std::error_code ec;
  fs::path candidate = dir / name;
  if (!fs::exists(candidate, ec)) return candidate;
  fs::path n(name);
  std::string stem = n.stem().string(), ext = n.extension().string();
  for (int i = 1;; ++i) {
    std::string suffix = "." + tag + (i == 1 ? "" : "-" + std::to_string(i));
    candidate = dir / (stem + suffix + ext);
    if (!fs::exists(candidate, ec)) return candidate;
  }
}

Result<std::string> Sha256OfFile(const fs::path& path) {
  Result<sdk::RegularFile> opened = sdk::RegularFile::Open(path);
  if (!opened.ok())
    return Status::Unavailable("cannot open '" + path.string() +
                               "' to read it: " + opened.status().message());
  std::unique_ptr<std::istream> stream = std::move(*opened).ToStream();
  std::istream& in = *stream;
  try {
    Poco::Crypto::DigestEngine engine("SHA256");
    char buf[65536];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      engine.update(buf, static_cast<unsigned>(in.gcount()));
      if (in.eof()) break;
    }
    if (in.bad()) return Status::Unavailable("cannot read '" + path.string() + "'");
    return Poco::DigestEngine::digestToHex(engine.digest());
  } catch (const Poco::Exception& e) {
    return Status::Internal("cannot hash '" + path.string() + "': " + e.displayText());
  }
}

std::string NowLocalIso() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return buf;
}

Result<FolderLock> FolderLock::Acquire(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0)
    return Status::Unavailable("cannot open lock file '" + path.string() + "': " + Errno());
  for (int attempt = 0; attempt < 200; ++attempt) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return FolderLock(fd);
    if (errno != EWOULDBLOCK && errno != EINTR) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::close(fd);
  return Status::Unavailable("another sendsync process is using '" + path.parent_path().string() +
                             "' (lock " + path.filename().string() + " is held); try again later");
}

FolderLock::~FolderLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the descriptor releases the flock
}

}  // namespace sendsync::ctf
