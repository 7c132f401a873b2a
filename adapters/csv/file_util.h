// File-system helpers of the csv adapter: choosing the export file to read, and telling whether a
// file changed. (Durable writes are the SDK's: sendsync/sdk/durable_file.h.) Used by the csv
// adapter and its tests only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config.h"
#include "sendsync/sdk/status.h"

namespace sendsync::csv {

// What identifies one version of a file without reading it.
struct FileStamp {
  uint64_t device = 0, inode = 0, size = 0;
  int64_t mtime_ns = 0;
  friend bool operator==(const FileStamp&, const FileStamp&) = default;
};
// The stamp of a regular file; nullopt when there is none at `path`.
std::optional<FileStamp> StampOf(const std::string& path);

// The file a source reads now: its path, or the newest (or last by name) file in its folder
// matching its pattern. Files modified less than settle_seconds ago are skipped (they may still be
// being written). nullopt when there is nothing to read yet; Unavailable when the folder cannot
// be read (a network share that is down).
Result<std::optional<std::string>> CurrentFile(const SourceSpec& source);

// Lower-case hex SHA-256 of the first `bytes` bytes of `path` (fewer when the file is shorter;
// `*hashed` says how many were hashed).
Result<std::string> HashPrefix(const std::string& path, uint64_t bytes, uint64_t* hashed);

}  // namespace sendsync::csv
