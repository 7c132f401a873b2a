// The canonical fields a CSV column can be mapped to, per record kind, with the type of value each
// holds. This is the vocabulary of the `columns` mapping in the csv adapter's configuration
// (docs/adapters/csv.md lists it for admins). Used by the csv adapter and its tests only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sendsync::csv {

// How a cell's text becomes a JSON value.
enum class ValueType {
  kText,    // trimmed text, as the file has it (codes are mapped later by the host)
  kDate,    // the source's date_format -> "yyyy-mm-dd"
  kInt,     // whole number
  kNumber,  // decimal number
  kMoney,   // pounds, "£" and thousands separators allowed
  kBool,    // Y/N, Yes/No, TRUE/FALSE, 1/0
  kList,    // text items separated by ';'
};
const char* ValueTypeName(ValueType type);

struct FieldSpec {
  std::string name;
  ValueType type;
};

// Kinds the adapter reads, and writes (pupils belong to the MIS: they are read, never written).
const std::vector<std::string>& ReadKinds();
const std::vector<std::string>& WriteKinds();
bool IsReadKind(std::string_view kind);
bool IsWriteKind(std::string_view kind);

// The fields of `kind`, in the order written files use. Every kind has "pupil_id" (the system's
// pupil id) and "upn"; for a pupil, pupil_id is the record's id. Provision and review rows also
// have "id" (their own record id). Sen has need1/need2 for the needs of rank 1 and 2.
const std::vector<FieldSpec>& KindFields(std::string_view kind);
// Fields a source of `kind` cannot do without (mapped to a column or given a default). The pupil
// reference (pupil_id or upn) and the record id (id or id_from) are checked separately.
const std::vector<std::string>& RequiredFields(std::string_view kind);
// The field named `name` of `kind`, or nullptr.
const FieldSpec* FindField(std::string_view kind, std::string_view name);

}  // namespace sendsync::csv
