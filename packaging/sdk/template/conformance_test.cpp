// The conformance kit against this adapter: manifest, bad configuration refused, reads page to the
// end and repeat, a cursor from the future returns nothing, writes are idempotent per key.
// Change the fixture (GoodConfig) and the records when you change what the adapter reads and writes.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sendsync/testkit/conformance.h>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A fresh folder holding 120 invented pupils, one per call.
json GoodConfig() {
  static int n = 0;
  const fs::path dir = fs::temp_directory_path() /
                       ("my-adapter-kit-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream f(dir / "pupil.jsonl");
  for (int i = 0; i < 120; ++i)
    f << json{{"kind", "pupil"}, {"id", "P" + std::to_string(i)}, {"upn", "B801200005001"},
              {"legal_surname", "S"}, {"legal_forename", "F"}, {"dob", "2014-03-02"}, {"sex", "F"}}
             .dump()
      << "\n";
  return {{"folder", dir.string()}};
}

// How many times a write with `key` reached the target system (here: the out folder).
int AppliedCount(const json& config, const std::string& key) {
  std::ifstream in(fs::path(config["folder"].get<std::string>()) / "out" / "sen.jsonl");
  int n = 0;
  for (std::string line; std::getline(in, line);) n += json::parse(line).value("key", "") == key;
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  sendsync::testkit::Target t;
  t.name = "MyAdapter";
  t.plugin_path = argc > 1 && argv[1][0] != '-' ? argv[1] : ADAPTER_PATH;
  t.good_config = GoodConfig;
  t.bad_config = {{"folder", "/nonexistent/my-adapter-kit"}};
  t.bad_config_mentions = "folder";
  t.read_kind = "pupil";
  // Cursors are "v2:<first line>:<offset>:<last start>:<last line>": one a million bytes on, far
  // past the end of the file. Change this when you change the cursor's form.
  t.future_cursor = [](const std::string& last) {
    const size_t a = last.find(':', 3), b = last.find(':', a + 1);
    return last.substr(0, a + 1) +
           std::to_string(std::stoull(last.substr(a + 1, b - a - 1)) + 1000000) + last.substr(b);
  };
  t.write_kind = "sen";
  t.write_record = {{"kind", "sen"}, {"pupil", {{"upn", "B801200005001"}}}, {"provision", "K"},
                    {"needs", {{{"type", "SLCN"}, {"rank", 1}}}}};
  t.applied_count = AppliedCount;
  sendsync::testkit::RegisterConformanceTests(t);
  return RUN_ALL_TESTS();
}
