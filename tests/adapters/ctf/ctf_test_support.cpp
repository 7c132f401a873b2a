#include "ctf_test_support.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "census_codes.h"

namespace ctftest {

namespace {

// Temporary folders made by this process, removed when it ends (kept when CTF_TEST_KEEP is set,
// for looking at what the adapter wrote).
struct Cleanup {
  std::vector<fs::path> dirs;
  ~Cleanup() {
    if (std::getenv("CTF_TEST_KEEP")) return;
    std::error_code ec;
    for (const fs::path& d : dirs) fs::remove_all(d, ec);
  }
};
Cleanup& Made() {
  static Cleanup c;
  return c;
}

}  // namespace

std::string PluginPath() {
  return std::string(BUNDLED_PLUGIN_DIR) + "/ctf.so";
}

fs::path Fixture(const std::string& relative) {
  return fs::path(CTF_FIXTURE_DIR) / relative;
}

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int LineOf(const fs::path& path, const std::string& needle, int nth) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n)
    if (line.find(needle) != std::string::npos && --nth == 0) return n;
  ADD_FAILURE() << "'" << needle << "' is not in " << path;
  return -1;
}

std::vector<std::string> FilesUnder(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec))
    if (e.is_regular_file()) out.push_back(e.path().lexically_relative(dir).generic_string());
  std::sort(out.begin(), out.end());
  return out;
}

Workspace::Workspace() {
  static int n = 0;
  root = fs::temp_directory_path() /
         ("sendsync-ctf-test-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
  fs::remove_all(root);
  drop = root / "drop";
  out = root / "out";
  fs::create_directories(drop);
  fs::create_directories(out);
  Made().dirs.push_back(root);
}

json Workspace::Config(const json& extra) const {
  json c = {
      {"drop_folder", drop.string()},
      {"out_folder", out.string()},
      {"source", {{"la", "820"}, {"estab", "1234"}, {"school_name", "Oakfield Primary School"}}},
      {"destination", {{"la", "821"}, {"estab", "4567"}}},
      {"settle_seconds", 0}};
  for (auto it = extra.begin(); it != extra.end(); ++it) {
    if (it.value().is_null())
      c.erase(it.key());
    else
      c[it.key()] = it.value();
  }
  return c;
}

fs::path Workspace::Drop(const std::string& fixture, const std::string& as) const {
  fs::path src = Fixture(fixture);
  fs::path dst = drop / (as.empty() ? src.filename().string() : as);
  fs::copy_file(src, dst, fs::copy_options::overwrite_existing);
  return dst;
}

std::unique_ptr<sendsync::testkit::Caller> Open(const json& config, std::string* error) {
  std::string err;
  auto c = sendsync::testkit::OpenInProcess(PluginPath(), config.dump(), &err);
  if (error) *error = err;
  return c;
}

json Read(sendsync::testkit::Caller& c, const std::string& kind, const std::string& cursor,
          size_t limit) {
  auto r = c.Call("read", json{{"kind", kind}, {"cursor", cursor}, {"limit", limit}}.dump());
  EXPECT_EQ(r.status, 0) << r.body;
  json j = json::parse(r.body, nullptr, false);
  EXPECT_TRUE(j.is_object()) << r.body;
  if (!j.contains("rejects")) j["rejects"] = json::array();
  return j;
}

json ReadAll(sendsync::testkit::Caller& c, const std::string& kind, const std::string& cursor,
             size_t limit) {
  json all = {{"records", json::array()}, {"rejects", json::array()}, {"pages", 0}};
  std::string cur = cursor;
  for (int page = 0; page < 10000; ++page) {
    json r = Read(c, kind, cur, limit);
    all["pages"] = page + 1;
    if (!r.is_object() || !r.contains("records")) break;
    EXPECT_LE(r["records"].size() + r["rejects"].size(), limit);
    for (auto& x : r["records"]) all["records"].push_back(x);
    for (auto& x : r["rejects"]) all["rejects"].push_back(x);
    cur = r["next_cursor"].get<std::string>();
    if (!r.value("more", false)) break;
  }
  all["next_cursor"] = cur;
  return all;
}

json ByUpn(const json& records, const std::string& upn) {
  for (const json& r : records) {
    if (r.value("upn", "") == upn) return r;
    if (r.contains("pupil") && r["pupil"].value("upn", "") == upn) return r;
  }
  return nullptr;
}

json Write(sendsync::testkit::Caller& c, const std::string& kind,
           const std::vector<json>& changes) {
  json request = {{"kind", kind}, {"changes", json::array()}};
  for (const json& ch : changes) request["changes"].push_back(ch);
  auto r = c.Call("write", request.dump());
  EXPECT_EQ(r.status, 0) << r.body;
  json j = json::parse(r.body, nullptr, false);
  EXPECT_TRUE(j.is_object() && j.contains("results")) << r.body;
  return j.is_object() ? j.value("results", json::array()) : json::array();
}

json PupilRecord(const std::string& upn, const std::string& surname, const std::string& forename) {
  return {{"kind", "pupil"},
          {"id", "hub-" + upn},
          {"upn", upn},
          {"legal_surname", surname},
          {"legal_forename", forename},
          {"dob", "2014-10-03"},
          {"sex", "F"},
          {"nc_year", "6"}};
}

json SenRecord(const std::string& upn) {
  return {{"kind", "sen"},
          {"pupil", {{"upn", upn}}},
          {"provision", "K"},
          {"provision_start", "2022-09-05"},
          {"needs", {{{"type", "SLCN"}, {"rank", 1}}}},
          {"sen_unit", false},
          {"resourced_provision", false}};
}

json SenChange(const std::string& key, const std::string& upn) {
  return {{"key", key},
          {"op", "upsert"},
          {"record", SenRecord(upn)},
          {"context", {{"pupil", PupilRecord(upn)}}}};
}

std::string MakeUpn(int n) {
  char rest[16];
  std::snprintf(rest, sizeof rest, "8201234%05d", n);
  return std::string(1, sendsync::ctf::UpnCheckLetter(rest)) + rest;
}

}  // namespace ctftest
