#include "file_util.h"

#include <ctime>
#include <fstream>

#include <Poco/Crypto/DigestEngine.h>
#include <Poco/Exception.h>
#include <sendsync/sdk/regular_file.h>

namespace sendsync::ctf {

fs::path FreeName(const fs::path& dir, const std::string& name, const std::string& tag) {
  std::error_code ec;
  fs::path candidate = dir / name;
  if (!fs::exists(candidate, ec)) return candidate;
  fs::path n(name);
  std::string stem = n.stem().string(), ext = n.extension().string();
  for (int i = 1;; ++i) {
    std::string suffix = "." + tag + (i == 1 ? "" : "-" + std::to_string(i));
    candidate = dir / (stem + suffix + ext);
    if (!fs::exists(candidate, ec)) return candidate;
  }
}

Result<std::string> Sha256OfFile(const fs::path& path) {
  Result<sdk::RegularFile> opened = sdk::RegularFile::Open(path);
  if (!opened.ok())
    return Status::Unavailable("cannot open '" + path.string() +
                               "' to read it: " + opened.status().message());
  std::unique_ptr<std::istream> stream = std::move(*opened).ToStream();
  std::istream& in = *stream;
  try {
    Poco::Crypto::DigestEngine engine("SHA256");
    char buf[65536];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      engine.update(buf, static_cast<unsigned>(in.gcount()));
      if (in.eof()) break;
    }
    if (in.bad()) return Status::Unavailable("cannot read '" + path.string() + "'");
    return Poco::DigestEngine::digestToHex(engine.digest());
  } catch (const Poco::Exception& e) {
    return Status::Internal("cannot hash '" + path.string() + "': " + e.displayText());
  }
}

std::string NowLocalIso() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return buf;
}

}  // namespace sendsync::ctf
