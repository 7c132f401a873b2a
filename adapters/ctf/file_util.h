// Small file-system helpers the CTF adapter needs to be crash-safe and never lose a file:
// durable appends and writes (fsync), moves that never overwrite, a folder lock shared with other
// processes, content hashes. Errors come back as Status values, never exceptions. Internal to
// adapters/ctf.
#pragma once

#include <filesystem>
#include <string>

#include <sendsync/sdk/status.h>

namespace sendsync::ctf {

namespace fs = std::filesystem;

// Appends `line` and a newline to `path` (created if absent) and fsyncs it.
Status AppendLineDurably(const fs::path& path, const std::string& line);

// Creates `path` (which must not exist) holding `content`, and fsyncs it.
Status WriteNewFileDurably(const fs::path& path, const std::string& content);

// fsyncs a folder, so renames and new names in it survive a crash.
Status SyncFolder(const fs::path& folder);

// Moves `from` to `to` without ever replacing an existing `to` (hard link then unlink; rename
// after a check where the file system has no hard links), then syncs both folders.
Status MoveNoClobber(const fs::path& from, const fs::path& to);

// `dir/name`, or `dir/<stem>.<tag><ext>` (then .<tag>-2 ...) when that name is taken.
fs::path FreeName(const fs::path& dir, const std::string& name, const std::string& tag);

// Hex SHA-256 of a file's content, read in chunks.
Result<std::string> Sha256OfFile(const fs::path& path);

// Local time as yyyy-mm-ddThh:mm:ss (the CTF header's DateTime form).
std::string NowLocalIso();

// An exclusive lock on `path` (created if absent) held for the object's lifetime. Shared with
// other processes through flock, so two instances on one folder take turns.
class FolderLock {
 public:
  // Waits up to about 10 s, then fails with Unavailable.
  static Result<FolderLock> Acquire(const fs::path& path);
  FolderLock(FolderLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FolderLock& operator=(FolderLock&&) = delete;
  FolderLock(const FolderLock&) = delete;
  ~FolderLock();

 private:
  explicit FolderLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace sendsync::ctf
