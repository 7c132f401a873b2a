#include "sendsync/sdk/regular_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <streambuf>
#include <vector>

namespace sendsync::sdk {
namespace {

namespace fs = std::filesystem;

std::string Refusal(const std::string& shown, const char* kind) {
  return "'" + shown + "' is " + kind +
         ", not a regular file; sendsync reads only regular files placed in the folder itself and "
         "never follows links";
}

// Reads a descriptor through a fixed buffer; closes it when destroyed.
class FdBuf : public std::streambuf {
 public:
  explicit FdBuf(int fd) : fd_(fd), buf_(64 * 1024) { setg(buf_.data(), buf_.data(), buf_.data()); }
  ~FdBuf() override { ::close(fd_); }
  FdBuf(const FdBuf&) = delete;
  FdBuf& operator=(const FdBuf&) = delete;

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    ssize_t n;
    do n = ::read(fd_, buf_.data(), buf_.size());
    while (n < 0 && errno == EINTR);
    // A read error must not look like the end of the file: the stream turns this into badbit.
    if (n < 0) throw std::ios_base::failure(std::string("read failed: ") + std::strerror(errno));
    if (n == 0) return traits_type::eof();
    setg(buf_.data(), buf_.data(), buf_.data() + n);
    return traits_type::to_int_type(*gptr());
  }
  pos_type seekoff(off_type off, std::ios_base::seekdir dir, std::ios_base::openmode) override {
    if (dir == std::ios_base::cur) off -= egptr() - gptr();
    off_t at = ::lseek(fd_, off,
                       dir == std::ios_base::beg   ? SEEK_SET
                       : dir == std::ios_base::cur ? SEEK_CUR
                                                   : SEEK_END);
    if (at < 0) return pos_type(off_type(-1));
    setg(buf_.data(), buf_.data(), buf_.data());
    return pos_type(at);
  }
  pos_type seekpos(pos_type pos, std::ios_base::openmode mode) override {
    return seekoff(off_type(pos), std::ios_base::beg, mode);
  }

 private:
  int fd_;
  std::vector<char> buf_;
};

class FdStream : public std::istream {
 public:
  explicit FdStream(int fd) : std::istream(nullptr), buf_(fd) { rdbuf(&buf_); }

 private:
  FdBuf buf_;
};

// Opens one part `name` in `dirfd` without following a link; `want_dir` for a folder part.
// The kind is checked with fstatat first, so a FIFO or device is never opened, and again with
// fstat on the descriptor, so a swap between the two cannot pass.
Result<int> OpenPart(int dirfd, const std::string& name, const std::string& shown, bool want_dir) {
  if (name.empty() || name == "." || name == "..")
    return Status::InvalidArgument("'" + shown +
                                   "' leaves the folder; sendsync reads only files "
                                   "inside it");
  struct stat before;
  if (::fstatat(dirfd, name.c_str(), &before, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return Status::NotFound("'" + shown + "' does not exist");
    return Status::IoError("cannot look at '" + shown + "': " + std::strerror(errno));
  }
  const bool right_kind = want_dir ? S_ISDIR(before.st_mode) : S_ISREG(before.st_mode);
  if (!right_kind) {
    if (want_dir && !S_ISLNK(before.st_mode))
      return Status::InvalidArgument("'" + shown + "' is " + FileKindName(before.st_mode) +
                                     ", not a folder");
    return Status::InvalidArgument(Refusal(shown, FileKindName(before.st_mode)));
  }
  int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | (want_dir ? O_DIRECTORY : 0);
  int fd;
  do fd = ::openat(dirfd, name.c_str(), flags);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound("'" + shown + "' does not exist");
    if (errno == ELOOP || errno == ENOTDIR)
      return Status::InvalidArgument(Refusal(shown, "a symbolic link"));
    return Status::IoError("cannot open '" + shown + "': " + std::strerror(errno));
  }
  struct stat after;
  if (::fstat(fd, &after) != 0 || after.st_dev != before.st_dev || after.st_ino != before.st_ino ||
      (want_dir ? !S_ISDIR(after.st_mode) : !S_ISREG(after.st_mode))) {
    ::close(fd);
    return Status::InvalidArgument("'" + shown + "' was replaced while it was being opened; " +
                                   "it is read on a later try if it is then a regular file");
  }
  // Reads of a regular file never block; clear the flag that kept a FIFO from blocking the open.
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

}  // namespace

const char* FileKindName(mode_t mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

Result<RegularFile> RegularFile::Open(const fs::path& folder, const std::string& relative) {
  return OpenInside(folder, relative, relative);
}

Result<RegularFile> RegularFile::OpenInside(const fs::path& folder, const std::string& relative,
                                            const std::string& shown) {
  fs::path rel(relative);
  if (rel.empty() || rel.is_absolute())
    return Status::InvalidArgument("'" + relative + "' is not a name inside the folder");
  int dirfd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) {
    if (errno == ENOENT) return Status::NotFound("'" + folder.string() + "' does not exist");
    return Status::IoError("cannot open the folder '" + folder.string() +
                           "': " + std::strerror(errno));
  }
  std::vector<std::string> parts;
  for (const fs::path& p : rel) parts.push_back(p.string());
  for (size_t i = 0; i < parts.size(); ++i) {
    const bool last = i + 1 == parts.size();
    Result<int> next = OpenPart(dirfd, parts[i], shown, !last);
    ::close(dirfd);
    if (!next.ok()) return next.status();
    dirfd = *next;
  }
  struct stat info;
  if (::fstat(dirfd, &info) != 0) {
    int err = errno;
    ::close(dirfd);
    return Status::IoError("cannot look at '" + shown + "': " + std::strerror(err));
  }
  return RegularFile(dirfd, info);
}

Result<RegularFile> RegularFile::Open(const fs::path& path) {
  fs::path folder = path.parent_path();
  if (folder.empty()) folder = ".";
  return OpenInside(folder, path.filename().string(), path.string());
}

RegularFile& RegularFile::operator=(RegularFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    info_ = other.info_;
    other.fd_ = -1;
  }
  return *this;
}

RegularFile::~RegularFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::FILE* RegularFile::ToFile() && {
  std::FILE* f = ::fdopen(fd_, "rb");
  if (f) fd_ = -1;
  return f;
}

std::unique_ptr<std::istream> RegularFile::ToStream() && {
  auto in = std::make_unique<FdStream>(fd_);
  fd_ = -1;
  return in;
}

Status CheckRegularFile(const fs::path& folder, const std::string& name) {
  struct stat st;
  const fs::path path = folder / name;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::NotFound("'" + name + "' does not exist");
    return Status::IoError("cannot look at '" + name + "': " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument(Refusal(name, FileKindName(st.st_mode)));
  return Status::OK();
}

}  // namespace sendsync::sdk
