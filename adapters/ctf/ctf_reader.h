// The read side of the CTF adapter: answers the host's read(kind, cursor, limit) from the drop
// folder. Each call takes new files into the ingest ledger, moves files the cursor shows the host
// has committed into done/, and then streams files from the cursor's position on (the byte where
// the next pupil starts, read_cursor.h), one pupil at a time, until `limit` records and rejects
// have been found. Pupil pages spool the same pupils' SEN for this run's sen pages (sen_spool.h),
// so one parse serves both kinds. Records come back as kind "pupil" or
// "sen"; pupils that cannot be imported, refused files and vanished files come back as rejects,
// each in the read of every kind it holds back. Internal to adapters/ctf.
#pragma once

#include <sendsync/sdk/adapter.h>
#include <nlohmann/json.hpp>

#include "ctf_config.h"
#include "drop_folder.h"
#include "read_cursor.h"
#include "sen_spool.h"

namespace sendsync::ctf {

class CtfReader {
 public:
  CtfReader(const CtfConfig& config, const sdk::Host& host)
      : config_(config), host_(host), drop_(config, host) {}

  Status Read(const sdk::ReadRequest& request, sdk::ReadResult& result);

  // For Discover: the ledger's files (state, header, pupils, where they are) and files waiting.
  Result<nlohmann::json> Describe();

 private:
  // Read, with `spooled` (reads of "pupil") collecting the same pupils' SEN for spool_.
  Status ReadPage(const sdk::ReadRequest& request, sdk::ReadResult& result,
                  std::vector<SenSpool::Entry>* spooled);
  // Reads pupils of accepted entry `e` from position `at` (at its byte offset when it has one for
  // this content, else by counting pupils from the start); sets `next` to the position after the
  // last pupil looked at and returns whether it stopped early because `budget` ran out.
  Result<bool> ReadFile(const LedgerEntry& e, const std::filesystem::path& file,
                        const std::string& kind, const ReadCursor& at, size_t& budget,
                        ReadCursor& next, sdk::ReadResult& result,
                        std::vector<SenSpool::Entry>* spooled);
  // One reject for a refused or lost file, the first `read` pupils of which the host already has.
  void ReportFile(const LedgerEntry& e, uint64_t read, sdk::ReadResult& result);

  const CtfConfig& config_;
  const sdk::Host& host_;
  DropFolder drop_;
  SenSpool spool_;
};

}  // namespace sendsync::ctf
