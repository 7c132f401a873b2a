// Turns canonical records the host sends into rows of a bulk-import CSV, using a source's column
// mapping in reverse: dates back into the source's date_format, yes/no as the configured texts,
// the pupil's UPN and names from the pupil context the host sends along. Used by the csv adapter
// (import_writer) and its tests only.
#pragma once

#include <string>
#include <vector>

#include <sendsync/sdk/adapter.h>

#include "config.h"
#include "sendsync/sdk/status.h"

namespace sendsync::csv {

class RowWriter {
 public:
  // The layout of `source`'s import files (source.write must be set). The error names a
  // column_order entry that cannot be placed.
  static Result<RowWriter> Create(const SourceSpec& source);

  // The header row's texts (empty when the source has no header row).
  const std::vector<std::string>& header() const { return header_; }

  struct Row {
    std::vector<std::string> cells;
    std::string remote_id;  // the id a later read of this row would give the record
  };
  // The row for one change; the error says, for a person, why it cannot be written.
  Result<Row> Build(const sdk::Change& change) const;

 private:
  struct Column {
    std::vector<std::string> fields;  // fields mapped here, in field order; first non-empty wins
    bool action = false;
  };
  explicit RowWriter(const SourceSpec& source) : source_(&source) {}
  // The text of `field` for `change`, "" when it has none; the error explains a bad value.
  Result<std::string> Text(const std::string& field, const sdk::Change& change) const;

  const SourceSpec* source_;
  std::vector<std::string> header_;
  std::vector<Column> columns_;
};

}  // namespace sendsync::csv
