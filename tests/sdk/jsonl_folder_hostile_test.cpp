// The example jsonl-folder adapter against hostile files: a kind file that is a symbolic link to a
// private file is refused without reading it, and a line nested deeper than any record is
// rejected on its own, at once, while the lines around it still arrive.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "sendsync/testkit/conformance.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class JsonlHostile : public testing::Test {
 protected:
  JsonlHostile() {
    static int n = 0;
    dir_ = fs::temp_directory_path() /
           ("sendsync-jsonl-hostile-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "in");
  }
  ~JsonlHostile() override { fs::remove_all(dir_); }

  std::unique_ptr<sendsync::testkit::Caller> Open() {
    std::string error;
    auto c =
        sendsync::testkit::OpenInProcess(std::string(BUNDLED_PLUGIN_DIR) + "/jsonl-folder.so",
                                         json{{"folder", (dir_ / "in").string()}}.dump(), &error);
    EXPECT_NE(c, nullptr) << error;
    return c;
  }
  sendsync::testkit::Caller::Reply ReadPupils(sendsync::testkit::Caller& c) {
    return c.Call("read", json{{"kind", "pupil"}, {"cursor", ""}, {"limit", 100}}.dump());
  }
  fs::path dir_;
};

json PupilLine(const std::string& id) {
  return {{"kind", "pupil"},
          {"id", id},
          {"upn", "B801200005001"},
          {"legal_surname", "Ng"},
          {"legal_forename", "Ada"},
          {"dob", "2014-03-02"},
          {"sex", "F"}};
}

TEST_F(JsonlHostile, SymlinkedKindFileIsRefusedAndItsTargetNeverRead) {
  {
    std::ofstream secret(dir_ / "secret");
    secret << PupilLine("SECRET-1").dump() << "\nSECRET not json\n";
  }
  fs::permissions(dir_ / "secret", fs::perms::owner_read | fs::perms::owner_write);
  fs::create_symlink(dir_ / "secret", dir_ / "in" / "pupil.jsonl");
  auto c = Open();
  ASSERT_NE(c, nullptr);
  auto r = ReadPupils(*c);
  EXPECT_NE(r.status, 0) << r.body;
  EXPECT_NE(r.body.find("symbolic link"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("SECRET"), std::string::npos) << r.body;
}

TEST_F(JsonlHostile, DeeplyNestedLineIsRejectedAloneWithTheReason) {
  {
    std::ofstream f(dir_ / "in" / "pupil.jsonl");
    json deep = PupilLine("P2");
    deep["x_deep"] = json::parse(std::string(1000, '[') + std::string(1000, ']'));
    f << PupilLine("P1").dump() << "\n" << deep.dump() << "\n" << PupilLine("P3").dump() << "\n";
  }
  auto c = Open();
  ASSERT_NE(c, nullptr);
  auto r = ReadPupils(*c);
  ASSERT_EQ(r.status, 0) << r.body.substr(0, 300);
  json page = json::parse(r.body);
  EXPECT_EQ(page["records"].size(), 2u);
  ASSERT_EQ(page["rejects"].size(), 1u) << r.body.substr(0, 300);
  EXPECT_NE(page["rejects"][0]["reason"].get<std::string>().find("nested more than 64 levels"),
            std::string::npos)
      << page["rejects"][0]["reason"];
}

}  // namespace
