// Writes the changes of one write() call as one bulk-import CSV file in a source's out folder:
// header row, one row per new change, RFC 4180 quoting, UTF-8 (with a byte order mark when
// configured), put in place atomically. Idempotent per change key through the Ledger. Used by
// the csv adapter and its tests only.
#pragma once

#include <string>

#include <sendsync/sdk/adapter.h>
#include <sendsync/sdk/durable_file.h>

#include "config.h"
#include "ledger.h"
#include "row_writer.h"

namespace sendsync::csv {

class ImportWriter {
 public:
  // Prepares the writer for `source` (which has a write section): checks its layout and loads
  // its ledger.
  // Files go through `fs` (a fault-injecting one in tests).
  static Result<std::unique_ptr<ImportWriter>> Open(const SourceSpec& source,
                                                    sdk::FileSystem& fs = sdk::RealFileSystem());

  // Applies `request`'s changes: repeated keys are answered from the ledger; changes that cannot
  // be written are rejected with the reason; the others go into one new file. When the file
  // cannot be written the changes are answered "retry".
  void Write(const sdk::WriteRequest& request, sdk::WriteResult& result);

 private:
  ImportWriter(const SourceSpec& source, RowWriter rows, sdk::FileSystem& fs)
      : source_(&source), rows_(std::move(rows)), fs_(&fs), ledger_(source.write->out_folder, fs) {}
  // A file name from the pattern that was never used in the out folder.
  std::string NextFileName() const;

  const SourceSpec* source_;
  RowWriter rows_;
  sdk::FileSystem* fs_;
  Ledger ledger_;
};

}  // namespace sendsync::csv
