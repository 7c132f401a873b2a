// jsonl-folder: the example adapter. Copy this file to start your own.
//
// It reads canonical records from JSON-lines files in a folder, one file per record kind
// (<folder>/pupil.jsonl, <folder>/sen.jsonl, ...), and writes changes it is sent to
// <out_folder>/<kind>.jsonl. Files are treated as append-only logs: the cursor remembers how far
// into each file the host has read (a byte offset at a line boundary), so appending lines is how
// an exporting system hands over changes, and a page starts where the last one stopped. The
// cursor also names the file it was taken on, so that a file replaced by another of the same name
// is read from its start. A line {"delete": {"id": "...", "upn": "..."}} reports a deleted record.
//
// What it shows an author:
//  - Configure() refusing bad configuration with a message naming the key;
//  - Read() paging with an opaque cursor, passing raw JSON through, and reporting lines it cannot
//    parse as rejects (the host quarantines them) instead of dropping them;
//  - Write() being idempotent per key, so the host's at-least-once delivery is effectively-once.
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <sendsync/sdk/adapter.h>
#include <sendsync/sdk/json_limits.h>
#include <sendsync/sdk/records.h>
#include <sendsync/sdk/regular_file.h>
#include <nlohmann/json.hpp>

namespace {

using nlohmann::json;
using sendsync::Status;
namespace fs = std::filesystem;
namespace sdk = sendsync::sdk;

// FNV-1a of a line, for telling a file that was replaced (start again) from one that grew.
std::string Fingerprint(const std::string& line) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : line) h = (h ^ c) * 1099511628211ull;
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

// Cursor text: "v2:<first line>:<byte offset>:<last start>:<last line>", where <first line> and
// <last line> are fingerprints of the file's first line and of the line that ends at the offset
// (which starts at byte <last start>). A file whose first line or line before the offset differs
// is not the file the cursor was taken on, and is read from its start. The cursor names content,
// not a disk location: a folder restored from a backup or moved to another disk carries on where
// it was. (A file shorter than the offset gives nothing, as a cursor from the future must, until
// it is longer.) "v1:<first line>:<byte offset>" (earlier
// versions) is still understood. Empty means "from the beginning".
struct Cursor {
  std::string fingerprint;
  uint64_t offset = 0;
  uint64_t last_start = 0;
  std::string last;  // empty when nothing was read yet (offset 0) or in a v1 cursor

  static bool Parse(const std::string& text, Cursor& out) {
    if (text.empty()) return true;
    std::vector<std::string> parts;
    size_t from = 0;
    for (size_t at; (at = text.find(':', from)) != std::string::npos; from = at + 1)
      parts.push_back(text.substr(from, at - from));
    parts.push_back(text.substr(from));
    const bool v1 = parts.size() == 3 && parts[0] == "v1";
    const bool v2 = parts.size() == 5 && parts[0] == "v2";
    if (!v1 && !v2) return false;
    out.fingerprint = parts[1];
    if (!Number(parts[2], out.offset)) return false;
    if (v2) {
      if (!Number(parts[3], out.last_start) || out.last_start > out.offset) return false;
      out.last = parts[4];
    }
    return true;
  }
  std::string ToString() const {
    return "v2:" + fingerprint + ":" + std::to_string(offset) + ":" + std::to_string(last_start) +
           ":" + last;
  }

 private:
  static bool Number(const std::string& s, uint64_t& out) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return !s.empty() && ec == std::errc() && end == s.data() + s.size();
  }
};

class JsonlFolderAdapter : public sdk::Adapter {
 public:
  static json Manifest() {
    json kinds = json::array();
    for (auto k : sendsync::records::AllKinds()) kinds.push_back(sendsync::records::KindName(k));
    return {{"id", "jsonl-folder"},
            {"name", "JSON-lines folder"},
            {"version", "1.0.0"},
            {"vendor", "sendsync"},
            {"description",
             "Reads canonical records from <kind>.jsonl files in a folder and writes changes to "
             "<kind>.jsonl files in an out folder. The SDK's example adapter."},
            {"reads", kinds},
            {"writes", kinds},
            {"config_schema",
             {{"type", "object"},
              {"required", {"folder"}},
              {"additionalProperties", false},
              {"properties",
               {{"folder",
                 {{"type", "string"},
                  {"minLength", 1},
                  {"description", "folder holding <kind>.jsonl files to read"}}},
                {"out_folder",
                 {{"type", "string"},
                  {"minLength", 1},
                  {"description", "folder to write changes into (default: <folder>/out)"}}}}}}}};
  }

  Status Configure(const json& config) override {
    if (!config.contains("folder") || !config["folder"].is_string() ||
        config["folder"].get<std::string>().empty())
      return Status::InvalidArgument("config key 'folder' is required: the folder to read from");
    folder_ = config["folder"].get<std::string>();
    if (!fs::is_directory(folder_))
      return Status::InvalidArgument("config key 'folder': '" + folder_ + "' is not a folder");
    out_folder_ = config.value("out_folder", (fs::path(folder_) / "out").string());
    return LoadWrittenKeys();
  }

  sendsync::Result<json> Describe() override {
    return json{{"folder", folder_}, {"out_folder", out_folder_}};
  }

  Status Check() override {
    if (::access(folder_.c_str(), R_OK | X_OK) != 0)
      return Status::Unavailable("cannot read folder '" + folder_ + "'");
    return Status::OK();
  }

  sendsync::Result<json> Discover() override {
    json items = json::array();
    for (auto k : sendsync::records::AllKinds()) {
      fs::path p = fs::path(folder_) / (std::string(sendsync::records::KindName(k)) + ".jsonl");
      std::error_code ec;
      if (fs::symlink_status(p, ec).type() == fs::file_type::regular)
        items.push_back(
            {{"kind", sendsync::records::KindName(k)}, {"bytes", fs::file_size(p, ec)}});
    }
    return items;
  }

  Status Read(const sdk::ReadRequest& req, sdk::ReadResult& res) override {
    if (!sendsync::records::ParseKind(req.kind))
      return Status::InvalidArgument("unknown record kind '" + req.kind + "'");
    Cursor cur;
    if (!Cursor::Parse(req.cursor, cur))
      return Status::InvalidArgument("cursor '" + req.cursor + "' was not made by this adapter");
    fs::path path = fs::path(folder_) / (req.kind + ".jsonl");
    // Only a regular file in the folder is read: a symbolic link (to /etc/shadow, say), a FIFO
    // or a folder in its place is refused with the reason and never opened for reading.
    sendsync::Result<sdk::RegularFile> opened =
        sdk::RegularFile::Open(folder_, req.kind + ".jsonl");
    if (opened.status().code() == Status::Code::kNotFound) {  // nothing exported for this kind yet
      res.next_cursor = req.cursor;
      return Status::OK();
    }
    if (!opened.ok()) return opened.status();
    const uint64_t size = static_cast<uint64_t>(opened->info().st_size);
    std::unique_ptr<std::istream> stream = std::move(*opened).ToStream();
    std::istream& in = *stream;
    std::string first;
    std::getline(in, first);
    std::string fp = Fingerprint(first);
    if (cur.offset > 0 && !SameFile(in, cur, fp, size)) {
      host().Warn("file " + path.filename().string() + " was replaced; reading it from the start");
      cur = Cursor{};
    }
    cur.fingerprint = fp;
    in.clear();
    in.seekg(static_cast<std::streamoff>(cur.offset));
    std::string line;
    uint64_t offset = cur.offset;
    const uint64_t start_offset = cur.offset;
    uint64_t line_start = cur.offset;
    size_t taken = 0;
    bool cancelled = false;
    while (taken < req.limit && std::getline(in, line)) {
      bool complete = !in.eof();  // a last line without '\n' may still be being written
      if (!complete) break;
      cur.last_start = offset;
      cur.last = Fingerprint(line + "\n");
      offset += line.size() + 1;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) {
        line_start = offset;
        continue;
      }
      ++taken;
      AddLine(req.kind, path.filename().string() + " at byte " + std::to_string(line_start), line,
              res);
      line_start = offset;
      if (host().Cancelled()) {
        cancelled = true;  // stop early; the host resumes from next_cursor
        break;
      }
    }
    cur.offset = offset;
    res.next_cursor = cur.ToString();
    res.more = cancelled || (taken == req.limit && in.peek() != EOF);
    if (res.more && taken > 0 && offset > start_offset) {  // a rough estimate, for progress bars
      std::error_code ec;
      uint64_t size = fs::file_size(path, ec);
      if (!ec && size > offset)
        res.remaining = static_cast<int64_t>((size - offset) * taken / (offset - start_offset));
    }
    return Status::OK();
  }

  Status Write(const sdk::WriteRequest& req, sdk::WriteResult& res) override {
    if (!sendsync::records::ParseKind(req.kind))
      return Status::InvalidArgument("unknown record kind '" + req.kind + "'");
    std::lock_guard<std::mutex> lock(mu_);
    std::error_code ec;
    fs::create_directories(out_folder_, ec);
    fs::path path = fs::path(out_folder_) / (req.kind + ".jsonl");
    FILE* f = std::fopen(path.c_str(), "a");
    if (!f) return Status::Unavailable("cannot open '" + path.string() + "' for writing");
    // Keys count as applied only once their lines are on disk.
    std::map<std::string, std::string> appended;
    for (const sdk::Change& ch : req.changes) {
      if (auto it = written_.find(ch.key); it != written_.end()) {
        res.Applied(ch.key, it->second);  // seen before: applied once, answer the same
        continue;
      }
      if (appended.count(ch.key)) continue;  // the same key twice in one batch: one line
      std::string remote_id = !ch.remote_id.empty() ? ch.remote_id
                              : ch.record.contains("id") && ch.record["id"].is_string()
                                  ? ch.record["id"].get<std::string>()
                                  : ch.key.substr(0, 16);
      json line = {{"key", ch.key}, {"op", ch.op}, {"id", remote_id}, {"record", ch.record}};
      std::string text = line.dump() + "\n";
      if (std::fwrite(text.data(), 1, text.size(), f) != text.size()) {
        res.Retry(ch.key, "could not write to '" + path.string() + "'");
        continue;
      }
      appended[ch.key] = remote_id;
    }
    bool ok = std::fflush(f) == 0 && ::fsync(fileno(f)) == 0;
    std::fclose(f);
    if (!ok) return Status::Unavailable("could not flush '" + path.string() + "' to disk");
    for (const auto& [key, remote_id] : appended) written_[key] = remote_id;
    for (const sdk::Change& ch : req.changes)
      if (appended.count(ch.key)) res.Applied(ch.key, appended[ch.key]);
    return Status::OK();
  }

 private:
  // Whether the file open as `in` is the one `cur` was taken on (see Cursor).
  static bool SameFile(std::istream& in, const Cursor& cur, const std::string& first_fp,
                       uint64_t size) {
    if (cur.fingerprint != first_fp) return false;
    // A cursor past the end reads nothing until the file has grown past it (and is then checked).
    if (cur.last.empty() || cur.offset > size) return true;  // a v1 cursor knows the first line
    std::string last(cur.offset - cur.last_start, '\0');
    in.clear();
    in.seekg(static_cast<std::streamoff>(cur.last_start));
    in.read(last.data(), static_cast<std::streamsize>(last.size()));
    return in.gcount() == static_cast<std::streamsize>(last.size()) &&
           Fingerprint(last) == cur.last;
  }

  void AddLine(const std::string& kind, const std::string& file, const std::string& line,
               sdk::ReadResult& res) {
    // Checked in one pass with a bound on nesting, without building it: a hostile line is refused
    // at once, alone, and a record passes through as the text it is.
    std::string error;
    if (!sdk::CheckJson(line, &error)) {
      // Only a line that is JSON gets the nesting message (a rare second look, for refusals only).
      res.AddReject(line, file, json::accept(line) ? error : "not valid JSON");
      return;
    }
    // Deletions are the only lines we look inside.
    if (line.find("\"delete\"") != std::string::npos) {
      json j = sdk::ParseJson(line);
      if (j.is_object() && j.contains("delete") && j["delete"].is_object()) {
        const json& d = j["delete"];
        res.deletions.push_back({kind, d.value("id", ""), d.value("upn", "")});
        return;
      }
    }
    res.AddRawRecord(line);
  }

  // Keys already applied, from earlier runs, so that a repeat is answered without a second line.
  Status LoadWrittenKeys() {
    std::error_code ec;
    if (!fs::is_directory(out_folder_, ec)) return Status::OK();
    for (const auto& e : fs::directory_iterator(out_folder_, ec)) {
      if (e.path().extension() != ".jsonl") continue;
      std::ifstream in(e.path());
      std::string line;
      while (std::getline(in, line)) {
        json j = json::parse(line, nullptr, false);
        if (j.is_object() && j.contains("key")) written_[j["key"]] = j.value("id", "");
      }
    }
    return Status::OK();
  }

  std::string folder_, out_folder_;
  std::mutex mu_;
  std::map<std::string, std::string> written_;
};

}  // namespace

SENDSYNC_EXPORT_ADAPTER(JsonlFolderAdapter);
