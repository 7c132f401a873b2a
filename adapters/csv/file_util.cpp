#include "file_util.h"

#include <Poco/Crypto/DigestEngine.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sendsync/sdk/regular_file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <vector>

namespace sendsync::csv {
namespace {

namespace fs = std::filesystem;

std::string Errno(const std::string& what, const std::string& path) {
  return what + " '" + path + "': " + std::strerror(errno);
}

}  // namespace

std::optional<FileStamp> StampOf(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  FileStamp s;
  s.device = st.st_dev;
  s.inode = st.st_ino;
  s.size = static_cast<uint64_t>(st.st_size);
  s.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return s;
}

Result<std::optional<std::string>> CurrentFile(const SourceSpec& source) {
  std::string folder = source.ExportFolder();
  struct stat st;
  if (::stat(folder.c_str(), &st) != 0)
    return Status::Unavailable("the export folder '" + folder + "' cannot be reached (" +
                               std::strerror(errno) + ")");
  if (!S_ISDIR(st.st_mode)) return Status::InvalidArgument("'" + folder + "' is not a folder");
  const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  auto settled = [&](const FileStamp& s) {
    return now_ns - s.mtime_ns >= int64_t{source.settle_seconds} * 1000000000;
  };
  // A name that is there but is not a regular file (a symbolic link, a FIFO, a folder) is refused
  // with its reason: a link would carry whatever it points to into sendsync.
  auto refuse_odd = [&](const std::string& path) -> Status {
    Status st = sdk::CheckRegularFile(fs::path(path).parent_path(), fs::path(path).filename());
    return st.code() == Status::Code::kNotFound ? Status::OK() : st;
  };
  if (source.pattern.empty()) {
    SENDSYNC_RETURN_IF_ERROR(refuse_odd(source.path));
    std::optional<FileStamp> s = StampOf(source.path);
    if (!s || !settled(*s)) return std::optional<std::string>();
    return std::optional<std::string>(source.path);
  }
  std::error_code ec;
  fs::directory_iterator it(folder, ec);
  if (ec)
    return Status::Unavailable("cannot list the export folder '" + folder + "': " + ec.message());
  std::optional<std::string> best;
  FileStamp best_stamp;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) return Status::Unavailable("cannot list '" + folder + "': " + ec.message());
    std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.' || ::fnmatch(source.pattern.c_str(), name.c_str(), 0) != 0)
      continue;
    SENDSYNC_RETURN_IF_ERROR(refuse_odd(it->path().string()));
    std::optional<FileStamp> s = StampOf(it->path().string());
    if (!s || !settled(*s)) continue;
    bool better = !best;
    if (best) {
      std::string best_name = fs::path(*best).filename().string();
      if (source.pick == Pick::kNewest)
        better = s->mtime_ns > best_stamp.mtime_ns ||
                 (s->mtime_ns == best_stamp.mtime_ns && name > best_name);
      else
        better = name > best_name;
    }
    if (better) {
      best = it->path().string();
      best_stamp = *s;
    }
  }
  return best;
}

Result<std::string> HashPrefix(const std::string& path, uint64_t bytes, uint64_t* hashed) {
  Result<sdk::RegularFile> opened = sdk::RegularFile::Open(path);
  if (!opened.ok()) return opened.status();
  const int fd = opened->fd();
  Poco::Crypto::DigestEngine sha("SHA256");
  std::vector<char> buf(64 * 1024);
  uint64_t done = 0;
  while (done < bytes) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), bytes - done));
    ssize_t n = ::read(fd, buf.data(), want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IoError(Errno("cannot read", path));
    if (n == 0) break;
    sha.update(buf.data(), static_cast<size_t>(n));
    done += static_cast<uint64_t>(n);
  }
  if (hashed) *hashed = done;
  return Poco::Crypto::DigestEngine::digestToHex(sha.digest());
}

}  // namespace sendsync::csv
