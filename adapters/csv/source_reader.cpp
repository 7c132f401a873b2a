#include "source_reader.h"

#include <Poco/Crypto/DigestEngine.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <unordered_map>
#include <unordered_set>

namespace sendsync::csv {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr uint64_t kFingerprintBytes = 1024;
const std::string kNoId;

std::vector<std::string_view> Split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t at = text.find(sep, start);
    out.push_back(
        text.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

bool ToNumber(std::string_view text, uint64_t& out) {
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && p == text.data() + text.size() && !text.empty();
}

}  // namespace

std::string FormatCursor(const std::vector<CursorPart>& parts) {
  if (parts.empty()) return "";
  std::string out = "csv1";
  for (const CursorPart& p : parts) {
    out += "|" + p.source + "~" + p.mode + "~" + p.hash + "~" + std::to_string(p.fplen) + "~" +
           std::to_string(p.row) + "~" + std::to_string(p.offset) + "~" + std::to_string(p.line);
  }
  return out;
}

Result<std::vector<CursorPart>> ParseCursor(const std::string& text) {
  std::vector<CursorPart> parts;
  if (text.empty()) return parts;
  auto bad = [&] {
    return Status::InvalidArgument("cursor '" + text + "' was not made by the csv adapter");
  };
  std::vector<std::string_view> items = Split(text, '|');
  if (items[0] != "csv1") return bad();
  for (size_t i = 1; i < items.size(); ++i) {
    std::vector<std::string_view> f = Split(items[i], '~');
    CursorPart p;
    if (f.size() != 7 || f[0].empty() || (f[1] != "s" && f[1] != "a") || !ToNumber(f[3], p.fplen) ||
        !ToNumber(f[4], p.row) || !ToNumber(f[5], p.offset) || !ToNumber(f[6], p.line))
      return bad();
    p.source = std::string(f[0]);
    p.mode = f[1][0];
    p.hash = std::string(f[2]);
    parts.push_back(std::move(p));
  }
  return parts;
}

std::string SourceReader::FileLabel(const std::string& path) const {
  return fs::path(path).filename().string();
}

Result<std::shared_ptr<RowReader>> SourceReader::BindHeader(CsvReader& reader,
                                                            const std::string& path,
                                                            bool* header_complete) {
  *header_complete = true;
  CsvRecord header;
  if (source_->header) {
    if (!reader.Next(header)) {
      if (!reader.status().ok()) return reader.status();
      *header_complete = false;
      return Status::InvalidArgument(FileLabel(path) + " is empty: it has no header row");
    }
    *header_complete = header.terminated;
  }
  Result<RowReader> rows = RowReader::Bind(*source_, source_->header ? &header : nullptr);
  if (!rows.ok()) return Status::InvalidArgument(FileLabel(path) + ": " + rows.status().message());
  return std::make_shared<RowReader>(std::move(*rows));
}

Status SourceReader::ReadPage(const std::string& kind, CursorPart& part, size_t& budget,
                              sdk::ReadResult& result, bool& more, int64_t& left) {
  more = false;
  left = 0;
  Status st = source_->mode == Mode::kSnapshot
                  ? ReadSnapshot(kind, part, budget, result, more, left)
                  : ReadAppend(kind, part, budget, result, more, left);
  if (!st.ok()) return st.WithContext("source '" + source_->name + "'");
  return st;
}

Result<std::shared_ptr<const SourceReader::Scan>> SourceReader::ScanFile(const std::string& path) {
  std::optional<FileStamp> before = StampOf(path);
  if (!before) return Status::Unavailable(FileLabel(path) + " disappeared while being read");
  if (scan_ && scan_->path == path && scan_->stamp == *before) return scan_;

  auto scan = std::make_shared<Scan>();
  scan->path = path;
  scan->stamp = *before;
  Poco::Crypto::DigestEngine sha("SHA256");
  CsvReader reader({source_->delimiter});
  reader.set_block_observer([&](const char* p, size_t n) { sha.update(p, n); });
  Status st = reader.Open(path);
  if (!st.ok())
    return st.code() == Status::Code::kNotFound
               ? Status::Unavailable(FileLabel(path) + " disappeared while being read")
               : Status::InvalidArgument(FileLabel(path) + ": " + st.message());
  bool complete = true;
  Result<std::shared_ptr<RowReader>> rows = BindHeader(reader, path, &complete);
  if (!rows.ok()) return rows.status();
  scan->rows = *rows;
  scan->data_offset = reader.offset();
  scan->data_line = reader.line();

  std::map<std::string, std::unordered_map<std::string, uint64_t>> seen;
  CsvRecord rec;
  uint64_t row = 0;
  while (reader.Next(rec)) {
    ++row;
    if ((row & 1023) == 0 && host_->Cancelled()) return Status::Cancelled("read cancelled");
    if (rec.blank()) continue;
    ++scan->data_rows;
    scan->last_data_row = row;
    bool sound = scan->rows->CheckStructure(rec).empty();
    for (const std::string& kind : source_->kinds) {
      KindScan& ks = scan->kinds[kind];
      RowReader::Identity id;
      if (sound) id = scan->rows->IdentityOf(kind, rec);
      if (!id.known) {
        if (ks.unidentified++ == 0) ks.first_unidentified = row;
        continue;
      }
      auto [it, fresh] = seen[kind].emplace(id.id, row);
      if (fresh)
        ks.ids.push_back({id.id, id.upn});
      else
        ks.duplicate_of[row] = it->second;
    }
  }
  if (!reader.status().ok())
    return Status::IoError(FileLabel(path) + ": " + reader.status().message());
  for (const std::string& kind : source_->kinds) scan->kinds[kind];  // present even when empty
  if (StampOf(path) != before)
    return Status::Unavailable(FileLabel(path) +
                               " changed while it was being read; it will be read again");
  scan->hash = Poco::Crypto::DigestEngine::digestToHex(sha.digest());
  scan_ = scan;
  return std::shared_ptr<const Scan>(scan);
}

Status SourceReader::Deletions(const std::string& kind, const std::string& previous_hash,
                               const Scan& scan, sdk::ReadResult& result) {
  const KindScan& ks = scan.kinds.at(kind);
  std::vector<IdEntry> carry = ks.ids;
  if (!previous_hash.empty()) {
    Result<std::vector<IdEntry>> prev = state_.Load(kind, previous_hash);
    if (!prev.ok()) {
      host_->Warn("csv source '" + source_->name + "': the ids of the previous export are not in " +
                  "the state folder (" + prev.status().message() +
                  "); records removed since then cannot be reported as deletions");
    } else {
      std::unordered_set<std::string> now;
      for (const IdEntry& e : ks.ids) now.insert(e.id);
      bool empty_export = scan.data_rows == 0 && !prev->empty();
      if (ks.unidentified == 0 && !empty_export) {
        for (const IdEntry& e : *prev)
          if (!now.count(e.id)) result.deletions.push_back({kind, e.id, e.upn});
      } else {
        host_->Warn("csv source '" + source_->name + "': no deletions are reported for " +
                    FileLabel(scan.path) + " because " +
                    (empty_export ? std::string("it has no rows (a failed export?)")
                                  : "row " + std::to_string(ks.first_unidentified) +
                                        " cannot be identified (see its reject)") +
                    "; they will be reported once a sound export arrives");
        for (const IdEntry& e : *prev)
          if (!now.count(e.id)) carry.push_back(e);
      }
    }
  }
  return state_.Save(kind, scan.hash, carry, previous_hash);
}

Status SourceReader::ReadSnapshot(const std::string& kind, CursorPart& part, size_t& budget,
                                  sdk::ReadResult& result, bool& more, int64_t& left) {
  Result<std::optional<std::string>> file = CurrentFile(*source_);
  if (!file.ok()) return file.status();
  if (!*file) return Status::OK();  // nothing exported yet (or still settling)
  Result<std::shared_ptr<const Scan>> scanned = ScanFile(**file);
  if (!scanned.ok()) return scanned.status();
  const Scan& scan = **scanned;
  if (part.hash == scan.hash) {
    // Read to the end, or a cursor from beyond it: nothing more.
    if (part.row >= scan.last_data_row || part.offset >= scan.stamp.size) return Status::OK();
  } else {
    SENDSYNC_RETURN_IF_ERROR(Deletions(kind, part.hash, scan, result));
    part.mode = 's';
    part.hash = scan.hash;
    part.fplen = 0;
    part.row = 0;
    part.offset = scan.data_offset;
    part.line = scan.data_line;
  }
  SENDSYNC_RETURN_IF_ERROR(Emit(kind, scan.path, *scan.rows, &scan, false, part, budget, result));
  if (StampOf(scan.path) != scan.stamp)
    return Status::Unavailable(FileLabel(scan.path) +
                               " changed while it was being read; it will be read again");
  more = part.row < scan.last_data_row;
  left = more ? static_cast<int64_t>(scan.last_data_row - part.row) : 0;
  return Status::OK();
}

Status SourceReader::ReadAppend(const std::string& kind, CursorPart& part, size_t& budget,
                                sdk::ReadResult& result, bool& more, int64_t& left) {
  const std::string& path = source_->path;
  std::optional<FileStamp> stamp = StampOf(path);
  if (!stamp) {
    Result<std::optional<std::string>> folder_ok = CurrentFile(*source_);
    return folder_ok.ok() ? Status::OK() : folder_ok.status();
  }
  bool fresh = part.hash.empty() || part.mode != 'a';
  if (!fresh) {
    uint64_t hashed = 0;
    Result<std::string> fp = HashPrefix(path, part.fplen, &hashed);
    if (!fp.ok()) return fp.status();
    if (hashed != part.fplen || *fp != part.hash) {
      host_->Warn("csv source '" + source_->name + "': " + FileLabel(path) +
                  " was replaced, not appended to; reading it from the start");
      fresh = true;
    } else if (part.offset > stamp->size) {
      return Status::OK();  // a cursor beyond the end of the file: nothing more
    }
  }
  CsvReader reader({source_->delimiter});
  Status st = reader.Open(path);
  if (st.code() == Status::Code::kNotFound) return Status::OK();
  if (!st.ok()) return Status::InvalidArgument(FileLabel(path) + ": " + st.message());
  bool complete = true;
  Result<std::shared_ptr<RowReader>> rows = BindHeader(reader, path, &complete);
  if (!complete) return Status::OK();  // the header is not all there yet
  if (!rows.ok()) return rows.status();
  if (fresh) {
    part = CursorPart{source_->name, 'a', "", 0, 0, reader.offset(), reader.line()};
  }
  const uint64_t from_offset = part.offset, from_row = part.row;
  SENDSYNC_RETURN_IF_ERROR(Emit(kind, path, **rows, nullptr, true, part, budget, result));
  uint64_t hashed = 0;
  Result<std::string> fp = HashPrefix(path, std::min(part.offset, kFingerprintBytes), &hashed);
  if (!fp.ok()) return fp.status();
  part.hash = *fp;
  part.fplen = hashed;
  std::optional<FileStamp> now = StampOf(path);
  more = budget == 0 && now && part.offset < now->size;
  // Rows still to come, at this page's bytes per row.
  const uint64_t rows_read = part.row - from_row, bytes_read = part.offset - from_offset;
  if (!more)
    left = 0;
  else if (rows_read == 0 || bytes_read == 0)
    left = -1;
  else
    left =
        static_cast<int64_t>(((now->size - part.offset) * rows_read + bytes_read - 1) / bytes_read);
  return Status::OK();
}

Status SourceReader::Emit(const std::string& kind, const std::string& path, const RowReader& rows,
                          const Scan* scan, bool complete_rows_only, CursorPart& part,
                          size_t& budget, sdk::ReadResult& result) {
  if (budget == 0) return Status::OK();
  CsvReader reader({source_->delimiter});
  Status st = reader.Open(path, part.offset, part.line);
  if (!st.ok()) return Status::Unavailable(FileLabel(path) + ": " + st.message());
  const std::string file = FileLabel(path);
  const KindScan* ks = scan ? &scan->kinds.at(kind) : nullptr;
  CsvRecord rec;
  while (budget > 0 && reader.Next(rec)) {
    if (complete_rows_only && !rec.terminated) break;
    uint64_t row = part.row + 1;
    part.row = row;
    part.offset = rec.end;
    part.line = reader.line();
    if (rec.blank()) continue;
    --budget;
    auto where = [&] {
      return file + " row " + std::to_string(row) + " (line " + std::to_string(rec.line) + ")";
    };
    std::string bad = rows.CheckStructure(rec);
    if (!bad.empty()) {
      result.AddReject(rec.raw, where(), bad);
      continue;
    }
    RowReader::Converted c = rows.Convert(kind, rec);
    const std::string& id = c.identity.known ? c.identity.id : kNoId;
    if (!c.errors.empty()) {
      result.AddReject(rec.raw, where(), c.errors, id);
      continue;
    }
    if (ks) {
      if (auto dup = ks->duplicate_of.find(row); dup != ks->duplicate_of.end()) {
        result.AddReject(rec.raw, where(),
                         "record id '" + id + "' is also on row " + std::to_string(dup->second) +
                             "; only the first is read (remove or correct the repeat)",
                         id);
        continue;
      }
    }
    result.AddRecord(c.record);
    if ((row & 255) == 0 && host_->Cancelled()) return Status::Cancelled("read cancelled");
  }
  if (!reader.status().ok()) return Status::IoError(file + ": " + reader.status().message());
  return Status::OK();
}

json SourceReader::Current() const {
  Result<std::optional<std::string>> file = CurrentFile(*source_);
  if (!file.ok()) return {{"error", file.status().message()}};
  if (!*file) return nullptr;
  std::optional<FileStamp> s = StampOf(**file);
  return {{"file", **file}, {"bytes", s ? s->size : 0}};
}

}  // namespace sendsync::csv
