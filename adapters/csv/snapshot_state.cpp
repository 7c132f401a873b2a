#include "snapshot_state.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "file_util.h"
#include "sendsync/sdk/durable_file.h"

namespace sendsync::csv {
namespace {

namespace fs = std::filesystem;

constexpr const char* kMagic = "sendsync-csv-ids 1";
constexpr size_t kKeepRecent = 4;

void Escape(std::string& out, const std::string& text) {
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
}

bool Unescape(std::string_view text, std::string& out) {
  out.clear();
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (++i == text.size()) return false;
    switch (text[i]) {
      case '\\':
        out += '\\';
        break;
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      default:
        return false;
    }
  }
  return true;
}

}  // namespace

std::string SnapshotState::PathOf(const std::string& kind, const std::string& hash) const {
  return (fs::path(folder_) / kind / (hash + ".ids")).string();
}

Result<std::vector<IdEntry>> SnapshotState::Load(const std::string& kind,
                                                 const std::string& hash) const {
  std::string path = PathOf(kind, hash);
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("no saved ids at '" + path + "'");
  std::string line;
  std::getline(in, line);
  std::istringstream head(line);
  std::string magic1, magic2;
  size_t count = 0;
  if (!(head >> magic1 >> magic2 >> count) || magic1 + " " + magic2 != kMagic)
    return Status::Corruption("'" + path + "' is not a saved id set");
  std::vector<IdEntry> ids;
  ids.reserve(count);
  while (std::getline(in, line)) {
    size_t tab = line.find('\t');
    IdEntry e;
    if (tab == std::string::npos || !Unescape(std::string_view(line).substr(0, tab), e.id) ||
        !Unescape(std::string_view(line).substr(tab + 1), e.upn))
      return Status::Corruption("'" + path + "' has a damaged line");
    ids.push_back(std::move(e));
  }
  if (ids.size() != count)
    return Status::Corruption("'" + path + "' holds " + std::to_string(ids.size()) +
                              " ids but says " + std::to_string(count));
  return ids;
}

Status SnapshotState::Save(const std::string& kind, const std::string& hash,
                           const std::vector<IdEntry>& ids, const std::string& keep_also) const {
  std::string text = std::string(kMagic) + " " + std::to_string(ids.size()) + "\n";
  for (const IdEntry& e : ids) {
    Escape(text, e.id);
    text += '\t';
    Escape(text, e.upn);
    text += '\n';
  }
  std::string path = PathOf(kind, hash);
  Status st = sdk::WriteFileAtomically(sdk::RealFileSystem(), path, text);
  if (!st.ok())
    return Status::IoError(
        "cannot save snapshot state (set \"state_folder\" to a folder sendsync "
        "can write): " +
        st.message());

  // Housekeeping: a failure here costs only disk space, so it is not reported.
  std::error_code ec;
  std::vector<std::pair<fs::file_time_type, fs::path>> sets;
  for (const auto& e : fs::directory_iterator(fs::path(folder_) / kind, ec)) {
    if (e.path().extension() != ".ids") continue;
    std::string stem = e.path().stem().string();
    if (stem == hash || stem == keep_also) continue;
    sets.emplace_back(e.last_write_time(ec), e.path());
  }
  std::sort(sets.begin(), sets.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t i = kKeepRecent; i < sets.size(); ++i) fs::remove(sets[i].second, ec);
  return Status::OK();
}

}  // namespace sendsync::csv
