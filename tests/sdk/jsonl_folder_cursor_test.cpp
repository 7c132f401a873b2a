// The example jsonl-folder adapter's cursor: a byte offset at a line boundary plus what names the
// file it was taken on. A read from a cursor, in this instance or after a restart, starts at the
// next line (nothing read twice or skipped); lines appended since are read from there; a file
// replaced by another of the same name (even one starting with the same line) is read from its
// start, while the same content in another file (a restored backup) carries on.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "sendsync/testkit/conformance.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class JsonlCursor : public testing::Test {
 protected:
  JsonlCursor() {
    static int n = 0;
    dir_ = fs::temp_directory_path() /
           ("sendsync-jsonl-cursor-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "in");
  }
  ~JsonlCursor() override { fs::remove_all(dir_); }

  std::unique_ptr<sendsync::testkit::Caller> Open() {
    std::string error;
    auto c =
        sendsync::testkit::OpenInProcess(std::string(BUNDLED_PLUGIN_DIR) + "/jsonl-folder.so",
                                         json{{"folder", (dir_ / "in").string()}}.dump(), &error);
    EXPECT_NE(c, nullptr) << error;
    return c;
  }
  // One read; the page's ids are appended to `ids`. Returns the page.
  json Read(sendsync::testkit::Caller& c, const std::string& cursor, size_t limit,
            std::vector<std::string>& ids) {
    auto r = c.Call("read", json{{"kind", "pupil"}, {"cursor", cursor}, {"limit", limit}}.dump());
    EXPECT_EQ(r.status, 0) << r.body;
    json page = json::parse(r.body);
    for (const json& rec : page["records"]) ids.push_back(rec["id"]);
    return page;
  }
  // Writes lines for `ids` into pupil.jsonl: in place (same inode) or as a new file renamed over.
  void Write(const std::vector<std::string>& ids, bool in_place = true) {
    const fs::path target = dir_ / "in" / "pupil.jsonl";
    const fs::path path = in_place ? target : dir_ / "new.jsonl";
    {
      std::ofstream f(path, std::ios::trunc);
      for (const std::string& id : ids) f << Line(id) << "\n";
    }
    if (!in_place) fs::rename(path, target);
  }
  static std::string Line(const std::string& id) {
    return json{{"kind", "pupil"},
                {"id", id},
                {"upn", "B801200005001"},
                {"legal_surname", "Ng"},
                {"legal_forename", "Ada"},
                {"dob", "2014-03-02"},
                {"sex", "F"}}
        .dump();
  }
  fs::path dir_;
};

TEST_F(JsonlCursor, ResumesAtTheNextLineAfterARestart) {
  Write({"P1", "P2", "P3", "P4", "P5", "P6", "P7"});
  std::vector<std::string> ids;
  std::string cursor;
  {
    auto c = Open();
    ASSERT_NE(c, nullptr);
    cursor = Read(*c, "", 3, ids)["next_cursor"];
  }
  auto c = Open();
  ASSERT_NE(c, nullptr);
  json page = Read(*c, cursor, 100, ids);
  EXPECT_EQ(ids, (std::vector<std::string>{"P1", "P2", "P3", "P4", "P5", "P6", "P7"}));
  EXPECT_FALSE(page["more"]);
}

TEST_F(JsonlCursor, LinesAppendedSinceTheCursorAreReadFromThere) {
  Write({"P1", "P2"});
  auto c = Open();
  ASSERT_NE(c, nullptr);
  std::vector<std::string> ids;
  std::string cursor = Read(*c, "", 100, ids)["next_cursor"];
  {
    std::ofstream f(dir_ / "in" / "pupil.jsonl", std::ios::app);
    f << Line("P3") << "\n";
  }
  Read(*c, cursor, 100, ids);
  EXPECT_EQ(ids, (std::vector<std::string>{"P1", "P2", "P3"}));
}

TEST_F(JsonlCursor, FileRewrittenInPlaceWithTheSameFirstLineIsReadFromItsStart) {
  Write({"P1", "P2", "P3", "P4"});
  auto c = Open();
  ASSERT_NE(c, nullptr);
  std::vector<std::string> first;
  std::string cursor = Read(*c, "", 2, first)["next_cursor"];
  // A new export of the same name: the same first pupil, then others, and longer.
  Write({"P1", "Q2-with-a-longer-id", "Q3", "Q4", "Q5"});
  std::vector<std::string> ids;
  Read(*c, cursor, 100, ids);
  EXPECT_EQ(ids, (std::vector<std::string>{"P1", "Q2-with-a-longer-id", "Q3", "Q4", "Q5"}));
}

TEST_F(JsonlCursor, FileReplacedByRenameWithTheSameFirstLineIsReadFromItsStart) {
  Write({"P1", "P2", "P3", "P4"});
  auto c = Open();
  ASSERT_NE(c, nullptr);
  std::vector<std::string> first;
  std::string cursor = Read(*c, "", 2, first)["next_cursor"];
  Write({"P1", "Q2", "Q3", "Q4"}, false);  // a new file renamed over the old one
  std::vector<std::string> ids;
  Read(*c, cursor, 100, ids);
  EXPECT_EQ(ids, (std::vector<std::string>{"P1", "Q2", "Q3", "Q4"}));
}

TEST_F(JsonlCursor, TheSameContentInAnotherFileCarriesOnWhereItWas) {
  Write({"P1", "P2", "P3"});
  auto c = Open();
  ASSERT_NE(c, nullptr);
  std::vector<std::string> ids;
  std::string cursor = Read(*c, "", 2, ids)["next_cursor"];
  Write({"P1", "P2", "P3"}, false);  // restored from a backup: another inode, the same lines
  Read(*c, cursor, 100, ids);
  EXPECT_EQ(ids, (std::vector<std::string>{"P1", "P2", "P3"})) << "nothing read twice";
}

TEST_F(JsonlCursor, CursorOfAnEarlierVersionIsStillUnderstood) {
  Write({"P1", "P2", "P3"});
  auto c = Open();
  ASSERT_NE(c, nullptr);
  std::vector<std::string> ids;
  std::string v2 = Read(*c, "", 1, ids)["next_cursor"];
  ASSERT_EQ(v2.rfind("v2:", 0), 0u) << v2;
  // "v1:<first line>:<offset>" from the same fields.
  const size_t a = v2.find(':', 3), b = v2.find(':', a + 1);
  Read(*c, "v1" + v2.substr(2, b - 2), 100, ids);
  EXPECT_EQ(ids, (std::vector<std::string>{"P1", "P2", "P3"}));
}

}  // namespace
