// Reading one configured source of the csv adapter, page by page, behind an opaque cursor.
//
// Snapshot mode (an export that is re-made whole each time): the file is hashed and scanned once
// per version (ids, duplicates, rows that cannot be identified); the cursor names the export by
// its hash and the row reached. When the file's hash differs from the cursor's, a new export has
// arrived: it is read from its start, and the records whose id the previous export had but this
// one lacks are reported as deletions on its first page — only when every row of the new export
// could be identified and it is not empty, since a broken or truncated export must never delete
// anything (the ids are then carried forward until a sound export arrives).
//
// Append mode (one file that only grows): the cursor is a byte offset, the row reached and a
// fingerprint (hash of the file's first bytes) that tells a replaced file from a grown one. Only
// rows ended by a line break are read, since the last one may still be being written.
//
// Rows count from 1 for the first row under the header (row 1 is a spreadsheet's row 2); blank
// rows count too. Messages give the physical line as well: "roll.csv row 17 (line 18)".
// Used by the csv adapter and its tests only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <sendsync/sdk/adapter.h>

#include "config.h"
#include "file_util.h"
#include "row_reader.h"
#include "snapshot_state.h"

namespace sendsync::csv {

// One source's place in a kind's cursor.
struct CursorPart {
  std::string source;
  char mode = 's';      // 's' snapshot, 'a' append
  std::string hash;     // snapshot: the export's SHA-256; append: fingerprint of the first bytes
  uint64_t fplen = 0;   // append: how many bytes the fingerprint covers
  uint64_t row = 0;     // rows consumed (the next row is row + 1)
  uint64_t offset = 0;  // byte offset where the next row starts (0: not started)
  uint64_t line = 1;    // physical line where the next row starts
};

// "csv1|<source>~<mode>~<hash>~<fplen>~<row>~<offset>~<line>|..." (empty text: nothing read).
std::string FormatCursor(const std::vector<CursorPart>& parts);
// The parts of `text`; InvalidArgument when this adapter did not make it.
Result<std::vector<CursorPart>> ParseCursor(const std::string& text);

class SourceReader {
 public:
  SourceReader(const SourceSpec& source, const sdk::Host& host)
      : source_(&source), host_(&host), state_(source.state_folder) {}

  // Adds to `result` up to `budget` records and rejects of `kind` after `part`, decrementing the
  // budget and moving `part` on. Sets `more` when this source has more rows for the kind, and
  // `left` to how many rows it still has after the page, for progress (-1 when it cannot tell):
  // in snapshot mode the rows after `part` up to the export's last one that is not blank (blank
  // rows between count, so an estimate at worst a few over); in append mode the bytes left at the
  // page's bytes per row (an estimate; the file may still grow).
  Status ReadPage(const std::string& kind, CursorPart& part, size_t& budget,
                  sdk::ReadResult& result, bool& more, int64_t& left);

  // The file the source would read now and its size, for discover(); null when none.
  nlohmann::json Current() const;

 private:
  struct KindScan {
    std::vector<IdEntry> ids;                   // identified rows, first occurrence of each id
    std::map<uint64_t, uint64_t> duplicate_of;  // row -> the earlier row with the same id
    uint64_t unidentified = 0;                  // rows whose id could not be worked out
    uint64_t first_unidentified = 0;
  };
  // What one pass over one version of a snapshot file found.
  struct Scan {
    std::string path;
    FileStamp stamp;
    std::string hash;
    std::shared_ptr<RowReader> rows;
    uint64_t data_offset = 0, data_line = 1;  // where the first row after the header starts
    uint64_t last_data_row = 0;               // last row that is not blank (0: none)
    uint64_t data_rows = 0;                   // rows that are not blank
    std::map<std::string, KindScan> kinds;
  };

  Status ReadSnapshot(const std::string& kind, CursorPart& part, size_t& budget,
                      sdk::ReadResult& result, bool& more, int64_t& left);
  Status ReadAppend(const std::string& kind, CursorPart& part, size_t& budget,
                    sdk::ReadResult& result, bool& more, int64_t& left);
  Result<std::shared_ptr<const Scan>> ScanFile(const std::string& path);
  // Reports deletions for a new export and saves the ids it leaves behind.
  Status Deletions(const std::string& kind, const std::string& previous_hash, const Scan& scan,
                   sdk::ReadResult& result);
  // Reads rows from `part`'s position into `result`. `scan` (snapshot mode) marks duplicates;
  // `complete_rows_only` (append mode) stops before a last row with no line break.
  Status Emit(const std::string& kind, const std::string& path, const RowReader& rows,
              const Scan* scan, bool complete_rows_only, CursorPart& part, size_t& budget,
              sdk::ReadResult& result);
  // Opens `path` and binds the mapping to its header; `reader` is left after the header.
  Result<std::shared_ptr<RowReader>> BindHeader(CsvReader& reader, const std::string& path,
                                                bool* header_complete);
  std::string FileLabel(const std::string& path) const;

  const SourceSpec* source_;
  const sdk::Host* host_;
  SnapshotState state_;
  std::shared_ptr<const Scan> scan_;  // the last scan, reused while the file is unchanged
};

}  // namespace sendsync::csv
