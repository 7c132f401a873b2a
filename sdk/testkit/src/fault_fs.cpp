#include "sendsync/testkit/fault_fs.h"

#include <algorithm>
#include <fstream>

namespace sendsync::testkit {
namespace fs = std::filesystem;
namespace {

std::string Norm(const fs::path& p) {
  fs::path n = p.lexically_normal();
  if (n.has_filename() || n.empty()) return n.string();
  return n.parent_path().string();  // "a/b/" -> "a/b"
}

Status PowerIsOff() {
  return Status::IoError("simulated power cut: the machine is off");
}

}  // namespace

bool FaultInjectionFileSystem::Step() {
  const int op = ops_++;
  if (crashed_) return false;
  if (op == crash_at_) {
    crashed_ = true;
    return false;
  }
  return true;
}

std::string FaultInjectionFileSystem::DurableContent(const fs::path& path) {
  Result<std::string> content = real_.Read(path);
  if (!content.ok()) return "";
  auto it = durable_size_.find(Norm(path));
  if (it != durable_size_.end() && it->second < content->size()) content->resize(it->second);
  return *content;
}

void FaultInjectionFileSystem::NameChanged(const fs::path& path) {
  NameOp op;
  op.folder = Norm(path.parent_path());
  op.path = Norm(path);
  op.existed = real_.Exists(path);
  if (op.existed) op.content = DurableContent(path);
  pending_names_.push_back(std::move(op));
}

Status FaultInjectionFileSystem::Write(const fs::path& path, std::string_view data, Mode mode) {
  if (!Step()) return PowerIsOff();
  const std::string key = Norm(path);
  if (!real_.Exists(path)) {
    if (mode == Mode::kCreateNew || !durable_size_.count(key)) NameChanged(path);
    durable_size_[key] = 0;
  } else if (!durable_size_.count(key)) {
    std::error_code ec;
    durable_size_[key] = fs::file_size(path, ec);
  }
  return real_.Write(path, data, mode);
}

Status FaultInjectionFileSystem::SyncFile(const fs::path& path) {
  if (!Step()) return PowerIsOff();
  SENDSYNC_RETURN_IF_ERROR(real_.SyncFile(path));
  durable_size_.erase(Norm(path));
  return Status::OK();
}

Status FaultInjectionFileSystem::SyncFolder(const fs::path& folder) {
  if (!Step()) return PowerIsOff();
  SENDSYNC_RETURN_IF_ERROR(real_.SyncFolder(folder));
  const std::string key = Norm(folder);
  std::erase_if(pending_names_, [&](const NameOp& op) { return op.folder == key; });
  return Status::OK();
}

Status FaultInjectionFileSystem::Rename(const fs::path& from, const fs::path& to) {
  if (!Step()) return PowerIsOff();
  NameChanged(to);
  NameChanged(from);
  SENDSYNC_RETURN_IF_ERROR(real_.Rename(from, to));
  durable_size_.erase(Norm(to));
  if (auto it = durable_size_.find(Norm(from)); it != durable_size_.end()) {
    durable_size_[Norm(to)] = it->second;
    durable_size_.erase(Norm(from));
  }
  return Status::OK();
}

Status FaultInjectionFileSystem::Link(const fs::path& from, const fs::path& to) {
  if (!Step()) return PowerIsOff();
  if (!real_.Exists(to)) NameChanged(to);
  SENDSYNC_RETURN_IF_ERROR(real_.Link(from, to));
  if (auto it = durable_size_.find(Norm(from)); it != durable_size_.end())
    durable_size_[Norm(to)] = it->second;
  return Status::OK();
}

Status FaultInjectionFileSystem::Remove(const fs::path& path) {
  if (!Step()) return PowerIsOff();
  if (real_.Exists(path)) NameChanged(path);
  SENDSYNC_RETURN_IF_ERROR(real_.Remove(path));
  durable_size_.erase(Norm(path));
  return Status::OK();
}

Status FaultInjectionFileSystem::Truncate(const fs::path& path, uint64_t size) {
  if (!Step()) return PowerIsOff();
  SENDSYNC_RETURN_IF_ERROR(real_.Truncate(path, size));
  if (auto it = durable_size_.find(Norm(path)); it != durable_size_.end())
    it->second = std::min(it->second, size);
  return Status::OK();
}

Status FaultInjectionFileSystem::CreateFolders(const fs::path& folder) {
  if (real_.Exists(folder)) return Status::OK();
  if (!Step()) return PowerIsOff();
  return real_.CreateFolders(folder);
}

Result<std::string> FaultInjectionFileSystem::Read(const fs::path& path) {
  return real_.Read(path);
}

bool FaultInjectionFileSystem::Exists(const fs::path& path) {
  return real_.Exists(path);
}

void FaultInjectionFileSystem::PowerCut(Torn torn) {
  std::error_code ec;
  for (const auto& [path, durable] : durable_size_) {
    if (!fs::exists(path, ec)) continue;
    const uint64_t now = fs::file_size(path, ec);
    if (ec || now <= durable) continue;
    const uint64_t keep = durable + (torn == Torn::kKeepHalf ? (now - durable) / 2 : 0);
    fs::resize_file(path, keep, ec);
  }
  for (auto it = pending_names_.rbegin(); it != pending_names_.rend(); ++it) {
    fs::remove(it->path, ec);
    if (it->existed) {
      std::ofstream out(it->path, std::ios::binary | std::ios::trunc);
      out << it->content;
    }
  }
  durable_size_.clear();
  pending_names_.clear();
  crash_at_ = -1;
  crashed_ = false;
  ops_ = 0;
}

}  // namespace sendsync::testkit
