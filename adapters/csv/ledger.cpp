#include "ledger.h"

#include <filesystem>

#include <nlohmann/json.hpp>

namespace sendsync::csv {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

}  // namespace

Ledger::Ledger(std::string out_folder, sdk::FileSystem& fs)
    : folder_(std::move(out_folder)),
      path_((fs::path(folder_) / ".sendsync-csv-ledger.jsonl").string()),
      fs_(&fs) {}

Status Ledger::Load() {
  applied_.clear();
  used_names_.clear();
  file_.reset();
  Result<sdk::KeyLedger> opened = sdk::KeyLedger::Open(*fs_, path_);
  if (!opened.ok()) return opened.status().WithContext("the csv write ledger");
  file_.emplace(std::move(*opened));
  struct Batch {
    std::string file;
    Entries entries;
    bool committed = false;
  };
  std::map<std::string, Batch> batches;
  for (const sdk::KeyLedger::Record& r : file_->records()) {
    const json& j = r.value;
    const json* batch = j.contains("batch") ? &j["batch"] : nullptr;
    const json* file = j.contains("file") ? &j["file"] : nullptr;
    if (!batch || !file || !batch->is_string() || !file->is_string() ||
        batch->get<std::string>().empty() || file->get<std::string>().empty())
      return Status::Corruption("the csv write ledger '" + path_ + "' line " +
                                std::to_string(r.line) +
                                " names no batch or file; restore the file from a backup");
    Batch& b = batches[batch->get<std::string>()];
    b.file = file->get<std::string>();
    used_names_.insert(b.file);
    if (j.value("commit", false))
      b.committed = true;
    else if (j.contains("key") && j["key"].is_string())
      b.entries.emplace_back(j["key"], j.value("remote_id", ""));
  }
  for (auto& [id, b] : batches) {
    bool in_place = b.committed || fs_->Exists(fs::path(folder_) / b.file);
    if (!in_place) continue;  // the file never appeared: those keys were not applied
    for (auto& [key, remote] : b.entries) applied_[key] = remote;
    if (!b.committed) SENDSYNC_RETURN_IF_ERROR(Commit(id, b.file, {}));
  }
  return Status::OK();
}

const std::string* Ledger::Find(const std::string& key) const {
  auto it = applied_.find(key);
  return it == applied_.end() ? nullptr : &it->second;
}

Status Ledger::Begin(const std::string& batch, const std::string& file, const Entries& entries) {
  if (!file_) SENDSYNC_RETURN_IF_ERROR(Load());
  std::vector<json> lines;
  for (const auto& [key, remote] : entries)
    lines.push_back(json{{"batch", batch}, {"file", file}, {"key", key}, {"remote_id", remote}});
  used_names_.insert(file);
  return file_->Append(lines);
}

Status Ledger::Commit(const std::string& batch, const std::string& file, const Entries& entries) {
  if (!file_) SENDSYNC_RETURN_IF_ERROR(Load());
  for (const auto& [key, remote] : entries) applied_[key] = remote;
  return file_->Append(json{{"batch", batch}, {"file", file}, {"commit", true}});
}

}  // namespace sendsync::csv
