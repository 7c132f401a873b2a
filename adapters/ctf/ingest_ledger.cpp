#include "ingest_ledger.h"

#include <cstdio>
#include <random>

#include "file_util.h"

namespace sendsync::ctf {

using nlohmann::json;

json LedgerEntry::ToJson() const {
  json j = {{"seq", seq},     {"sha256", sha256},           {"name", name}, {"path", path},
            {"state", state}, {"ingested_at", ingested_at}, {"size", size}, {"mtime_ns", mtime_ns}};
  if (state == "accepted") {
    j["header"] = header;
    j["pupils"] = pupils;
    if (!duplicates.empty()) j["duplicates"] = duplicates;
  } else {
    j["reason"] = reason;
    j["line"] = line;
    j["element"] = element;
  }
  return j;
}

LedgerEntry LedgerEntry::FromJson(const json& j) {
  LedgerEntry e;
  e.seq = j.at("seq").get<int64_t>();
  e.sha256 = j.at("sha256").get<std::string>();
  e.name = j.at("name").get<std::string>();
  e.path = j.at("path").get<std::string>();
  e.state = j.at("state").get<std::string>();
  e.ingested_at = j.value("ingested_at", "");
  e.size = j.value("size", uintmax_t{0});
  e.mtime_ns = j.value("mtime_ns", int64_t{0});
  e.header = j.value("header", json::object());
  e.pupils = j.value("pupils", size_t{0});
  if (j.contains("duplicates"))
    e.duplicates = j["duplicates"].get<std::map<std::string, std::vector<int>>>();
  e.reason = j.value("reason", "");
  e.line = j.value("line", 0);
  e.element = j.value("element", "");
  return e;
}

Result<IngestLedger> IngestLedger::Load(const std::filesystem::path& path, sdk::FileSystem& fs) {
  Result<sdk::KeyLedger> file = sdk::KeyLedger::Open(fs, path);
  if (!file.ok()) return file.status().WithContext("the CTF ingest ledger");
  IngestLedger l(std::move(*file));
  if (l.file_.records().empty()) {  // new (or created by a crash before its first line was whole)
    std::random_device rd;
    char id[17];
    std::snprintf(id, sizeof id, "%08x%08x", rd(), rd());
    l.id_ = id;
    SENDSYNC_RETURN_IF_ERROR(
        l.file_.Append(json{{"ledger", l.id_}, {"created", NowLocalIso()}, {"format", 1}}));
    return l;
  }
  for (const sdk::KeyLedger::Record& r : l.file_.records())
    SENDSYNC_RETURN_IF_ERROR(l.Apply(r.value, r.line));
  if (l.id_.empty())
    return Status::Corruption("ingest ledger '" + path.string() + "' has no id line");
  return l;
}

Status IngestLedger::Apply(const json& j, size_t n) {
  try {
    if (j.contains("ledger")) {
      id_ = j["ledger"].get<std::string>();
    } else if (j.contains("sha256")) {
      LedgerEntry e = LedgerEntry::FromJson(j);
      entries_[e.seq] = std::move(e);
    } else if (j.contains("moved_to")) {
      entries_.at(j.at("seq").get<int64_t>()).path = j["moved_to"].get<std::string>();
    } else if (j.contains("lost")) {
      entries_.at(j.at("seq").get<int64_t>()).lost = j["lost"].get<std::string>();
    }
  } catch (const std::exception& e) {
    return Status::Corruption("ingest ledger '" + file_.path().string() + "' line " +
                              std::to_string(n) + " is damaged (" + e.what() +
                              "); fix or move the ledger by hand");
  }
  return Status::OK();
}

const LedgerEntry* IngestLedger::FindHash(const std::string& sha256) const {
  const LedgerEntry* found = nullptr;
  for (const auto& [seq, e] : entries_)
    if (e.sha256 == sha256 && e.lost.empty()) found = &e;
  return found;
}

Result<int64_t> IngestLedger::Add(LedgerEntry entry) {
  entry.seq = max_seq() + 1;
  SENDSYNC_RETURN_IF_ERROR(file_.Append(entry.ToJson()));
  int64_t seq = entry.seq;
  entries_[seq] = std::move(entry);
  return seq;
}

Status IngestLedger::Move(int64_t seq, const std::string& to) {
  SENDSYNC_RETURN_IF_ERROR(
      file_.Append(json{{"seq", seq}, {"moved_to", to}, {"at", NowLocalIso()}}));
  entries_.at(seq).path = to;
  return Status::OK();
}

Status IngestLedger::MarkLost(int64_t seq, const std::string& why) {
  SENDSYNC_RETURN_IF_ERROR(file_.Append(json{{"seq", seq}, {"lost", why}, {"at", NowLocalIso()}}));
  entries_.at(seq).lost = why;
  return Status::OK();
}

}  // namespace sendsync::ctf
