// Opening files that someone other than the operator may have placed: the files in a drop folder
// or export folder. A name there is read only when it is a regular file inside the folder; a
// symbolic link, a FIFO, a device, a socket or a folder is refused with a reason and never opened
// for reading, so a link to /etc/shadow cannot carry that file's content into sendsync. For
// adapter authors (the bundled drop-folder adapters use it) and the host alike.
#pragma once

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <istream>
#include <memory>
#include <string>

#include "sendsync/sdk/status.h"

namespace sendsync::sdk {

// A read-only regular file opened without following symbolic links. Owns its descriptor.
class RegularFile {
 public:
  // Opens `relative` inside `folder` for reading. `folder` is the operator's choice and is taken
  // as it is; every part of `relative` is opened with O_NOFOLLOW ("..", absolute paths and
  // symbolic links are refused), every part but the last must be a real folder, and the last must
  // be a regular file, checked with fstat on the opened descriptor so that a name swapped for a
  // link after a listing cannot slip through. Nothing that is not a regular file is ever opened.
  // NotFound when nothing is there; InvalidArgument saying what is there otherwise ("... is a
  // symbolic link; ..."); IoError for other failures.
  static Result<RegularFile> Open(const std::filesystem::path& folder, const std::string& relative);
  // Opens `path` as above, its parent folder being the folder.
  static Result<RegularFile> Open(const std::filesystem::path& path);

  RegularFile(RegularFile&& other) noexcept : fd_(other.fd_), info_(other.info_) { other.fd_ = -1; }
  RegularFile& operator=(RegularFile&& other) noexcept;
  RegularFile(const RegularFile&) = delete;
  RegularFile& operator=(const RegularFile&) = delete;
  ~RegularFile();

  int fd() const { return fd_; }
  // What fstat said of the opened descriptor.
  const struct stat& info() const { return info_; }
  // A stdio stream reading the file (the stream then owns the descriptor); nullptr on failure.
  std::FILE* ToFile() &&;
  // An input stream reading the file from its current offset (it then owns the descriptor).
  std::unique_ptr<std::istream> ToStream() &&;

 private:
  static Result<RegularFile> OpenInside(const std::filesystem::path& folder,
                                        const std::string& relative, const std::string& shown);
  RegularFile(int fd, const struct stat& info) : fd_(fd), info_(info) {}
  int fd_;
  struct stat info_;
};

// What kind of thing `mode` (st_mode) names, for messages: "a symbolic link", "a FIFO", ...
const char* FileKindName(mode_t mode);

// Says whether the name `name` inside `folder` is a regular file, without following a link.
// OK when it is; NotFound when there is nothing; InvalidArgument saying what it is otherwise.
Status CheckRegularFile(const std::filesystem::path& folder, const std::string& name);

}  // namespace sendsync::sdk
