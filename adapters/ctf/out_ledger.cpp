#include "out_ledger.h"

#include <unistd.h>

#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "file_util.h"

namespace sendsync::ctf {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The nnn of `<prefix><nnn>.xml`, or -1.
int NumberOf(const std::string& name, const std::string& prefix) {
  if (name.rfind(prefix, 0) != 0 || name.size() <= prefix.size() + 4) return -1;
  if (name.substr(name.size() - 4) != ".xml") return -1;
  std::string digits = name.substr(prefix.size(), name.size() - prefix.size() - 4);
  if (digits.empty() || digits.size() > 6) return -1;
  for (char c : digits)
    if (c < '0' || c > '9') return -1;
  return std::stoi(digits);
}

}  // namespace

Result<OutLedger> OutLedger::Load(const fs::path& folder) {
  OutLedger l;
  l.folder_ = folder;
  l.path_ = folder / ".sendsync-ctf-written.jsonl";
  std::map<std::string, bool> pending;  // file -> done?
  std::error_code ec;
  if (fs::exists(l.path_, ec)) {
    std::ifstream in(l.path_, std::ios::binary);
    if (!in) return Status::Unavailable("cannot read the write ledger '" + l.path_.string() + "'");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // A torn last line is a crash in step 2 (its temp file is then removed below) or in step 3
    // (the pending line before it makes the recovery finish the file). Cut it off so the next
    // append starts on a fresh line.
    size_t keep = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
    if (keep < text.size()) {
      if (::truncate(l.path_.c_str(), static_cast<off_t>(keep)) != 0)
        return Status::Unavailable("cannot repair the torn last line of '" + l.path_.string() +
                                   "'");
      text.resize(keep);
    }
    std::istringstream lines(text);
    std::string line;
    size_t n = 0;
    while (std::getline(lines, line)) {
      ++n;
      if (line.empty()) continue;
      json j = json::parse(line, nullptr, false);
      if (!j.is_object() || !j.contains("file") || !j["file"].is_string())
        return Status::Corruption("write ledger '" + l.path_.string() + "' line " +
                                  std::to_string(n) + " is damaged; fix or move it by hand");
      const std::string file = j["file"].get<std::string>();
      if (j.value("state", "") == "pending") {
        pending[file] = false;
        l.files_.push_back(file);
        for (const json& k : j.value("keys", json::array()))
          l.key_file_[k.get<std::string>()] = file;
      } else if (j.value("state", "") == "done") {
        pending[file] = true;
      }
    }
  }
  for (const auto& [file, done] : pending)
    if (!done) SENDSYNC_RETURN_IF_ERROR(l.Finish(file));
  // Temp files without a pending line never reached step 2: no key was answered for them.
  for (const fs::directory_entry& d : fs::directory_iterator(folder, ec)) {
    std::string name = d.path().filename().string();
    if (name.rfind(".sendsync-", 0) != 0 || name.size() < 5 ||
        name.substr(name.size() - 4) != ".tmp")
      continue;
    std::string file = name.substr(10, name.size() - 14);
    if (!pending.count(file)) fs::remove(d.path(), ec);
  }
  return l;
}

Status OutLedger::Finish(const std::string& file) {
  std::error_code ec;
  const fs::path temp = folder_ / TempName(file), final_path = folder_ / file;
  if (fs::exists(temp, ec)) {
    if (fs::exists(final_path, ec)) {
      fs::remove(temp, ec);  // step 3's link was made but the old name not yet removed
    } else {
      SENDSYNC_RETURN_IF_ERROR(MoveNoClobber(temp, final_path));
    }
  }
  return AppendLineDurably(path_,
                           json{{"file", file}, {"state", "done"}, {"at", NowLocalIso()}}.dump());
}

std::optional<std::string> OutLedger::FileFor(const std::string& key) const {
  auto it = key_file_.find(key);
  if (it == key_file_.end()) return std::nullopt;
  return it->second;
}

int OutLedger::NextNumber(const std::string& prefix) const {
  int max = 0;
  for (const std::string& f : files_) max = std::max(max, NumberOf(f, prefix));
  std::error_code ec;
  for (const fs::directory_entry& d : fs::directory_iterator(folder_, ec))
    max = std::max(max, NumberOf(d.path().filename().string(), prefix));
  return max + 1;
}

Status OutLedger::WriteFile(const std::string& file, const std::string& content,
                            const std::vector<std::string>& keys) {
  const fs::path temp = folder_ / TempName(file);
  std::error_code ec;
  fs::remove(temp, ec);  // a stale temp of ours from a crash before step 2
  SENDSYNC_RETURN_IF_ERROR(WriteNewFileDurably(temp, content));
  json pending = {{"file", file}, {"state", "pending"}, {"keys", keys}, {"at", NowLocalIso()}};
  Status st = AppendLineDurably(path_, pending.dump());
  if (!st.ok()) {
    fs::remove(temp, ec);
    return st;
  }
  files_.push_back(file);
  for (const std::string& k : keys) key_file_[k] = file;
  SENDSYNC_RETURN_IF_ERROR(MoveNoClobber(temp, folder_ / file));
  return AppendLineDurably(path_,
                           json{{"file", file}, {"state", "done"}, {"at", NowLocalIso()}}.dump());
}

}  // namespace sendsync::ctf
