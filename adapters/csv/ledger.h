// The csv adapter's write ledger: which change keys are already in an import file, so a change the
// host delivers again is answered "applied" with the same remote id and written nothing new.
//
// It is an SDK KeyLedger (sendsync/sdk/ledger.h: checksummed lines, a torn last line dropped,
// damage anywhere else refused with the file and line) in the out folder
// (.sendsync-csv-ledger.jsonl). A write first appends one "pending" line per change naming the
// batch and its file, then puts the file in place (atomically), then appends a "commit" line. On
// load, a batch counts when it was committed or when its file exists (a crash between the rename
// and the commit line); otherwise its file never appeared and its keys are free to be written
// again. File names are never reused, so a file's existence is unambiguous. Ledgers written before
// the checksums are read as they are. Used by the csv adapter and its tests only.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <sendsync/sdk/durable_file.h>
#include <sendsync/sdk/ledger.h>

#include "sendsync/sdk/status.h"

namespace sendsync::csv {

class Ledger {
 public:
  explicit Ledger(std::string out_folder, sdk::FileSystem& fs = sdk::RealFileSystem());

  // Reads the ledger (a missing one is empty). A damaged line is Corruption (see above).
  Status Load();

  // The remote id `key` was applied with, or nullptr when it was not applied.
  const std::string* Find(const std::string& key) const;
  // True when an import file of this name was ever written (or begun).
  bool NameUsed(const std::string& file) const { return used_names_.count(file) > 0; }

  using Entries = std::vector<std::pair<std::string, std::string>>;  // key, remote id
  // Records that batch `batch` is about to write `file` holding `entries`.
  Status Begin(const std::string& batch, const std::string& file, const Entries& entries);
  // Records that `file` is in place: its entries count as applied from now on.
  Status Commit(const std::string& batch, const std::string& file, const Entries& entries);

  const std::string& path() const { return path_; }

 private:
  const std::string folder_;
  const std::string path_;
  sdk::FileSystem* fs_;
  std::optional<sdk::KeyLedger> file_;
  std::map<std::string, std::string> applied_;  // key -> remote id
  std::set<std::string> used_names_;
};

}  // namespace sendsync::csv
