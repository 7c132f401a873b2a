#include "row_writer.h"

#include <algorithm>

#include "cell_values.h"
#include "fields.h"
#include "sendsync/sdk/csv.h"
#include "row_reader.h"
#include "sendsync/sdk/records.h"

namespace sendsync::csv {
namespace {

using nlohmann::json;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Output field order: ids, the pupil (from the record or its context), then the kind's fields.
std::vector<std::string> FieldOrder(const std::string& kind) {
  std::vector<std::string> out = {"id", "pupil_id", "upn"};
  auto add = [&](const std::string& k) {
    for (const FieldSpec& f : KindFields(k))
      if (std::find(out.begin(), out.end(), f.name) == out.end()) out.push_back(f.name);
  };
  add("pupil");
  add(kind);
  return out;
}

const FieldSpec* SpecOf(const std::string& kind, const std::string& field) {
  if (const FieldSpec* f = FindField(kind, field)) return f;
  return FindField("pupil", field);
}

const json& Member(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

}  // namespace

Result<RowWriter> RowWriter::Create(const SourceSpec& source) {
  RowWriter w(source);
  const WriteSpec& ws = *source.write;
  std::vector<std::string> order = FieldOrder(source.write_kind);
  if (source.header) {
    std::vector<std::string> headers;
    auto column_for = [&](const std::string& header) -> Column& {
      for (size_t i = 0; i < headers.size(); ++i)
        if (Lower(headers[i]) == Lower(header)) return w.columns_[i];
      headers.push_back(header);
      w.columns_.emplace_back();
      return w.columns_.back();
    };
    for (const std::string& field : order) {
      auto it = source.columns.find(field);
      if (it == source.columns.end()) continue;
      column_for(it->second.position ? field : it->second.header).fields.push_back(field);
    }
    if (ws.action_column)
      column_for(ws.action_column->position ? "action" : ws.action_column->header).action = true;
    // column_order first, in its order (a header nothing maps to stays an empty column), then the
    // rest in field order.
    std::vector<std::string> out_headers;
    std::vector<Column> out_columns;
    std::vector<bool> placed(headers.size(), false);
    for (const std::string& h : ws.column_order) {
      if (std::any_of(out_headers.begin(), out_headers.end(),
                      [&](const std::string& o) { return Lower(o) == Lower(h); }))
        return Status::InvalidArgument("config key '" + source.key + ".write.column_order': '" + h +
                                       "' is listed twice");
      out_headers.push_back(h);
      out_columns.emplace_back();
      for (size_t i = 0; i < headers.size(); ++i) {
        if (Lower(headers[i]) != Lower(h)) continue;
        out_columns.back() = w.columns_[i];
        placed[i] = true;
      }
    }
    for (size_t i = 0; i < headers.size(); ++i) {
      if (placed[i]) continue;
      out_headers.push_back(headers[i]);
      out_columns.push_back(w.columns_[i]);
    }
    w.header_ = std::move(out_headers);
    w.columns_ = std::move(out_columns);
  } else {
    size_t width = 0;
    for (const auto& [field, ref] : source.columns) width = std::max(width, ref.position);
    if (ws.action_column) width = std::max(width, ws.action_column->position);
    w.columns_.resize(width);
    for (const std::string& field : order) {
      auto it = source.columns.find(field);
      if (it != source.columns.end()) w.columns_[it->second.position - 1].fields.push_back(field);
    }
    if (ws.action_column) w.columns_[ws.action_column->position - 1].action = true;
  }
  return w;
}

Result<std::string> RowWriter::Text(const std::string& field, const sdk::Change& change) const {
  const std::string& kind = source_->write_kind;
  const json& rec = change.record;
  const json& ctx = Member(change.context, "pupil");
  const json& ref = Member(rec, "pupil");
  json v;
  if (field == "id") {
    v = !change.remote_id.empty() ? json(change.remote_id) : Member(rec, "id");
  } else if (field == "pupil_id" || field == "upn") {
    const char* key = field == "pupil_id" ? "id" : "upn";
    v = Member(ref, key).is_string() && !Member(ref, key).get<std::string>().empty()
            ? Member(ref, key)
            : Member(ctx, key);
  } else if (!FindField(kind, field)) {
    v = Member(ctx, field.c_str());  // a pupil field: from the pupil the host sent along
  } else if (field == "need1" || field == "need2") {
    int rank = field == "need1" ? 1 : 2;
    const json& needs = Member(rec, "needs");
    if (needs.is_array())
      for (const json& n : needs)
        if (Member(n, "rank") == rank) v = Member(n, "type");
  } else if (field.rfind("baseline_", 0) == 0 || field.rfind("exit_", 0) == 0) {
    std::string which = field.substr(0, field.find('_'));
    v = Member(Member(rec, which.c_str()), field.substr(field.find('_') + 1).c_str());
  } else {
    v = Member(rec, field.c_str());
  }
  if (v.is_null()) return std::string();
  const FieldSpec* spec = SpecOf(kind, field);
  auto wrong = [&](const char* what) {
    return Status::InvalidArgument("field '" + field + "' should be " + what + ", got " + v.dump());
  };
  switch (spec ? spec->type : ValueType::kText) {
    case ValueType::kDate: {
      std::optional<Date> d = v.is_string() ? Date::Parse(v.get<std::string>()) : std::nullopt;
      if (!d) return wrong("a date yyyy-mm-dd");
      return source_->date_format.Write(*d);
    }
    case ValueType::kBool:
      if (!v.is_boolean()) return wrong("true or false");
      return v.get<bool>() ? source_->write->true_text : source_->write->false_text;
    case ValueType::kInt:
    case ValueType::kNumber:
      if (!v.is_number()) return wrong("a number");
      return v.is_number_integer() ? v.dump() : FormatNumber(v.get<double>());
    case ValueType::kMoney:
      if (!v.is_number()) return wrong("an amount of money");
      return FormatMoney(v.get<double>());
    case ValueType::kList: {
      if (!v.is_array()) return wrong("a list");
      std::string out;
      for (const json& item : v) {
        if (!item.is_string()) return wrong("a list of texts");
        out += (out.empty() ? "" : "; ") + item.get<std::string>();
      }
      return out;
    }
    case ValueType::kText:
      if (v.is_string()) return v.get<std::string>();
      if (v.is_number()) return v.dump();
      return wrong("text");
  }
  return std::string();
}

Result<RowWriter::Row> RowWriter::Build(const sdk::Change& change) const {
  const std::string& kind = source_->write_kind;
  const WriteSpec& ws = *source_->write;
  bool del = change.op == "delete";
  if (!del && change.op != "upsert")
    return Status::InvalidArgument("unknown change op '" + change.op + "' (upsert or delete)");
  if (del && !ws.action_column)
    return Status::InvalidArgument(
        "this import file has no action column, so it cannot say that a " + kind +
        " record is to be deleted (add write.action to the "
        "source's config)");
  if (Member(change.record, "kind") != kind)
    return Status::InvalidArgument("the record is not of kind " + kind);
  if (!del) {
    records::Problems problems;
    if (!records::CheckShape(change.record, problems)) {
      std::string why;
      for (const records::Problem& p : problems)
        why += (why.empty() ? "" : "; ") + p.path + ": " + p.message;
      return Status::InvalidArgument("the record is not a valid " + kind + " record: " + why);
    }
  }
  Row row;
  std::map<std::string, std::string> texts;
  for (const Column& col : columns_) {
    std::string cell;
    if (col.action) cell = del ? ws.action_delete : ws.action_upsert;
    for (const std::string& field : col.fields) {
      if (!cell.empty()) break;
      bool identifying =
          field == "id" || field == "pupil_id" || field == "upn" || !FindField(kind, field);
      if (del && !identifying) continue;
      Result<std::string> t = Text(field, change);
      if (!t.ok()) return t.status();
      cell = *t;
      texts[field] = cell;
    }
    // The text kept for the record id (`texts`) is the value as it is; only the file gets the
    // guard.
    row.cells.push_back(ws.neutralise_formulas ? NeutraliseFormula(cell) : cell);
  }
  // Texts of mapped fields that share a column with another field still count for the id.
  for (const auto& [field, ref] : source_->columns) {
    if (texts.count(field)) continue;
    Result<std::string> t = Text(field, change);
    if (t.ok()) texts[field] = *t;
  }
  if (texts["pupil_id"].empty() && texts["upn"].empty())
    return Status::InvalidArgument(
        "the record names no pupil: no UPN or pupil id in it or in "
        "the pupil context sent with it");
  if (kind == "sen") {
    row.remote_id = !texts["pupil_id"].empty() ? texts["pupil_id"] : texts["upn"];
  } else if (source_->columns.count("id")) {
    row.remote_id = texts["id"];
  } else {
    std::vector<json> values;
    for (const std::string& f : source_->id_from) {
      const FieldSpec* spec = SpecOf(kind, f);
      std::string_view text = Trim(texts[f]);
      if (text.empty() && source_->defaults.count(f)) text = source_->defaults.at(f);
      if (text.empty()) {
        values.push_back(nullptr);
        continue;
      }
      Result<json> v = CellToJson(spec ? spec->type : ValueType::kText, text, source_->date_format);
      if (!v.ok())
        return Status::Internal("cannot read back field '" + f + "': " + v.status().message());
      values.push_back(*v);
    }
    row.remote_id = RowReader::DerivedId(values);
  }
  if (row.remote_id.empty())
    return Status::InvalidArgument("the record has no id to write in the id column");
  return row;
}

}  // namespace sendsync::csv
