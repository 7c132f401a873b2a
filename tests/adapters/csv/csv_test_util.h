// Helpers shared by the csv adapter's tests: temporary folders, writing files byte for byte,
// opening a CsvAdapter with a host that records its log, and reading a kind to the end.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "csv_adapter.h"

namespace csvtest {

namespace fs = std::filesystem;
using nlohmann::json;

// A fresh folder, removed with everything in it when the object goes.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> n{0};
    path_ = fs::temp_directory_path() /
            ("sendsync-csv-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

inline void WriteFile(const std::string& path, const std::string& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

inline std::string Fixture(const std::string& name) {
  return ReadFile(std::string(FIXTURE_DIR) + "/" + name);
}

// Files in `dir` whose name ends with `suffix`, sorted.
inline std::vector<std::string> FilesIn(const fs::path& dir, const std::string& suffix) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string n = e.path().filename().string();
    if (e.is_regular_file() && n.size() >= suffix.size() &&
        n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0 && n[0] != '.')
      out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A host that keeps what the adapter logs.
struct RecordingHost {
  RecordingHost() {
    api.struct_size = sizeof api;
    api.host_ctx = this;
    api.log = [](void* ctx, int, const char* m, size_t n) {
      static_cast<RecordingHost*>(ctx)->log.emplace_back(m, n);
    };
    api.is_cancelled = [](void* ctx) { return static_cast<RecordingHost*>(ctx)->cancel ? 1 : 0; };
  }
  bool Logged(const std::string& text) const {
    for (const std::string& l : log)
      if (l.find(text) != std::string::npos) return true;
    return false;
  }
  sendsync_host_api api{};
  std::vector<std::string> log;
  bool cancel = false;  // what is_cancelled() answers
};

// An adapter configured with `config`; fails the test when the configuration is refused.
struct Opened {
  RecordingHost host;
  sendsync::csv::CsvAdapter adapter;
};
inline std::unique_ptr<Opened> Open(const json& config) {
  auto o = std::make_unique<Opened>();
  o->adapter.AttachHost(&o->host.api);
  sendsync::Status st = o->adapter.Configure(config);
  EXPECT_TRUE(st.ok()) << st.ToString();
  if (!st.ok()) return nullptr;
  return o;
}
// The refusal message for `config` ("" when it was accepted).
inline std::string Refusal(const json& config) {
  sendsync::csv::CsvAdapter a;
  sendsync::Status st = a.Configure(config);
  return st.ok() ? "" : st.message();
}

// One read call.
inline sendsync::sdk::ReadResult ReadPage(sendsync::csv::CsvAdapter& a, const std::string& kind,
                                          const std::string& cursor, size_t limit = 500,
                                          sendsync::Status* status = nullptr) {
  sendsync::sdk::ReadResult r;
  sendsync::Status st = a.Read({kind, cursor, limit}, r);
  if (status)
    *status = st;
  else
    EXPECT_TRUE(st.ok()) << st.ToString();
  return r;
}

// Everything from `cursor` to the end, page by page; `last` gets the final cursor.
struct All {
  std::vector<json> records;
  std::vector<sendsync::sdk::Deletion> deletions;
  std::vector<sendsync::sdk::Reject> rejects;
  std::string cursor;
  int pages = 0;
};
inline All ReadAll(sendsync::csv::CsvAdapter& a, const std::string& kind, std::string cursor = "",
                   size_t limit = 500) {
  All all;
  for (int i = 0; i < 10000; ++i) {
    sendsync::sdk::ReadResult r = ReadPage(a, kind, cursor, limit);
    ++all.pages;
    for (const std::string& rec : r.records) all.records.push_back(json::parse(rec));
    for (auto& d : r.deletions) all.deletions.push_back(d);
    for (auto& x : r.rejects) all.rejects.push_back(x);
    cursor = r.next_cursor;
    if (!r.more) break;
  }
  all.cursor = cursor;
  return all;
}

// The record with `field` == `value`, or null.
inline json Find(const std::vector<json>& records, const std::string& field, const json& value) {
  for (const json& r : records)
    if (r.contains(field) && r[field] == value) return r;
  return nullptr;
}
inline json FindByUpn(const std::vector<json>& records, const std::string& upn) {
  for (const json& r : records) {
    if (r.value("upn", "") == upn) return r;
    if (r.contains("pupil") && r["pupil"].value("upn", "") == upn) return r;
  }
  return nullptr;
}

}  // namespace csvtest
