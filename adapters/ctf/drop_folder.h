// The drop folder the MIS exports CTF files into, and what the adapter does to it: takes new files
// into the ingest ledger (after a full streaming check of each), refuses broken ones into
// rejected/ with a reason file, puts repeated content into done/ with a note, moves files the host
// has committed into done/, and finds a file again wherever it now is. Files are only ever moved,
// never deleted or changed. Every step writes the ledger before it moves a file, and a half-done
// step is finished the next time the folder is looked at. The caller holds the folder lock.
// Internal to adapters/ctf.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <sendsync/sdk/adapter.h>
#include <nlohmann/json.hpp>

#include "ctf_config.h"
#include "ctf_file_check.h"
#include "ctf_parser.h"
#include "ingest_ledger.h"
#include "sendsync/sdk/durable_file.h"

namespace sendsync::ctf {

class DropFolder {
 public:
  // Files are written and moved through `fs` (a fault-injecting one in tests).
  DropFolder(const CtfConfig& config, const sdk::Host& host,
             sdk::FileSystem& fs = sdk::RealFileSystem())
      : config_(config), host_(host), fs_(&fs) {}

  std::filesystem::path root() const { return config_.drop_folder; }
  std::filesystem::path ledger_path() const { return root() / ".sendsync-ctf-ledger.jsonl"; }
  std::filesystem::path lock_path() const { return root() / ".sendsync-ctf.lock"; }

  // CTF files waiting in the drop folder itself, oldest first: regular *.xml files (any case),
  // not hidden, not modified within settle_seconds. Files ending .tmp or .part are never *.xml.
  std::vector<std::filesystem::path> WaitingFiles() const;

  // Takes every waiting file into `ledger` (see the class comment).
  Status Ingest(IngestLedger& ledger);

  // The host has committed everything before sequence `below`: moves those accepted files that
  // are still in the drop folder into done/.
  Status MarkCommitted(IngestLedger& ledger, int64_t below);

  // Where entry `e`'s file is now (its recorded path, else its original name in the drop folder
  // with the same content). NotFound when it is nowhere; FailedPrecondition when the file at its
  // place no longer has the content that was taken in.
  Result<std::filesystem::path> Locate(const LedgerEntry& e) const;

 private:
  // What the full streaming check of a new file found.
  struct Scan {
    ParseOutcome outcome;
    FileVerdict verdict;
    std::map<std::string, std::vector<int>> duplicates;  // UPN -> lines, for UPNs seen twice
  };
  // nullopt when the file cannot be read just now (it is tried again on the next read).
  std::optional<Scan> ScanFile(const std::filesystem::path& file) const;
  Status IngestNew(IngestLedger& ledger, const std::filesystem::path& file, const std::string& sha,
                   const Scan& scan);
  Status HandleKnown(IngestLedger& ledger, const LedgerEntry& known,
                     const std::filesystem::path& file);
  Status Refuse(const LedgerEntry& e, const std::filesystem::path& from);

  const CtfConfig& config_;
  const sdk::Host& host_;
  sdk::FileSystem* fs_;
};

// The size and modification time (ns since the epoch) of a file, for "has it changed?".
bool FileStamp(const std::filesystem::path& path, uintmax_t& size, int64_t& mtime_ns);

}  // namespace sendsync::ctf
