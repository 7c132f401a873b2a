#include "ledger.h"

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "file_util.h"

namespace sendsync::csv {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

}  // namespace

Ledger::Ledger(std::string out_folder)
    : folder_(std::move(out_folder)),
      path_((fs::path(folder_) / ".sendsync-csv-ledger.jsonl").string()) {}

Status Ledger::Load() {
  applied_.clear();
  used_names_.clear();
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (fs::exists(path_, ec))
      return Status::IoError("cannot read the write ledger '" + path_ + "'");
    return Status::OK();
  }
  struct Batch {
    std::string file;
    Entries entries;
    bool committed = false;
  };
  std::map<std::string, Batch> batches;
  std::string line;
  while (std::getline(in, line)) {
    json j = json::parse(line, nullptr, false);
    if (!j.is_object()) continue;
    std::string batch = j.value("batch", "");
    std::string file = j.value("file", "");
    if (batch.empty() || file.empty()) continue;
    Batch& b = batches[batch];
    b.file = file;
    used_names_.insert(file);
    if (j.value("commit", false))
      b.committed = true;
    else if (j.contains("key") && j["key"].is_string())
      b.entries.emplace_back(j["key"], j.value("remote_id", ""));
  }
  for (auto& [id, b] : batches) {
    std::error_code ec;
    bool in_place = b.committed || fs::exists(fs::path(folder_) / b.file, ec);
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
  std::string text;
  for (const auto& [key, remote] : entries)
    text +=
        json{{"batch", batch}, {"file", file}, {"key", key}, {"remote_id", remote}}.dump() + "\n";
  used_names_.insert(file);
  return AppendDurably(path_, text);
}

Status Ledger::Commit(const std::string& batch, const std::string& file, const Entries& entries) {
  for (const auto& [key, remote] : entries) applied_[key] = remote;
  return AppendDurably(path_,
                       json{{"batch", batch}, {"file", file}, {"commit", true}}.dump() + "\n");
}

}  // namespace sendsync::csv
