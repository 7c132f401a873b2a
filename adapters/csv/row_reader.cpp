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
  for (const std::string& kind : source.kinds) {
    Plan& plan = r.plans_[kind];
    plan.by_pupil = kind == "pupil" || kind == "sen";
    const std::vector<std::string>& required = RequiredFields(kind);
    for (const FieldSpec& f : KindFields(kind)) {
      if (f.name == "pupil_id") plan.pupil_id = plan.fields.size();
      if (f.name == "upn") plan.upn = plan.fields.size();
      if (f.name == "id") plan.id = plan.fields.size();
      Binding b = r.BindField(kind, f.name);
      b.required = std::find(required.begin(), required.end(), f.name) != required.end();
      if (f.name == "id" || f.name == "pupil_id" || (f.name == "upn" && kind != "pupil"))
        b.role = Role::kReference;
      else if (f.name == "need1")
        b.role = Role::kNeed1;
      else if (f.name == "need2")
        b.role = Role::kNeed2;
      else if (f.name.rfind("baseline_", 0) == 0)
        b.role = Role::kBaseline;
      else if (f.name.rfind("exit_", 0) == 0)
        b.role = Role::kExit;
      plan.fields.push_back(std::move(b));
    }
    for (const std::string& f : source.id_from) plan.id_from.push_back(r.BindField(kind, f));
  }
  return r;
}

std::string RowReader::ColumnLabel(size_t index) const {
  if (index < header_.size() && !header_[index].empty()) return "column '" + header_[index] + "'";
  return "column " + std::to_string(index + 1);
}

RowReader::Binding RowReader::BindField(const std::string& kind, const std::string& field) const {
  Binding b;
  b.field = field;
  if (const FieldSpec* spec = SpecOf(kind, field)) b.type = spec->type;
  if (auto it = column_index_.find(field); it != column_index_.end()) b.column = it->second;
  if (auto it = source_->defaults.find(field); it != source_->defaults.end())
    b.fallback = &it->second;
  return b;
}

std::string RowReader::Label(const Binding& b) const {
  return b.column == std::string::npos ? "default for '" + b.field + "'" : ColumnLabel(b.column);
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

json RowReader::Value(const Binding& b, const CsvRecord& row,
                      std::vector<std::string>& errors) const {
  std::string_view text = b.column < row.size() ? Trim(row[b.column]) : std::string_view();
  bool from_default = false;
  if (text.empty()) {
    if (!b.fallback) return nullptr;
    text = *b.fallback;
    from_default = true;
  }
  if (b.type == ValueType::kText) return json(std::string(text));
  Result<json> v = CellToJson(b.type, text, source_->date_format);
  if (!v.ok()) {
    errors.push_back((from_default ? "default for '" + b.field + "'" : Label(b)) + ": " +
                     v.status().message());
    return nullptr;
  }
  return std::move(*v);
}

std::string RowReader::DerivedId(const std::vector<json>& values) {
  Poco::SHA2Engine sha;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) sha.update('\x1f');
    sha.update(values[i].dump());
  }
  return "csv-" + Poco::DigestEngine::digestToHex(sha.digest()).substr(0, 16);
}

RowReader::Identity RowReader::IdentityFrom(const Plan& plan, const json& pupil_id, const json& upn,
                                            const json& id, const CsvRecord& row) const {
  Identity out;
  if (upn.is_string()) out.upn = upn.get<std::string>();
  bool ok = true;
  if (plan.by_pupil) {
    out.id = pupil_id.is_string() ? pupil_id.get<std::string>() : out.upn;
  } else if (plan.id != std::string::npos && plan.fields[plan.id].column != std::string::npos) {
    if (id.is_string()) out.id = id.get<std::string>();
  } else {
    std::vector<std::string> errors;
    std::vector<json> values;
    values.reserve(plan.id_from.size());
    for (const Binding& b : plan.id_from) values.push_back(Value(b, row, errors));
    ok = errors.empty();
    if (ok) out.id = DerivedId(values);
  }
  out.known = ok && !out.id.empty();
  return out;
}

RowReader::Identity RowReader::IdentityOf(const std::string& kind, const CsvRecord& row) const {
  const Plan& plan = plans_.at(kind);
  std::vector<std::string> errors;  // text fields: conversions cannot fail
  json pid = Value(plan.fields[plan.pupil_id], row, errors);
  json upn = Value(plan.fields[plan.upn], row, errors);
  json id = plan.id != std::string::npos ? Value(plan.fields[plan.id], row, errors) : json();
  return IdentityFrom(plan, pid, upn, id, row);
}

RowReader::Converted RowReader::Convert(const std::string& kind, const CsvRecord& row) const {
  const Plan& plan = plans_.at(kind);
  Converted out;
  std::vector<std::string> errors;
  std::vector<json> values(plan.fields.size());
  for (size_t i = 0; i < plan.fields.size(); ++i) {
    size_t before = errors.size();
    values[i] = Value(plan.fields[i], row, errors);
    if (values[i].is_null() && errors.size() == before && plan.fields[i].required)
      errors.push_back(Label(plan.fields[i]) + ": empty, but " + plan.fields[i].field +
                       " is required");
  }
  const json& pid = values[plan.pupil_id];
  const json& upn = values[plan.upn];
  const json no_id;
  out.identity =
      IdentityFrom(plan, pid, upn, plan.id != std::string::npos ? values[plan.id] : no_id, row);

  json rec = json::object();
  rec["kind"] = kind;
  if (kind == "pupil") {
    if (!pid.is_null()) rec["id"] = pid;
  } else {
    if (pid.is_null() && upn.is_null()) {
      std::string cols;
      for (size_t i : {plan.upn, plan.pupil_id})
        if (plan.fields[i].column != std::string::npos)
          cols += (cols.empty() ? "" : " and ") + Label(plan.fields[i]);
      errors.push_back(cols + ": empty, so the row does not say which pupil it is about");
    }
    if (!out.identity.id.empty()) rec["id"] = out.identity.id;
    json ref = json::object();
    if (!pid.is_null()) ref["id"] = pid;
    if (!upn.is_null()) ref["upn"] = upn;
    rec["pupil"] = std::move(ref);
    if (plan.id != std::string::npos && plan.fields[plan.id].column != std::string::npos &&
        out.identity.id.empty())
      errors.push_back(Label(plan.fields[plan.id]) + ": empty, but every " + kind +
                       " row needs its record id");
  }
  json needs = json::array();
  json baseline = json::object(), exit = json::object();
  for (size_t i = 0; i < plan.fields.size(); ++i) {
    const Binding& b = plan.fields[i];
    if (values[i].is_null()) continue;
    switch (b.role) {
      case Role::kReference:
        break;
      case Role::kNeed1:
      case Role::kNeed2:
        needs.push_back({{"type", std::move(values[i])}, {"rank", b.role == Role::kNeed1 ? 1 : 2}});
        break;
      case Role::kBaseline:
      case Role::kExit:
        (b.role == Role::kBaseline ? baseline : exit)[b.field.substr(b.field.find('_') + 1)] =
            std::move(values[i]);
        break;
      case Role::kPlain:
        rec[b.field] = std::move(values[i]);
        break;
    }
  }
  if (kind == "sen") rec["needs"] = std::move(needs);
  for (const char* which : {"baseline", "exit"}) {
    json& m = std::string(which) == "baseline" ? baseline : exit;
    if (m.empty()) continue;
    for (const char* part : {"measure", "value"}) {
      if (m.contains(part)) continue;
      std::string field = std::string(which) + "_" + part;
      size_t col = column_index_.count(field) ? column_index_.at(field) : std::string::npos;
      errors.push_back((col != std::string::npos ? ColumnLabel(col) : field) +
                       ": empty, but the row has other " + which + " fields; a " + which +
                       " needs a measure and a value (map a column or give a default)");
    }
    rec[which] = std::move(m);
  }
  for (size_t i = 0; i < errors.size(); ++i) out.errors += (i ? "; " : "") + errors[i];
  out.record = std::move(rec);
  return out;
}

}  // namespace sendsync::csv
