// The write ledger in the out folder (.sendsync-ctf-written.jsonl): which idempotency keys went
// into which CTF file, so a repeated key is answered with the same file and nothing new is
// written. Writing a file is three durable steps, and this ledger makes a crash between them
// harmless:
//   1. the whole file is written to a hidden temp file and fsynced;
//   2. {"file": F, "state": "pending", "keys": [...]} is appended;
//   3. the temp file is moved to F (never over an existing file), then {"file": F, "state":
//   "done"}.
// The file is an SDK KeyLedger (sendsync/sdk/ledger.h: checksummed lines; a torn last line is
// dropped, damage elsewhere is Corruption naming the line); ledgers written before the checksums
// are read as they are. On load, a pending file without "done" is finished: its temp file, if still
// there, is moved into place (it is complete: step 1 came first); if not, the move had happened.
// Temp files no pending line mentions are the remains of step 1 alone and are removed. The caller
// holds the out folder's lock. Internal to adapters/ctf.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <sendsync/sdk/durable_file.h>
#include <sendsync/sdk/ledger.h>
#include <sendsync/sdk/status.h>

namespace sendsync::ctf {

class OutLedger {
 public:
  // Files go through `fs` (a fault-injecting one in tests), which must outlive the ledger.
  static Result<OutLedger> Load(const std::filesystem::path& out_folder,
                                sdk::FileSystem& fs = sdk::RealFileSystem());

  // The file a key was written into, if it was.
  std::optional<std::string> FileFor(const std::string& key) const;
  // The next free number for files named `<prefix><nnn>.xml`, counting both this ledger and the
  // files in the folder (so nothing is ever overwritten, even after the MIS took files away).
  int NextNumber(const std::string& prefix) const;
  // Writes `content` as `file` in the out folder by the three steps above, for `keys`.
  Status WriteFile(const std::string& file, const std::string& content,
                   const std::vector<std::string>& keys);

  static std::string TempName(const std::string& file) { return ".sendsync-" + file + ".tmp"; }

 private:
  explicit OutLedger(sdk::KeyLedger file) : file_(std::move(file)) {}
  Status Finish(const std::string& file);
  sdk::KeyLedger file_;
  sdk::FileSystem* fs_ = nullptr;
  std::filesystem::path folder_;
  std::map<std::string, std::string> key_file_;
  std::vector<std::string> files_;
};

}  // namespace sendsync::ctf
