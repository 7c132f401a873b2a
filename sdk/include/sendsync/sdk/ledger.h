// An append-only ledger of JSON records in one file, one record a line, each line carrying a
// checksum: what adapters use to remember what they did with an idempotency key (which file a key
// went into, which file got which sequence number), so a power cut neither loses an acknowledged
// key nor makes the adapter do it twice. Built on the durable-file layer (durable_file.h).
//
// Line format: the record as compact JSON, a tab, then "c" and the CRC-32 of the JSON text as 8
// lower-case hex digits, then "\n". Lines written before the checksum was introduced (a JSON
// object alone on its line) are still read, and new lines are appended after them.
//
// Damage policy (the same for every ledger; docs/adapter-sdk.md "The key ledger"):
//   - Torn tail: a last line without its newline is what a power cut or crash during an append
//     leaves. The append never returned OK, so nothing was acknowledged on it: Open drops it and
//     cuts the file back to the end of the last whole line (and fsyncs), so the next append starts
//     on a fresh line.
//   - Damage anywhere else (a whole line whose checksum does not match, or that is not a JSON
//     object): Open fails with Corruption naming the file and the line. Nothing is ever skipped or
//     guessed: a skipped line could be a key that was acknowledged, and writing it again would
//     send the same change twice. The operator restores the file from a backup.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sendsync/sdk/durable_file.h"
#include "sendsync/sdk/status.h"

namespace sendsync::sdk {

class KeyLedger {
 public:
  struct Record {
    size_t line = 0;  // 1-based line number in the file, for error messages
    nlohmann::json value;
  };

  // Reads the ledger at `path` (a missing file is an empty ledger; it is created by the first
  // append), applying the damage policy above. `fs` must outlive the ledger.
  static Result<KeyLedger> Open(FileSystem& fs, std::filesystem::path path);

  // The records in file order.
  const std::vector<Record>& records() const { return records_; }
  const std::filesystem::path& path() const { return path_; }

  // Appends `values` (JSON objects) as lines in one write and fsyncs; OK means they survive a
  // power cut. On failure the file is cut back to where it was (best effort; a later Open drops
  // whatever torn tail is left) and the records are not added.
  Status Append(const std::vector<nlohmann::json>& values);
  Status Append(const nlohmann::json& value) { return Append(std::vector<nlohmann::json>{value}); }

  // The line text for `value` (without the newline), as Append writes it.
  static std::string Line(const nlohmann::json& value);

 private:
  KeyLedger(FileSystem& fs, std::filesystem::path path) : fs_(&fs), path_(std::move(path)) {}
  FileSystem* fs_;
  std::filesystem::path path_;
  uint64_t size_ = 0;  // bytes of whole lines in the file
  size_t lines_ = 0;   // whole lines in the file
  std::vector<Record> records_;
};

}  // namespace sendsync::sdk
