#include "csv_adapter.h"

#include <unistd.h>

#include <filesystem>
#include <map>

#include "fields.h"

namespace sendsync::csv {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const char* ModeName(Mode m) {
  return m == Mode::kSnapshot ? "snapshot" : "append";
}

// OK when `folder` exists (or can be made) and sendsync may write in it.
Status WritableFolder(const std::string& folder, const std::string& what) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec || ::access(folder.c_str(), W_OK | X_OK) != 0)
    return Status::Unavailable("cannot write to the " + what + " '" + folder + "'" +
                               (ec ? ": " + ec.message() : ""));
  return Status::OK();
}

}  // namespace

json CsvAdapter::Manifest() {
  return {{"id", "csv"},
          {"name", "CSV files (MIS report exports and bulk imports)"},
          {"version", "1.0.0"},
          {"vendor", "sendsync"},
          {"description",
           "Reads pupil roll, SEN status and needs, provision map and review rows from CSV "
           "exports (RFC 4180, UTF-8) through a column mapping, and writes bulk-import CSV files. "
           "Snapshot exports report removed rows as deletions."},
          {"reads", ReadKinds()},
          {"writes", WriteKinds()},
          {"config_schema", ConfigSchema()}};
}

Status CsvAdapter::Configure(const json& config) {
  Result<CsvConfig> parsed = ParseConfig(config);
  if (!parsed.ok()) return parsed.status();
  config_ = std::move(*parsed);
  readers_.clear();
  writers_.clear();
  for (const SourceSpec& s : config_.sources) {
    readers_.push_back(s.reads() ? std::make_unique<SourceReader>(s, host()) : nullptr);
    std::unique_ptr<ImportWriter> w;
    if (s.write) {
      Result<std::unique_ptr<ImportWriter>> opened = ImportWriter::Open(s);
      if (!opened.ok()) return opened.status();
      w = std::move(*opened);
    }
    writers_.push_back(std::move(w));
  }
  return Status::OK();
}

Result<json> CsvAdapter::Describe() {
  json sources = json::array();
  for (const SourceSpec& s : config_.sources) {
    json d = {{"name", s.name}, {"kinds", s.kinds}};
    if (s.reads()) {
      d["path"] = s.path;
      if (!s.pattern.empty()) d["pattern"] = s.pattern;
      d["mode"] = ModeName(s.mode);
      d["date_format"] = s.date_format.pattern();
    }
    if (s.write) d["writes"] = {{"kind", s.write_kind}, {"out_folder", s.write->out_folder}};
    sources.push_back(std::move(d));
  }
  return json{{"sources", std::move(sources)}};
}

Status CsvAdapter::Check() {
  for (const SourceSpec& s : config_.sources) {
    if (s.reads()) {
      Result<std::optional<std::string>> file = CurrentFile(s);
      if (!file.ok()) return file.status().WithContext("source '" + s.name + "'");
      if (s.mode == Mode::kSnapshot)
        SENDSYNC_RETURN_IF_ERROR(
            WritableFolder(s.state_folder, "state folder").WithContext("source '" + s.name + "'"));
    }
    if (s.write)
      SENDSYNC_RETURN_IF_ERROR(
          WritableFolder(s.write->out_folder, "out folder").WithContext("source '" + s.name + "'"));
  }
  return Status::OK();
}

Result<json> CsvAdapter::Discover() {
  json items = json::array();
  for (size_t i = 0; i < config_.sources.size(); ++i) {
    const SourceSpec& s = config_.sources[i];
    json item = {{"source", s.name}, {"kinds", s.kinds}};
    if (readers_[i]) item["current"] = readers_[i]->Current();
    if (s.write) item["writes"] = s.write_kind;
    items.push_back(std::move(item));
  }
  return items;
}

Status CsvAdapter::Read(const sdk::ReadRequest& req, sdk::ReadResult& res) {
  if (!IsReadKind(req.kind))
    return Status::InvalidArgument("the csv adapter does not read '" + req.kind + "' records");
  Result<std::vector<CursorPart>> parsed = ParseCursor(req.cursor);
  if (!parsed.ok()) return parsed.status();
  std::map<std::string, CursorPart> parts;
  for (CursorPart& p : *parsed) parts[p.source] = std::move(p);

  size_t budget = req.limit;
  bool more = false;
  int64_t left = 0;  // rows still to come in every source of the kind; -1: unknown
  std::vector<CursorPart> next;
  for (size_t i = 0; i < config_.sources.size(); ++i) {
    const SourceSpec& s = config_.sources[i];
    if (!readers_[i] || !s.Has(req.kind)) continue;
    CursorPart part;
    part.source = s.name;
    part.mode = s.mode == Mode::kSnapshot ? 's' : 'a';
    if (auto it = parts.find(s.name); it != parts.end() && it->second.mode == part.mode)
      part = it->second;  // a part for another mode is from an older config: start afresh
    if (budget == 0) {
      more = true;
      left = -1;  // a source this page did not reach: how much it holds is not known yet
    } else {
      bool source_more = false;
      int64_t source_left = 0;
      SENDSYNC_RETURN_IF_ERROR(
          readers_[i]->ReadPage(req.kind, part, budget, res, source_more, source_left));
      more |= source_more;
      left = left < 0 || source_left < 0 ? -1 : left + source_left;
    }
    next.push_back(std::move(part));
  }
  res.next_cursor = next.empty() ? req.cursor : FormatCursor(next);
  res.more = more;
  if (more && left >= 0) res.remaining = left;  // for progress: records of the total
  return Status::OK();
}

Status CsvAdapter::Write(const sdk::WriteRequest& req, sdk::WriteResult& res) {
  if (!IsWriteKind(req.kind))
    return Status::InvalidArgument("the csv adapter does not write '" + req.kind + "' records");
  for (size_t i = 0; i < config_.sources.size(); ++i) {
    if (!writers_[i] || config_.sources[i].write_kind != req.kind) continue;
    writers_[i]->Write(req, res);
    return Status::OK();
  }
  return Status::InvalidArgument("no source in this link's configuration writes '" + req.kind +
                                 "' records (add a \"write\" section to a source of that kind)");
}

}  // namespace sendsync::csv
