#include "sendsync/sdk/ledger.h"

#include <boost/crc.hpp>

#include <cstdio>

namespace sendsync::sdk {
namespace {

std::string Checksum(std::string_view text) {
  boost::crc_32_type crc;
  crc.process_bytes(text.data(), text.size());
  char hex[16];
  std::snprintf(hex, sizeof hex, "c%08x", static_cast<unsigned>(crc.checksum()));
  return hex;
}

}  // namespace

std::string KeyLedger::Line(const nlohmann::json& value) {
  std::string text = value.dump();  // compact, and JSON text never holds a raw tab or newline
  return text + "\t" + Checksum(text);
}

Result<KeyLedger> KeyLedger::Open(FileSystem& fs, std::filesystem::path path) {
  KeyLedger l(fs, std::move(path));
  const std::string where = "ledger '" + l.path_.string() + "'";
  Result<std::string> read = fs.Read(l.path_);
  if (!read.ok()) {
    if (read.status().code() == Status::Code::kNotFound && !fs.Exists(l.path_)) return l;
    return read.status().WithContext("cannot read the " + where);
  }
  std::string& text = *read;
  // Torn tail: the bytes after the last newline were never acknowledged (see ledger.h).
  const size_t nl = text.rfind('\n');
  const size_t keep = nl == std::string::npos ? 0 : nl + 1;
  if (keep < text.size()) {
    SENDSYNC_RETURN_IF_ERROR(
        fs.Truncate(l.path_, keep).WithContext("cannot cut the torn last line off the " + where));
    SENDSYNC_RETURN_IF_ERROR(fs.SyncFile(l.path_));
    text.resize(keep);
  }
  l.size_ = keep;
  size_t start = 0, n = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    std::string_view line(text.data() + start, end - start);
    start = end + 1;
    ++n;
    auto damaged = [&](const std::string& why) {
      return Status::Corruption(where + " line " + std::to_string(n) + " is damaged (" + why +
                                "); sendsync does not skip or guess at ledger lines: restore the "
                                "file from a backup");
    };
    if (line.empty()) continue;  // carries nothing (older code could leave one)
    std::string_view body = line;
    const size_t tab = line.rfind('\t');
    if (tab != std::string_view::npos) {
      body = line.substr(0, tab);
      if (line.substr(tab + 1) != Checksum(body)) return damaged("its checksum does not match");
    } else if (line.front() != '{') {
      // A line of the format before checksums must be a JSON object.
      return damaged("it is neither a checksummed line nor a JSON object");
    }
    nlohmann::json value = nlohmann::json::parse(body, nullptr, false);
    if (!value.is_object()) return damaged("it is not a JSON object");
    l.records_.push_back({n, std::move(value)});
  }
  l.lines_ = n;
  return l;
}

Status KeyLedger::Append(const std::vector<nlohmann::json>& values) {
  if (values.empty()) return Status::OK();
  std::string text;
  for (const nlohmann::json& v : values) text += Line(v) + "\n";
  Status st = AppendDurably(*fs_, path_, text);
  if (!st.ok()) {
    // Cut back what may have reached the file, so that a retry does not follow a torn line. If
    // this fails too, the next Open drops the torn tail; `st` is the error to report.
    if (fs_->Exists(path_)) (void)fs_->Truncate(path_, size_);
    return st.WithContext("cannot append to the ledger '" + path_.string() + "'");
  }
  size_ += text.size();
  for (const nlohmann::json& v : values) records_.push_back({++lines_, v});
  return Status::OK();
}

}  // namespace sendsync::sdk
