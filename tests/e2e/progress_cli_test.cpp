// `sendsync sync --json --progress`: the report alone on stdout, and one progress event per stored
// page on stderr as a JSON line, with the total when the adapter knows it (a CTF's ledger counts
// its pupils).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "e2e_support.h"

namespace sendsync::e2e {
namespace {

class ProgressCli : public testing::Test {
 protected:
  ProgressCli() : cli_(dir_.path()) {
    EXPECT_EQ(cli_.Run({"init"}).exit_code, 0);
    fs::create_directories(dir_ / "drop");
    fs::copy_file(
        fs::path(SOURCE_DIR) / "tests/adapters/ctf/fixtures/good" / "8201234_CTF_8214567_001.xml",
        dir_ / "drop" / "8201234_CTF_8214567_001.xml");
    std::ofstream(dir_ / "config.json")
        << json{{"drop_folder", (dir_ / "drop").string()}, {"settle_seconds", 0}}.dump();
    std::ofstream(dir_ / "settings.json")
        << R"({"kinds": {"pupil": {"direction": "read"}, "sen": {"direction": "read"}}})";
    ProgramResult r = cli_.Run({"link", "add", "--school", "100001", "--adapter", "ctf", "--name",
                                "ctf", "--config", (dir_ / "config.json").string(), "--settings",
                                (dir_ / "settings.json").string()});
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
  }

  // The JSON lines of `err`; fails the test on a line that is not JSON.
  static std::vector<json> Events(const std::string& err) {
    std::vector<json> out;
    std::istringstream in(err);
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      json j = json::parse(line, nullptr, false);
      EXPECT_TRUE(j.is_object()) << "not a JSON line: " << line;
      if (j.is_object()) out.push_back(j);
    }
    return out;
  }

  TempDir dir_;
  Cli cli_;
};

TEST_F(ProgressCli, JsonRunWithProgressWritesOneEventPerPageWithTheTotal) {
  ProgramResult r = cli_.Run({"sync", "--link", "ctf", "--json", "--progress", "--page-size", "2"});
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 3) << r.Describe();
  EXPECT_TRUE(r.Json().is_object()) << "stdout holds the report alone: " << r.Describe();
  std::vector<json> pupil;
  for (const json& e : Events(r.err))
    if (e.value("event", "") == "progress" && e.value("kind", "") == "pupil") pupil.push_back(e);
  ASSERT_EQ(pupil.size(), 3u) << r.Describe();  // 5 pupils, 2 a page
  EXPECT_EQ(pupil[0]["records"], 2);
  EXPECT_EQ(pupil[0]["total"], 5);
  EXPECT_EQ(pupil[0]["link"], "ctf");
  EXPECT_EQ(pupil[0]["phase"], "pull");
  EXPECT_EQ(pupil[1]["records"], 4);
  EXPECT_EQ(pupil[1]["total"], 5);
  EXPECT_EQ(pupil[2]["records"], 5);
  EXPECT_EQ(pupil[2]["total"], 5);
}

TEST_F(ProgressCli, JsonRunWithoutProgressWritesNoEvents) {
  ProgramResult r = cli_.Run({"sync", "--link", "ctf", "--json", "--page-size", "2"});
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 3) << r.Describe();
  EXPECT_EQ(r.err.find("\"progress\""), std::string::npos) << r.Describe();
}

}  // namespace
}  // namespace sendsync::e2e
