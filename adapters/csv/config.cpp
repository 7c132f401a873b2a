#include "config.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "cell_values.h"
#include "fields.h"

namespace sendsync::csv {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

Status Bad(const std::string& key, const std::string& why) {
  return Status::InvalidArgument("config key '" + key + "': " + why);
}

std::string Join(const std::vector<std::string>& items, const char* sep = ", ") {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

bool NameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

std::string SanitizedName(std::string text) {
  for (char& c : text)
    if (!NameChar(c)) c = '_';
  return text;
}

// Fields a source of these kinds may map: its kinds' fields, plus the pupil's (on write, names and
// the like are filled in from the pupil the host sends along).
std::vector<std::string> AllowedFields(const std::vector<std::string>& kinds) {
  std::vector<std::string> out;
  auto add = [&](const std::string& kind) {
    for (const FieldSpec& f : KindFields(kind))
      if (std::find(out.begin(), out.end(), f.name) == out.end()) out.push_back(f.name);
  };
  for (const std::string& k : kinds) add(k);
  add("pupil");
  return out;
}

const FieldSpec* FieldOf(const std::vector<std::string>& kinds, const std::string& name) {
  for (const std::string& k : kinds)
    if (const FieldSpec* f = FindField(k, name)) return f;
  return FindField("pupil", name);
}

Result<ColumnRef> ParseColumn(const std::string& key, const json& v, bool header) {
  ColumnRef c;
  if (v.is_string()) {
    if (!header)
      return Bad(key, "with \"header\": false columns are given by number (1 = first column)");
    c.header = v.get<std::string>();
    if (c.header.empty()) return Bad(key, "a column header cannot be empty");
    return c;
  }
  if (v.is_number_integer() && v.get<long long>() >= 1 && v.get<long long>() <= 10000) {
    c.position = static_cast<size_t>(v.get<long long>());
    return c;
  }
  return Bad(key, "expected a column header (text) or a column number (1 = first column)");
}

Status ParseKinds(const std::string& key, const json& src, SourceSpec& s) {
  if (!src.contains("kind"))
    return Bad(key + ".kind", "is required: pupil, sen, provision or review");
  const json& k = src["kind"];
  if (k.is_string()) {
    s.kinds.push_back(k.get<std::string>());
  } else if (k.is_array() && !k.empty()) {
    for (const json& e : k) {
      if (!e.is_string()) return Bad(key + ".kind", "expected kind names");
      s.kinds.push_back(e.get<std::string>());
    }
  } else {
    return Bad(key + ".kind", "expected a kind, or a list of kinds for rows that hold two");
  }
  std::set<std::string> seen;
  for (const std::string& kind : s.kinds) {
    if (!IsReadKind(kind))
      return Bad(key + ".kind",
                 "'" + kind + "' is not a kind this adapter handles (" + Join(ReadKinds()) + ")");
    if (!seen.insert(kind).second) return Bad(key + ".kind", "'" + kind + "' is listed twice");
  }
  bool pupil_or_sen = std::all_of(s.kinds.begin(), s.kinds.end(),
                                  [](const std::string& k) { return k == "pupil" || k == "sen"; });
  if (s.kinds.size() > 1 && !pupil_or_sen)
    return Bad(key + ".kind",
               "only pupil and sen can share a row (a roll export); give provision and review "
               "rows their own source");
  return Status::OK();
}

Status ParseWrite(const std::string& key, const json& w, SourceSpec& s) {
  if (!w.is_object()) return Bad(key, "expected an object");
  static const std::set<std::string> known = {"out_folder",  "file_name",    "bom",
                                              "line_ending", "column_order", "true_text",
                                              "false_text",  "action",       "neutralise_formulas"};
  for (auto& [k, v] : w.items())
    if (!known.count(k))
      return Bad(key + "." + k,
                 "unknown setting (known: " + Join({known.begin(), known.end()}) + ")");
  for (const std::string& kind : s.kinds)
    if (IsWriteKind(kind)) s.write_kind = kind;
  if (s.write_kind.empty())
    return Bad(key, "this source's kinds cannot be written (writable kinds: " + Join(WriteKinds()) +
                        "); pupils belong to the MIS");
  WriteSpec ws;
  if (!w.contains("out_folder") || !w["out_folder"].is_string() ||
      !fs::path(w["out_folder"].get<std::string>()).is_absolute())
    return Bad(key + ".out_folder",
               "is required: the absolute path of the folder import files go to");
  ws.out_folder = w["out_folder"];
  if (w.contains("file_name")) {
    if (!w["file_name"].is_string() || w["file_name"].get<std::string>().empty() ||
        w["file_name"].get<std::string>().find('/') != std::string::npos)
      return Bad(key + ".file_name",
                 "expected a file name pattern such as "
                 "\"sen-import-{date}-{seq}.csv\" (no folders)");
    ws.file_name = w["file_name"];
    for (size_t open = ws.file_name.find('{'); open != std::string::npos;
         open = ws.file_name.find('{', open + 1)) {
      size_t close = ws.file_name.find('}', open);
      std::string token =
          ws.file_name.substr(open, close == std::string::npos ? 1 : close - open + 1);
      if (token != "{kind}" && token != "{date}" && token != "{time}" && token != "{seq}" &&
          token != "{source}")
        return Bad(key + ".file_name", "unknown placeholder '" + token +
                                           "' (use {kind}, {source}, {date}, {time}, {seq})");
    }
  }
  if (w.contains("bom")) {
    if (!w["bom"].is_boolean()) return Bad(key + ".bom", "expected true or false");
    ws.bom = w["bom"];
  }
  if (w.contains("line_ending")) {
    std::string le = w["line_ending"].is_string() ? w["line_ending"].get<std::string>() : "";
    if (le != "crlf" && le != "lf") return Bad(key + ".line_ending", "expected \"crlf\" or \"lf\"");
    ws.line_end = le == "crlf" ? "\r\n" : "\n";
  }
  if (w.contains("column_order")) {
    if (!w["column_order"].is_array())
      return Bad(key + ".column_order", "expected a list of headers");
    for (const json& h : w["column_order"]) {
      if (!h.is_string()) return Bad(key + ".column_order", "expected a list of headers");
      ws.column_order.push_back(h);
    }
    if (!s.header) return Bad(key + ".column_order", "needs \"header\": true");
  }
  for (const char* t : {"true_text", "false_text"}) {
    if (!w.contains(t)) continue;
    if (!w[t].is_string()) return Bad(key + "." + t, "expected text such as \"Y\"");
    (std::string(t) == "true_text" ? ws.true_text : ws.false_text) = w[t];
  }
  if (w.contains("neutralise_formulas")) {
    if (!w["neutralise_formulas"].is_boolean())
      return Bad(key + ".neutralise_formulas", "expected true or false");
    ws.neutralise_formulas = w["neutralise_formulas"];
  }
  if (w.contains("action")) {
    const json& a = w["action"];
    if (!a.is_object() || !a.contains("column"))
      return Bad(key + ".action", "expected {\"column\": ..., \"upsert\": ..., \"delete\": ...}");
    for (auto& [k, v] : a.items()) {
      if (k == "column") {
        Result<ColumnRef> c = ParseColumn(key + ".action.column", v, s.header);
        if (!c.ok()) return c.status();
        ws.action_column = *c;
      } else if (k == "upsert" || k == "delete") {
        if (!v.is_string() || v.get<std::string>().empty())
          return Bad(key + ".action." + k, "expected the text the importer understands");
        (k == "upsert" ? ws.action_upsert : ws.action_delete) = v;
      } else {
        return Bad(key + ".action." + k, "unknown setting (known: column, upsert, delete)");
      }
    }
  }
  s.write = std::move(ws);
  return Status::OK();
}

Status ParseMapping(const std::string& key, const json& src, SourceSpec& s) {
  if (!src.contains("columns") || !src["columns"].is_object() || src["columns"].empty())
    return Bad(key + ".columns",
               "is required: which column holds each field, e.g. "
               "{\"upn\": \"UPN\", \"provision\": \"SEN Status\"}");
  std::vector<std::string> allowed = AllowedFields(s.kinds);
  for (auto& [field, v] : src["columns"].items()) {
    if (std::find(allowed.begin(), allowed.end(), field) == allowed.end())
      return Bad(key + ".columns." + field, "'" + field + "' is not a field of " + Join(s.kinds) +
                                                " (fields: " + Join(allowed) + ")");
    Result<ColumnRef> c = ParseColumn(key + ".columns." + field, v, s.header);
    if (!c.ok()) return c.status();
    s.columns[field] = *c;
  }
  if (src.contains("defaults")) {
    if (!src["defaults"].is_object()) return Bad(key + ".defaults", "expected an object");
    for (auto& [field, v] : src["defaults"].items()) {
      std::string k = key + ".defaults." + field;
      const FieldSpec* spec = FieldOf(s.kinds, field);
      if (!spec || std::find(allowed.begin(), allowed.end(), field) == allowed.end())
        return Bad(k, "'" + field + "' is not a field of " + Join(s.kinds));
      std::string text;
      if (v.is_string())
        text = v.get<std::string>();
      else if (v.is_boolean())
        text = v.get<bool>() ? "true" : "false";
      else if (v.is_number())
        text = v.dump();
      else
        return Bad(k, "expected text, a number or true/false");
      if (Trim(text).empty()) return Bad(k, "cannot be empty");
      Result<json> parsed = CellToJson(spec->type, Trim(text), s.date_format);
      if (!parsed.ok()) return Bad(k, parsed.status().message());
      s.defaults[field] = std::string(Trim(text));
    }
  }
  auto present = [&](const std::string& f) { return s.columns.count(f) || s.defaults.count(f); };
  if (!s.columns.count("upn") && !s.columns.count("pupil_id"))
    return Bad(key + ".columns",
               "map 'upn' or 'pupil_id' (or both): each row must say which "
               "pupil it is about");
  for (const std::string& kind : s.kinds)
    for (const std::string& f : RequiredFields(kind))
      if (!present(f))
        return Bad(key + ".columns." + f, "is required for kind " + kind +
                                              ": map it to a column (or give it in defaults)");
  if (src.contains("id_from")) {
    const json& ids = src["id_from"];
    if (!ids.is_array() || ids.empty()) return Bad(key + ".id_from", "expected a list of fields");
    for (const json& f : ids) {
      if (!f.is_string() || !s.columns.count(f.get<std::string>()))
        return Bad(key + ".id_from", (f.is_string() ? "'" + f.get<std::string>() + "'" : f.dump()) +
                                         " is not a mapped field; list fields from \"columns\"");
      s.id_from.push_back(f);
    }
  }
  bool record_ids = s.Has("provision") || s.Has("review");
  if (record_ids && s.columns.count("id") && !s.id_from.empty())
    return Bad(key + ".id_from", "give either columns.id or id_from, not both");
  if (record_ids && !s.columns.count("id") && s.id_from.empty())
    return Bad(key + ".columns.id", "kind " + s.kinds[0] +
                                        " needs a record id: map 'id' to the export's id column, "
                                        "or list in 'id_from' the fields that make a row unique "
                                        "(e.g. [\"upn\", \"intervention\", \"start\"])");
  if (!record_ids && !s.id_from.empty())
    return Bad(key + ".id_from", "pupil and sen records are identified by pupil_id or upn");
  return Status::OK();
}

Result<SourceSpec> ParseSource(const std::string& key, const json& src) {
  if (!src.is_object()) return Bad(key, "expected an object");
  static const std::set<std::string> known = {
      "name",      "kind",        "path",    "pattern", "pick",     "mode",           "header",
      "delimiter", "date_format", "columns", "id_from", "defaults", "settle_seconds", "write"};
  for (auto& [k, v] : src.items())
    if (!known.count(k))
      return Bad(key + "." + k,
                 "unknown setting (known: " + Join({known.begin(), known.end()}) + ")");
  SourceSpec s;
  s.key = key;
  SENDSYNC_RETURN_IF_ERROR(ParseKinds(key, src, s));
  if (src.contains("path")) {
    if (!src["path"].is_string() || !fs::path(src["path"].get<std::string>()).is_absolute())
      return Bad(key + ".path",
                 "expected the absolute path of the export file (or its folder, "
                 "with \"pattern\")");
    s.path = src["path"];
  }
  if (src.contains("pattern")) {
    if (!src["pattern"].is_string() || src["pattern"].get<std::string>().empty() ||
        src["pattern"].get<std::string>().find('/') != std::string::npos)
      return Bad(key + ".pattern", "expected a file name pattern such as \"Roll_*.csv\"");
    if (s.path.empty()) return Bad(key + ".path", "is required with \"pattern\": the folder");
    s.pattern = src["pattern"];
  }
  if (src.contains("pick")) {
    std::string p = src["pick"].is_string() ? src["pick"].get<std::string>() : "";
    if (p != "newest" && p != "last_by_name")
      return Bad(key + ".pick", "expected \"newest\" (last modified) or \"last_by_name\"");
    s.pick = p == "newest" ? Pick::kNewest : Pick::kLastByName;
  }
  if (src.contains("mode")) {
    std::string m = src["mode"].is_string() ? src["mode"].get<std::string>() : "";
    if (m != "snapshot" && m != "append")
      return Bad(key + ".mode",
                 "expected \"snapshot\" (each export is complete) or \"append\" "
                 "(one file that only grows)");
    s.mode = m == "snapshot" ? Mode::kSnapshot : Mode::kAppend;
  }
  if (s.mode == Mode::kAppend && !s.pattern.empty())
    return Bad(key + ".pattern", "append mode reads one growing file: give its path, no pattern");
  if (src.contains("header")) {
    if (!src["header"].is_boolean()) return Bad(key + ".header", "expected true or false");
    s.header = src["header"];
  }
  if (src.contains("delimiter")) {
    std::string d = src["delimiter"].is_string() ? src["delimiter"].get<std::string>() : "";
    if (d == "tab") d = "\t";
    if (d.size() != 1 || d[0] == '"' || d[0] == '\r' || d[0] == '\n' ||
        static_cast<unsigned char>(d[0]) >= 0x80)
      return Bad(key + ".delimiter", "expected one character such as \",\" \";\" \"|\" or \"tab\"");
    s.delimiter = d[0];
  }
  if (src.contains("date_format")) {
    if (!src["date_format"].is_string()) return Bad(key + ".date_format", "expected text");
    Result<DateFormat> f = DateFormat::Compile(src["date_format"].get<std::string>());
    if (!f.ok()) return Bad(key + ".date_format", f.status().message());
    s.date_format = *f;
  }
  if (src.contains("settle_seconds")) {
    const json& v = src["settle_seconds"];
    if (!v.is_number_integer() || v.get<long long>() < 0 || v.get<long long>() > 86400)
      return Bad(key + ".settle_seconds", "expected a whole number of seconds (0 to 86400)");
    s.settle_seconds = static_cast<int>(v.get<long long>());
  }
  SENDSYNC_RETURN_IF_ERROR(ParseMapping(key, src, s));
  if (src.contains("write")) SENDSYNC_RETURN_IF_ERROR(ParseWrite(key + ".write", src["write"], s));
  if (!s.reads() && !s.write)
    return Bad(key + ".path", "is required (what to read), unless the source only has \"write\"");
  if (src.contains("name")) {
    std::string n = src["name"].is_string() ? src["name"].get<std::string>() : "";
    if (n.empty() || !std::all_of(n.begin(), n.end(), NameChar))
      return Bad(key + ".name", "expected letters, digits, '_', '-' or '.'");
    s.name = n;
  } else if (!s.pattern.empty()) {
    s.name = SanitizedName(s.pattern);
  } else if (s.reads()) {
    s.name = SanitizedName(fs::path(s.path).stem().string());
  } else {
    s.name = "write-" + s.write_kind;
  }
  return s;
}

}  // namespace

bool SourceSpec::Has(const std::string& kind) const {
  return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

std::string SourceSpec::ExportFolder() const {
  if (!pattern.empty()) return path;
  return fs::path(path).parent_path().string();
}

Result<CsvConfig> ParseConfig(const json& config) {
  if (!config.is_object())
    return Status::InvalidArgument("the configuration must be a JSON object");
  for (auto& [k, v] : config.items())
    if (k != "sources" && k != "state_folder")
      return Bad(k, "unknown setting (known: sources, state_folder)");
  if (!config.contains("sources") || !config["sources"].is_array() || config["sources"].empty())
    return Bad("sources", "is required: a list of the CSV files this link reads or writes");
  std::string state_root;
  if (config.contains("state_folder")) {
    if (!config["state_folder"].is_string() ||
        !fs::path(config["state_folder"].get<std::string>()).is_absolute())
      return Bad("state_folder", "expected an absolute folder path");
    state_root = config["state_folder"];
  }
  CsvConfig out;
  std::map<std::string, std::string> names, writers;
  for (size_t i = 0; i < config["sources"].size(); ++i) {
    std::string key = "sources[" + std::to_string(i) + "]";
    Result<SourceSpec> s = ParseSource(key, config["sources"][i]);
    if (!s.ok()) return s.status();
    if (auto [it, fresh] = names.emplace(s->name, key); !fresh)
      return Bad(key + ".name", "'" + s->name + "' is also the name of " + it->second +
                                    "; give each source its own \"name\"");
    if (s->write) {
      if (auto [it, fresh] = writers.emplace(s->write_kind, key); !fresh)
        return Bad(key + ".write", it->second + " already writes " + s->write_kind +
                                       "; one source per written kind");
    }
    if (s->reads())
      s->state_folder = (state_root.empty() ? fs::path(s->ExportFolder()) / ".sendsync-csv-state"
                                            : fs::path(state_root)) /
                        s->name;
    out.sources.push_back(std::move(*s));
  }
  return out;
}

json ConfigSchema() {
  json column = {{"description", "a column header, or a column number (1 = first column)"},
                 {"oneOf", json::array({{{"type", "string"}, {"minLength", 1}},
                                        {{"type", "integer"}, {"minimum", 1}}})}};
  json write = {
      {"type", "object"},
      {"additionalProperties", false},
      {"required", {"out_folder"}},
      {"properties",
       {{"out_folder", {{"type", "string"}, {"description", "absolute folder for import files"}}},
        {"file_name",
         {{"type", "string"},
          {"description", "file name pattern: {kind} {source} {date} {time} {seq}"}}},
        {"bom", {{"type", "boolean"}, {"description", "start files with a UTF-8 byte order mark"}}},
        {"line_ending", {{"enum", {"crlf", "lf"}}}},
        {"column_order", {{"type", "array"}, {"items", {{"type", "string"}}}}},
        {"true_text", {{"type", "string"}}},
        {"false_text", {{"type", "string"}}},
        {"neutralise_formulas",
         {{"type", "boolean"},
          {"description",
           "write cells starting = + - @ tab or CR with a leading ' (default true)"}}},
        {"action",
         {{"type", "object"},
          {"additionalProperties", false},
          {"required", {"column"}},
          {"properties",
           {{"column", column},
            {"upsert", {{"type", "string"}, {"minLength", 1}}},
            {"delete", {{"type", "string"}, {"minLength", 1}}}}}}}}}};
  json kind = {{"enum", ReadKinds()}};
  json source = {
      {"type", "object"},
      {"additionalProperties", false},
      {"required", {"kind", "columns"}},
      {"properties",
       {{"name", {{"type", "string"}, {"pattern", "^[A-Za-z0-9_.-]+$"}}},
        {"kind",
         {{"description", "record kind of each row; [\"pupil\", \"sen\"] for a roll export"},
          {"oneOf", json::array({kind, {{"type", "array"}, {"items", kind}, {"minItems", 1}}})}}},
        {"path",
         {{"type", "string"}, {"description", "the export file, or its folder with pattern"}}},
        {"pattern", {{"type", "string"}, {"description", "glob of dated export file names"}}},
        {"pick", {{"enum", {"newest", "last_by_name"}}}},
        {"mode", {{"enum", {"snapshot", "append"}}}},
        {"header", {{"type", "boolean"}}},
        {"delimiter", {{"type", "string"}, {"minLength", 1}, {"maxLength", 3}}},
        {"date_format", {{"type", "string"}, {"description", "e.g. dd/mm/yyyy (default)"}}},
        {"columns",
         {{"type", "object"},
          {"description", "canonical field -> column"},
          {"minProperties", 1},
          {"additionalProperties", column}}},
        {"id_from", {{"type", "array"}, {"items", {{"type", "string"}}}, {"minItems", 1}}},
        {"defaults",
         {{"type", "object"},
          {"additionalProperties", {{"type", {"string", "number", "boolean"}}}}}},
        {"settle_seconds", {{"type", "integer"}, {"minimum", 0}, {"maximum", 86400}}},
        {"write", write}}}};
  return {{"type", "object"},
          {"additionalProperties", false},
          {"required", {"sources"}},
          {"properties",
           {{"sources", {{"type", "array"}, {"minItems", 1}, {"items", source}}},
            {"state_folder",
             {{"type", "string"},
              {"description",
               "where snapshot state is kept (default: a .sendsync-csv-state "
               "folder beside each export)"}}}}}};
}

}  // namespace sendsync::csv
