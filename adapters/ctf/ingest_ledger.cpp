#include "ingest_ledger.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

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

Result<IngestLedger> IngestLedger::Load(const std::filesystem::path& path) {
  IngestLedger l;
  l.path_ = path;
  std::string text;
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::Unavailable("cannot read the ingest ledger '" + path.string() + "'");
    std::stringstream all;
    all << in.rdbuf();
    text = all.str();
  }
  // A last line without its newline was torn by a crash mid-append: cut it off so the next append
  // starts on a fresh line. Everything it said is redone (it was the start of a step not finished).
  size_t keep = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
  if (keep < text.size()) {
    if (::truncate(path.c_str(), static_cast<off_t>(keep)) != 0)
      return Status::Unavailable("cannot repair the torn last line of '" + path.string() + "'");
    text.resize(keep);
  }
  if (text.empty()) {  // new (or created by a crash before its first line was whole)
    std::random_device rd;
    char id[17];
    std::snprintf(id, sizeof id, "%08x%08x", rd(), rd());
    l.id_ = id;
    SENDSYNC_RETURN_IF_ERROR(AppendLineDurably(
        path, json{{"ledger", l.id_}, {"created", NowLocalIso()}, {"format", 1}}.dump()));
    return l;
  }
  std::istringstream lines(text);
  std::string line;
  size_t n = 0;
  while (std::getline(lines, line)) {
    ++n;
    if (line.empty()) continue;
    json j = json::parse(line, nullptr, false);
    if (!j.is_object())
      return Status::Corruption("ingest ledger '" + path.string() + "' line " + std::to_string(n) +
                                " is not JSON; fix or move the ledger by hand");
    SENDSYNC_RETURN_IF_ERROR(l.Apply(j, n));
  }
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
    return Status::Corruption("ingest ledger '" + path_.string() + "' line " + std::to_string(n) +
                              " is damaged (" + e.what() + "); fix or move the ledger by hand");
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
  SENDSYNC_RETURN_IF_ERROR(AppendLineDurably(path_, entry.ToJson().dump()));
  int64_t seq = entry.seq;
  entries_[seq] = std::move(entry);
  return seq;
}

Status IngestLedger::Move(int64_t seq, const std::string& to) {
  SENDSYNC_RETURN_IF_ERROR(
      AppendLineDurably(path_, json{{"seq", seq}, {"moved_to", to}, {"at", NowLocalIso()}}.dump()));
  entries_.at(seq).path = to;
  return Status::OK();
}

Status IngestLedger::MarkLost(int64_t seq, const std::string& why) {
  SENDSYNC_RETURN_IF_ERROR(
      AppendLineDurably(path_, json{{"seq", seq}, {"lost", why}, {"at", NowLocalIso()}}.dump()));
  entries_.at(seq).lost = why;
  return Status::OK();
}

}  // namespace sendsync::ctf
