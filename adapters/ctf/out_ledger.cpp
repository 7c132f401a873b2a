#include "out_ledger.h"

#include <algorithm>

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

Result<OutLedger> OutLedger::Load(const fs::path& folder, sdk::FileSystem& filesystem) {
  Result<sdk::KeyLedger> file =
      sdk::KeyLedger::Open(filesystem, folder / ".sendsync-ctf-written.jsonl");
  if (!file.ok()) return file.status().WithContext("the CTF write ledger");
  OutLedger l(std::move(*file));
  l.fs_ = &filesystem;
  l.folder_ = folder;
  std::map<std::string, bool> pending;  // file -> done?
  for (const sdk::KeyLedger::Record& r : l.file_.records()) {
    const json& j = r.value;
    if (!j.contains("file") || !j["file"].is_string())
      return Status::Corruption("write ledger '" + l.file_.path().string() + "' line " +
                                std::to_string(r.line) +
                                " names no file; restore the file from a backup");
    const std::string file = j["file"].get<std::string>();
    if (j.value("state", "") == "pending") {
      pending[file] = false;
      l.files_.push_back(file);
      for (const json& k : j.value("keys", json::array())) {
        if (!k.is_string())
          return Status::Corruption("write ledger '" + l.file_.path().string() + "' line " +
                                    std::to_string(r.line) + " holds a key that is not text");
        l.key_file_[k.get<std::string>()] = file;
      }
    } else if (j.value("state", "") == "done") {
      pending[file] = true;
    }
  }
  for (const auto& [file, done] : pending)
    if (!done) SENDSYNC_RETURN_IF_ERROR(l.Finish(file));
  // Temp files without a pending line never reached step 2: no key was answered for them.
  std::error_code ec;
  for (const fs::directory_entry& d : fs::directory_iterator(folder, ec)) {
    std::string name = d.path().filename().string();
    if (name.rfind(".sendsync-", 0) != 0 || name.size() < 5 ||
        name.substr(name.size() - 4) != ".tmp")
      continue;
    std::string file = name.substr(10, name.size() - 14);
    if (!pending.count(file)) SENDSYNC_RETURN_IF_ERROR(filesystem.Remove(d.path()));
  }
  return l;
}

Status OutLedger::Finish(const std::string& file) {
  const fs::path temp = folder_ / TempName(file), final_path = folder_ / file;
  if (fs_->Exists(temp)) {
    if (fs_->Exists(final_path)) {
      // Step 3's link was made but the old name not yet removed.
      SENDSYNC_RETURN_IF_ERROR(fs_->Remove(temp));
      SENDSYNC_RETURN_IF_ERROR(fs_->SyncFolder(folder_));
    } else {
      SENDSYNC_RETURN_IF_ERROR(sdk::MoveNoClobber(*fs_, temp, final_path));
    }
  }
  return file_.Append(json{{"file", file}, {"state", "done"}, {"at", NowLocalIso()}});
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
  if (fs_->Exists(temp))  // a stale temp of ours from a crash before step 2
    SENDSYNC_RETURN_IF_ERROR(fs_->Remove(temp));
  SENDSYNC_RETURN_IF_ERROR(sdk::WriteNewFileDurably(*fs_, temp, content));
  // The temp file's name must survive a power cut before the pending line promises it: otherwise
  // the keys would be answered with a file that never appears.
  SENDSYNC_RETURN_IF_ERROR(fs_->SyncFolder(folder_));
  json pending = {{"file", file}, {"state", "pending"}, {"keys", keys}, {"at", NowLocalIso()}};
  Status st = file_.Append(pending);
  if (!st.ok()) {
    // Best effort: without its pending line the temp file is removed by the next Load anyway.
    (void)fs_->Remove(temp);
    return st;
  }
  files_.push_back(file);
  for (const std::string& k : keys) key_file_[k] = file;
  SENDSYNC_RETURN_IF_ERROR(sdk::MoveNoClobber(*fs_, temp, folder_ / file));
  return file_.Append(json{{"file", file}, {"state", "done"}, {"at", NowLocalIso()}});
}

}  // namespace sendsync::ctf
