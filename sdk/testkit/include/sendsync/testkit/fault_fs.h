// A FileSystem for tests that simulates a power cut, as LevelDB's FaultInjectionTestEnv does: it
// works on real files but remembers what has not been made durable yet, and PowerCut() takes that
// away again:
//   - file data written since the file's last SyncFile is cut off (or, in kKeepHalf mode, half of
//     it is kept, which leaves the torn last lines a real crash can leave);
//   - a name created, linked, renamed or removed in a folder since that folder's last SyncFolder is
//     undone (a created name disappears, a removed or renamed-away name comes back with its
//     durable content, a renamed-over name gets its old content back).
// CrashAt(n) makes the n-th mutating call (0-based) and every later one fail without doing
// anything, the way a process stops at the instant of the cut; a test loops n over every step of
// a write, calls PowerCut(), reopens with a fresh file system and checks what survived.
// Simplification: Truncate and CreateFolders count as durable at once.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <sendsync/sdk/durable_file.h>

namespace sendsync::testkit {

class FaultInjectionFileSystem : public sdk::FileSystem {
 public:
  enum class Torn { kDropAll, kKeepHalf };

  // -1: never crash.
  void CrashAt(int op) { crash_at_ = op; }
  // Mutating calls so far (including the failed ones after a crash).
  int ops() const { return ops_; }
  // Whether the crash point was reached.
  bool crashed() const { return crashed_; }
  // Forgets everything not durable (see above); afterwards nothing is pending and no crash is set.
  void PowerCut(Torn torn = Torn::kDropAll);

  Status Write(const std::filesystem::path& path, std::string_view data, Mode mode) override;
  Status SyncFile(const std::filesystem::path& path) override;
  Status SyncFolder(const std::filesystem::path& folder) override;
  Status Rename(const std::filesystem::path& from, const std::filesystem::path& to) override;
  Status Link(const std::filesystem::path& from, const std::filesystem::path& to) override;
  Status Remove(const std::filesystem::path& path) override;
  Status Truncate(const std::filesystem::path& path, uint64_t size) override;
  Status CreateFolders(const std::filesystem::path& folder) override;
  Result<std::string> Read(const std::filesystem::path& path) override;
  bool Exists(const std::filesystem::path& path) override;

 private:
  // One name change not yet made durable by a sync of `folder`.
  struct NameOp {
    std::filesystem::path folder;
    std::filesystem::path path;
    bool existed = false;  // undo: put `content` back at `path`; else remove `path`
    std::string content;
  };
  bool Step();  // counts a mutating call; false when the power is already off
  std::string DurableContent(const std::filesystem::path& path);
  void NameChanged(const std::filesystem::path& path);

  sdk::FileSystem& real_ = sdk::RealFileSystem();
  int crash_at_ = -1;
  int ops_ = 0;
  bool crashed_ = false;
  std::map<std::string, uint64_t> durable_size_;  // files with data not yet synced
  std::vector<NameOp> pending_names_;
};

}  // namespace sendsync::testkit
