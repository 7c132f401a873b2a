// The ingest ledger: an append-only JSON-lines file in the drop folder
// (.sendsync-ctf-ledger.jsonl) that gives every distinct CTF a sequence number the first time it is
// seen, keyed by the SHA-256 of its content. It is what makes "a file is never read twice" and
// "read is repeatable" both true: the host's cursor is a position in this sequence, and a file
// whose content is already in the ledger is never given a second number.
//
// Lines (one JSON object each):
//   {"ledger": "<random id>", "created": "..."}                 first line; the id goes in cursors
//   {"seq": 3, "sha256": "...", "name": "...", "path": "...", "state": "accepted"|"refused", ...}
//   {"seq": 3, "moved_to": "done/x.xml"}                       the file was (or is being) moved
//   {"seq": 3, "lost": "why"}                                  the file vanished before it was read
// The file is an SDK KeyLedger (sendsync/sdk/ledger.h): checksummed lines, a torn last line (a
// crash mid-append) cut off when the ledger is loaded, damage elsewhere refused as Corruption
// naming the line; ledgers written before the checksums are read as they are. The caller holds the
// drop folder's lock while it uses a ledger. Internal to adapters/ctf.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <sendsync/sdk/durable_file.h>
#include <sendsync/sdk/ledger.h>
#include <sendsync/sdk/status.h>
#include <nlohmann/json.hpp>

namespace sendsync::ctf {

struct LedgerEntry {
  int64_t seq = 0;
  std::string sha256;
  std::string name;   // the file's name when it was dropped
  std::string path;   // where it is now, relative to the drop folder
  std::string state;  // "accepted" or "refused"
  std::string ingested_at;
  uintmax_t size = 0;
  int64_t mtime_ns = 0;  // modification time when ingested (kept across moves)
  // accepted
  nlohmann::json header;  // HeaderJson()
  size_t pupils = 0;
  std::map<std::string, std::vector<int>> duplicates;  // UPN -> lines of its <Pupil> elements
  // refused: why, and where in the file
  std::string reason;
  int line = 0;
  std::string element;
  // set when the file could no longer be found
  std::string lost;

  nlohmann::json ToJson() const;
  static LedgerEntry FromJson(const nlohmann::json& j);
};

class IngestLedger {
 public:
  // Loads the ledger at `path`, creating it (with a new id) when absent. A damaged line other than
  // a torn last one is Corruption: the ledger is never guessed at.
  // Files go through `fs` (a fault-injecting one in tests), which must outlive the ledger.
  static Result<IngestLedger> Load(const std::filesystem::path& path,
                                   sdk::FileSystem& fs = sdk::RealFileSystem());

  const std::string& id() const { return id_; }
  const std::map<int64_t, LedgerEntry>& entries() const { return entries_; }
  int64_t max_seq() const { return entries_.empty() ? 0 : entries_.rbegin()->first; }
  // The latest live (not lost) entry holding content `sha256`, or nullptr. (Content refused once
  // and accepted later, after a settings change, has two entries; the later one counts.)
  const LedgerEntry* FindHash(const std::string& sha256) const;

  // Gives `entry` the next sequence number, appends it, and returns the number.
  Result<int64_t> Add(LedgerEntry entry);
  // Records that entry `seq` is now at `path` (relative to the drop folder).
  Status Move(int64_t seq, const std::string& path);
  // Records that entry `seq`'s file can no longer be found, and why.
  Status MarkLost(int64_t seq, const std::string& why);

 private:
  explicit IngestLedger(sdk::KeyLedger file) : file_(std::move(file)) {}
  Status Apply(const nlohmann::json& line, size_t line_no);
  sdk::KeyLedger file_;
  std::string id_;
  std::map<int64_t, LedgerEntry> entries_;
};

}  // namespace sendsync::ctf
