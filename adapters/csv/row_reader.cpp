#include "row_reader.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include <algorithm>
#include <cstdio>

#include "cell_values.h"
#include "fields.h"

namespace sendsync::csv {
namespace {

using nlohmann::json;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

const FieldSpec* SpecOf(const std::string& kind, const std::string& field) {
  if (const FieldSpec* f = FindField(kind, field)) return f;
  return FindField("pupil", field);
}

bool IsMeasureField(const std::string& f) {
  return f.rfind("baseline_", 0) == 0 || f.rfind("exit_", 0) == 0;
}

}  // namespace

Result<RowReader> RowReader::Bind(const SourceSpec& source, const CsvRecord* header) {
  RowReader r(source);
  if (header) {
    if (!header->problem.empty())
      return Status::InvalidArgument("the header row is malformed: " + header->problem);
    for (size_t i = 0; i < header->size(); ++i) {
      if (size_t at = InvalidUtf8At((*header)[i]); at != std::string_view::npos)
        return Status::InvalidArgument("the header row is not valid UTF-8 (column " +
                                       std::to_string(i + 1) + "); export the file as UTF-8");
      r.header_.emplace_back(Trim((*header)[i]));
    }
    r.width_ = r.header_.size();
  }
  for (const auto& [field, ref] : source.columns) {
    std::string key = source.key + ".columns." + field;
    if (ref.position) {
      if (header && ref.position > r.header_.size())
        return Status::InvalidArgument("the file has " + std::to_string(r.header_.size()) +
                                       " columns, but config key '" + key + "' is column " +
                                       std::to_string(ref.position));
      r.column_index_[field] = ref.position - 1;
      if (!header) r.width_ = std::max(r.width_, ref.position);
      continue;
    }
    std::vector<size_t> found;
    std::string want = Lower(Trim(ref.header));
    for (size_t i = 0; i < r.header_.size(); ++i)
      if (Lower(r.header_[i]) == want) found.push_back(i);
    if (found.empty()) {
      std::string have;
      for (const std::string& h : r.header_) have += (have.empty() ? "'" : ", '") + h + "'";
      return Status::InvalidArgument("the header has no column '" + ref.header + "' (config key '" +
                                     key + "'); its columns are " + have);
    }
    if (found.size() > 1)
      return Status::InvalidArgument(
          "the header has " + std::to_string(found.size()) + " columns named '" + ref.header +
          "' (columns " + std::to_string(found[0] + 1) + " and " + std::to_string(found[1] + 1) +
          "); map config key '" + key + "' by column number instead");
    r.column_index_[field] = found[0];
  }
  return r;
}

std::string RowReader::ColumnLabel(size_t index) const {
  if (index < header_.size() && !header_[index].empty()) return "column '" + header_[index] + "'";
  return "column " + std::to_string(index + 1);
}

size_t RowReader::ColumnOf(const std::string& field) const {
  auto it = column_index_.find(field);
  return it == column_index_.end() ? std::string::npos : it->second;
}

std::string RowReader::Label(const std::string& field) const {
  size_t i = ColumnOf(field);
  return i == std::string::npos ? "default for '" + field + "'" : ColumnLabel(i);
}

std::string RowReader::CheckStructure(const CsvRecord& row) const {
  if (!row.problem.empty())
    return (row.problem_field ? ColumnLabel(row.problem_field - 1) : std::string("the row")) +
           ": " + row.problem;
  if (row.size() < width_) {
    if (!header_.empty())
      return "the row has " + std::to_string(row.size()) + " fields but the header has " +
             std::to_string(width_) + " (is a field missing, or the row cut short?)";
    return "the row has " + std::to_string(row.size()) + " fields but column " +
           std::to_string(width_) + " is mapped";
  }
  if (!header_.empty() && row.size() > width_) {
    for (size_t i = width_; i < row.size(); ++i)
      if (!Trim(row[i]).empty())
        return "the row has " + std::to_string(row.size()) + " fields but the header has " +
               std::to_string(width_) + " (is a delimiter inside an unquoted field?)";
  }
  for (size_t i = 0; i < row.size(); ++i) {
    if (size_t at = InvalidUtf8At(row[i]); at != std::string_view::npos) {
      char byte[8];
      std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(row[i][at]));
      return ColumnLabel(i) + ": not valid UTF-8 (byte " + byte + " at position " +
             std::to_string(at + 1) + "); save the export as UTF-8 (\"CSV UTF-8\")";
    }
  }
  return "";
}

json RowReader::Value(const std::string& kind, const std::string& field, const CsvRecord& row,
                      std::vector<std::string>& errors) const {
  const FieldSpec* spec = SpecOf(kind, field);
  if (!spec) return nullptr;
  size_t i = ColumnOf(field);
  std::string_view text = i != std::string::npos && i < row.size() ? Trim(row[i]) : "";
  bool from_default = false;
  if (text.empty()) {
    auto d = source_->defaults.find(field);
    if (d == source_->defaults.end()) return nullptr;
    text = d->second;
    from_default = true;
  }
  Result<json> v = CellToJson(spec->type, text, source_->date_format);
  if (!v.ok()) {
    errors.push_back((from_default ? "default for '" + field + "'" : Label(field)) + ": " +
                     v.status().message());
    return nullptr;
  }
  return *v;
}

std::string RowReader::DerivedId(const std::vector<json>& values) {
  Poco::SHA2Engine sha;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) sha.update('\x1f');
    sha.update(values[i].dump());
  }
  return "csv-" + Poco::DigestEngine::digestToHex(sha.digest()).substr(0, 16);
}

RowReader::Identity RowReader::IdentityOf(const std::string& kind, const CsvRecord& row) const {
  std::vector<std::string> errors;
  Identity id;
  json upn = Value(kind, "upn", row, errors);
  if (upn.is_string()) id.upn = upn.get<std::string>();
  if (kind == "pupil" || kind == "sen") {
    json pid = Value(kind, "pupil_id", row, errors);
    id.id = pid.is_string() ? pid.get<std::string>() : id.upn;
  } else if (source_->columns.count("id")) {
    json v = Value(kind, "id", row, errors);
    if (v.is_string()) id.id = v.get<std::string>();
  } else {
    std::vector<json> values;
    for (const std::string& f : source_->id_from) values.push_back(Value(kind, f, row, errors));
    if (errors.empty()) id.id = DerivedId(values);
  }
  id.known = errors.empty() && !id.id.empty();
  return id;
}

RowReader::Converted RowReader::Convert(const std::string& kind, const CsvRecord& row) const {
  Converted out;
  std::vector<std::string> errors;
  out.identity = IdentityOf(kind, row);
  json rec = json::object();
  rec["kind"] = kind;
  json pid = Value(kind, "pupil_id", row, errors);
  json upn = Value(kind, "upn", row, errors);
  if (kind != "pupil" && pid.is_null() && upn.is_null()) {
    std::string cols;
    for (const char* f : {"upn", "pupil_id"})
      if (ColumnOf(f) != std::string::npos) cols += (cols.empty() ? "" : " and ") + Label(f);
    errors.push_back(cols + ": empty, so the row does not say which pupil it is about");
  }
  if (kind == "pupil") {
    if (!pid.is_null()) rec["id"] = pid;
  } else {
    if (!out.identity.id.empty()) rec["id"] = out.identity.id;
    json ref = json::object();
    if (!pid.is_null()) ref["id"] = pid;
    if (!upn.is_null()) ref["upn"] = upn;
    rec["pupil"] = ref;
    if (source_->columns.count("id") && kind != "sen" && out.identity.id.empty())
      errors.push_back(Label("id") + ": empty, but every " + kind + " row needs its record id");
  }
  const std::vector<std::string>& required = RequiredFields(kind);
  json needs = json::array();
  json baseline = json::object(), exit = json::object();
  for (const FieldSpec& f : KindFields(kind)) {
    if (f.name == "id" || f.name == "pupil_id" || (f.name == "upn" && kind != "pupil")) continue;
    size_t errors_before = errors.size();
    json v = f.name == "upn" ? upn : Value(kind, f.name, row, errors);
    if (v.is_null()) {
      if (errors.size() == errors_before &&
          std::find(required.begin(), required.end(), f.name) != required.end() &&
          (ColumnOf(f.name) != std::string::npos || f.name == "upn"))
        errors.push_back(Label(f.name) + ": empty, but " + f.name + " is required");
      continue;
    }
    if (f.name == "need1" || f.name == "need2") {
      needs.push_back({{"type", v}, {"rank", f.name == "need1" ? 1 : 2}});
    } else if (IsMeasureField(f.name)) {
      bool is_baseline = f.name.rfind("baseline_", 0) == 0;
      (is_baseline ? baseline : exit)[f.name.substr(f.name.find('_') + 1)] = v;
    } else {
      rec[f.name] = v;
    }
  }
  if (kind == "sen") rec["needs"] = needs;
  for (const char* which : {"baseline", "exit"}) {
    json& m = std::string(which) == "baseline" ? baseline : exit;
    if (m.empty()) continue;
    for (const char* part : {"measure", "value"}) {
      if (m.contains(part)) continue;
      std::string field = std::string(which) + "_" + part;
      errors.push_back((ColumnOf(field) != std::string::npos ? Label(field) : field) +
                       ": empty, but the row has other " + which + " fields; a " + which +
                       " needs a measure and a value (map a column or give a default)");
    }
    rec[which] = m;
  }
  for (size_t i = 0; i < errors.size(); ++i) out.errors += (i ? "; " : "") + errors[i];
  out.record = std::move(rec);
  return out;
}

}  // namespace sendsync::csv
