// Turns CSV rows into canonical records for the csv adapter, following a source's column mapping.
// Only structural conversions happen here (dates to yyyy-mm-dd, numbers, yes/no); codes stay as the
// file has them for the host's code maps. Everything wrong with a row is collected into one reason
// that names each column ("column 'DOB': '31/02/2014' is not a date in the format dd/mm/yyyy"), so
// the host can quarantine the row while the good rows flow. Used by the csv adapter and tests.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "config.h"
#include "fields.h"
#include "sendsync/sdk/csv.h"
#include "sendsync/sdk/status.h"

namespace sendsync::csv {

class RowReader {
 public:
  // Binds `source`'s mapping to a file: `header` is its first record (nullptr when the source has
  // no header row). The error names the configured column the header lacks, or what is wrong with
  // the header itself.
  static Result<RowReader> Bind(const SourceSpec& source, const CsvRecord* header);

  // What is wrong with the row's structure, naming the row or column ("" when it is usable):
  // a quoting fault, too few or too many fields, text that is not UTF-8.
  std::string CheckStructure(const CsvRecord& row) const;

  struct Identity {
    bool known = false;
    std::string id;   // the record id (for pupil and sen: pupil_id, else the UPN)
    std::string upn;  // the pupil's UPN when the row has one
  };
  // The id the row's record of `kind` has, converting only the cells the id is made from. Call
  // only on rows CheckStructure accepted.
  Identity IdentityOf(const std::string& kind, const CsvRecord& row) const;

  struct Converted {
    nlohmann::json record;  // valid only when `errors` is empty
    Identity identity;
    std::string errors;  // "column 'X': ...; column 'Y': ..." ("" when the record is good)
  };
  // The record of `kind` the row holds. Call only on rows CheckStructure accepted.
  Converted Convert(const std::string& kind, const CsvRecord& row) const;

  // How messages name column `index` (0-based): "column 'UPN'", or "column 3" without a header.
  std::string ColumnLabel(size_t index) const;

  // The id derived from `values` (the id_from fields' JSON values, in order): "csv-" and 16 hex
  // digits of their SHA-256, so it is stable across exports and date formats.
  static std::string DerivedId(const std::vector<nlohmann::json>& values);

 private:
  // Where one field of a kind comes from, worked out once when binding.
  enum class Role { kPlain, kReference, kNeed1, kNeed2, kBaseline, kExit };
  struct Binding {
    std::string field;
    Role role = Role::kPlain;
    bool required = false;
    ValueType type = ValueType::kText;
    size_t column = std::string::npos;      // 0-based; npos when not mapped
    const std::string* fallback = nullptr;  // the configured default, if any
  };
  // How rows become records of one kind.
  struct Plan {
    bool by_pupil = false;        // pupil and sen records are identified by pupil_id or upn
    std::vector<Binding> fields;  // the kind's fields, in KindFields order
    size_t pupil_id = 0, upn = 0, id = std::string::npos;  // indexes into fields
    std::vector<Binding> id_from;
  };

  explicit RowReader(const SourceSpec& source) : source_(&source) {}
  Binding BindField(const std::string& kind, const std::string& field) const;
  // The value of a field in `row` (after its default), or null when empty; adds to `errors` when
  // the text cannot be converted.
  nlohmann::json Value(const Binding& b, const CsvRecord& row,
                       std::vector<std::string>& errors) const;
  std::string Label(const Binding& b) const;
  // The identity from the pupil reference / id values already converted.
  Identity IdentityFrom(const Plan& plan, const nlohmann::json& pupil_id, const nlohmann::json& upn,
                        const nlohmann::json& id, const CsvRecord& row) const;

  const SourceSpec* source_;
  std::vector<std::string> header_;             // trimmed header texts (empty without a header)
  std::map<std::string, size_t> column_index_;  // field -> 0-based column
  std::map<std::string, Plan> plans_;           // per kind of the source
  size_t width_ = 0;                            // fields a row must have
};

}  // namespace sendsync::csv
