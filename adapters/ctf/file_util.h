// Small file helpers of the CTF adapter: free names, content hashes, the header's time. (Durable
// writes, moves that never overwrite and the folder lock are the SDK's:
// sendsync/sdk/durable_file.h.) Errors come back as Status values, never exceptions. Internal to
// adapters/ctf.
#pragma once

#include <filesystem>
#include <string>

#include <sendsync/sdk/status.h>

namespace sendsync::ctf {

namespace fs = std::filesystem;

// `dir/name`, or `dir/<stem>.<tag><ext>` (then .<tag>-2 ...) when that name is taken.
fs::path FreeName(const fs::path& dir, const std::string& name, const std::string& tag);

// Hex SHA-256 of a file's content, read in chunks.
Result<std::string> Sha256OfFile(const fs::path& path);

// Local time as yyyy-mm-ddThh:mm:ss (the CTF header's DateTime form).
std::string NowLocalIso();

}  // namespace sendsync::ctf
