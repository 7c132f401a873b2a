// Durable files for adapters that keep state in files (drop folders, export folders, ledgers):
// writes that survive a power cut once they return OK, atomic replacement, moves that never
// overwrite, and a folder lock. Every operation goes through a FileSystem, so a test can put a
// fault-injecting one in its place (the test kit's FaultInjectionFileSystem forgets what was not
// fsynced, as a power cut does). For adapter authors; the bundled csv and ctf adapters use it.
//
// Error policy (one for every function here; see docs/adapter-sdk.md "Durable files"):
//   Unavailable (retryable: the host retries the work later) for conditions that can clear by
//     themselves: ENOSPC, EDQUOT (disk or quota full), EIO (a failing disk or a dropped network
//     share), EAGAIN/EWOULDBLOCK, EINTR, EBUSY, ETIMEDOUT, ENOLCK, ESTALE, ENETDOWN/ENETUNREACH,
//     EHOSTDOWN/EHOSTUNREACH, ECONNRESET, EROFS (a share remounted read-only), and a lock that is
//     held by another process.
//   PermissionDenied for EACCES/EPERM (the operator must change the folder's permissions).
//   NotFound for ENOENT/ENOTDIR; AlreadyExists for EEXIST.
//   IoError (not retried) for anything else.
// Every write that failed part-way leaves nothing the caller relies on: the write-to-temp helpers
// remove their temp file, and a ledger append cuts the file back to its last whole line. Retrying
// the whole operation is always safe; retrying only an fsync is never done (after a failed fsync
// the kernel may have dropped the unwritten pages, so the data is written again).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "sendsync/sdk/status.h"

namespace sendsync::sdk {

// The Status for a failed system call `what` on `path` with `err` (an errno value), by the policy
// above. The message names the operation, the path and the system's reason.
Status FileErrorStatus(int err, const std::string& what, const std::string& path);

// The primitive operations. None of them fsyncs unless its name says so: durability is the
// business of the helpers below, which is what makes the order of writes and syncs testable.
class FileSystem {
 public:
  virtual ~FileSystem() = default;

  enum class Mode {
    kAppend,     // open for appending, create when missing
    kCreateNew,  // create; AlreadyExists when the name is taken
  };
  // Writes all of `data` (retrying short writes and EINTR). Not synced.
  virtual Status Write(const std::filesystem::path& path, std::string_view data, Mode mode) = 0;
  // fsync of the file's data and size.
  virtual Status SyncFile(const std::filesystem::path& path) = 0;
  // fsync of a folder: names created, renamed or removed in it survive a power cut.
  virtual Status SyncFolder(const std::filesystem::path& folder) = 0;
  // rename(2): replaces `to` when it exists. Not synced.
  virtual Status Rename(const std::filesystem::path& from, const std::filesystem::path& to) = 0;
  // link(2): AlreadyExists when `to` exists; FailedPrecondition when the file system has no hard
  // links (EPERM, ENOTSUP, EXDEV). Not synced.
  virtual Status Link(const std::filesystem::path& from, const std::filesystem::path& to) = 0;
  // unlink(2); NotFound when absent. Not synced.
  virtual Status Remove(const std::filesystem::path& path) = 0;
  // Cuts the file to `size` bytes. Not synced.
  virtual Status Truncate(const std::filesystem::path& path, uint64_t size) = 0;
  // Creates the folder and its parents when missing (and syncs each parent it created a name in).
  virtual Status CreateFolders(const std::filesystem::path& folder) = 0;
  // The whole content of a file; NotFound when there is none.
  virtual Result<std::string> Read(const std::filesystem::path& path) = 0;
  // Whether something is at `path` (false for a dangling name the caller cannot see).
  virtual bool Exists(const std::filesystem::path& path) = 0;
};

// The operating system's file system (POSIX calls).
FileSystem& RealFileSystem();

// Appends `text` to `path` (created when missing) and fsyncs it; when the file was created, also
// fsyncs its folder so that the new name survives.
Status AppendDurably(FileSystem& fs, const std::filesystem::path& path, std::string_view text);

// Creates `path` (which must not exist: AlreadyExists) holding `content` and fsyncs it. The name
// itself is durable only after the folder is synced (MoveNoClobber and WriteFileAtomically do).
Status WriteNewFileDurably(FileSystem& fs, const std::filesystem::path& path,
                           std::string_view content);

// Replaces (or creates) `path` with `content` so that a power cut leaves either the old file or
// the whole new one: a temporary file in the same folder, fsync, rename over `path`, fsync of the
// folder. Creates the folder when missing. The temp file is removed on failure.
Status WriteFileAtomically(FileSystem& fs, const std::filesystem::path& path,
                           std::string_view content);

// Moves `from` to `to` without ever replacing an existing `to` (AlreadyExists): a hard link then
// an unlink, or, where the file system has no hard links, a rename after a check. Then syncs the
// folder of `to` and (when different) of `from`, so the move survives a power cut.
Status MoveNoClobber(FileSystem& fs, const std::filesystem::path& from,
                     const std::filesystem::path& to);

// An exclusive lock on a lock file (created when absent), held for the object's lifetime and
// shared with other processes through flock(2), so two processes on one folder take turns.
class FolderLock {
 public:
  // Tries for up to `wait_ms` milliseconds, then fails with Unavailable naming the folder.
  static Result<FolderLock> Acquire(const std::filesystem::path& lock_file, int wait_ms = 10000);
  FolderLock(FolderLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FolderLock& operator=(FolderLock&&) = delete;
  FolderLock(const FolderLock&) = delete;
  ~FolderLock();

 private:
  explicit FolderLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace sendsync::sdk
