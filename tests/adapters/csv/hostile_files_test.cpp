// Hostile things in an export folder: a symbolic link to a file the service can read, a FIFO, a
// folder named like an export. Only regular files are ever opened; anything else fails the read
// with the reason, and no byte of a link's target reaches a record or a reject.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "csv_test_util.h"

namespace {

using namespace csvtest;

json RollSource(const std::string& path) {
  return {{"name", "roll"},
          {"kind", "pupil"},
          {"path", path},
          {"columns",
           {{"pupil_id", "Adno"},
            {"upn", "UPN"},
            {"legal_surname", "Legal Surname"},
            {"legal_forename", "Legal Forename"},
            {"dob", "DOB"},
            {"sex", "Gender"}}}};
}

json Config(json source) {
  return {{"sources", json::array({std::move(source)})}};
}

// A private (0600) file outside the export folder holding a readable export with a marker surname.
std::string PrivateExport(const TempDir& outside) {
  std::string path = outside / "private.csv";
  WriteFile(path,
            "Adno,UPN,Legal Surname,Legal Forename,DOB,Gender\n"
            "001,B801200005001,SECRETSURNAME,Amy,02/03/2014,F\n"
            "002,B801200005001,SECRETSURNAME2,Bo,31/02/2014,F\n");
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
  return path;
}

bool Leaks(const All& all) {
  for (const json& r : all.records)
    if (r.dump().find("SECRET") != std::string::npos) return true;
  for (const auto& r : all.rejects)
    if ((r.raw + r.reason + r.where).find("SECRET") != std::string::npos) return true;
  return false;
}

TEST(CsvHostileFiles, SymlinkedExportIsRefusedWithTheReasonAndNotRead) {
  TempDir dir, outside;
  fs::create_symlink(PrivateExport(outside), dir / "roll.csv");
  auto o = Open(Config(RollSource(dir / "roll.csv")));
  ASSERT_TRUE(o);
  sendsync::Status st;
  sendsync::sdk::ReadResult r = ReadPage(o->adapter, "pupil", "", 500, &st);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("symbolic link"), std::string::npos) << st.message();
  EXPECT_TRUE(r.records.empty());
  EXPECT_TRUE(r.rejects.empty());
}

TEST(CsvHostileFiles, SymlinkMatchingTheFolderPatternIsRefusedNotFollowed) {
  TempDir dir, outside;
  fs::create_symlink(PrivateExport(outside), dir / "roll_2024.csv");
  json src = RollSource(dir.path().string());
  src["pattern"] = "roll_*.csv";
  auto o = Open(Config(src));
  ASSERT_TRUE(o);
  sendsync::Status st;
  sendsync::sdk::ReadResult r = ReadPage(o->adapter, "pupil", "", 500, &st);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("roll_2024.csv"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("symbolic link"), std::string::npos) << st.message();
  EXPECT_TRUE(r.records.empty());
}

TEST(CsvHostileFiles, FifoInPlaceOfTheExportIsRefusedWithoutBlocking) {
  TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "roll.csv").c_str(), 0600), 0);
  auto o = Open(Config(RollSource(dir / "roll.csv")));
  ASSERT_TRUE(o);
  sendsync::Status st;
  ReadPage(o->adapter, "pupil", "", 500, &st);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("FIFO"), std::string::npos) << st.message();
}

TEST(CsvHostileFiles, RegularExportBesideALinkIsStillReadWhenItIsTheConfiguredPath) {
  TempDir dir, outside;
  fs::create_symlink(PrivateExport(outside), dir / "other.csv");
  WriteFile(dir / "roll.csv",
            "Adno,UPN,Legal Surname,Legal Forename,DOB,Gender\n001,B801200005001,Hughes,Amy,"
            "02/03/2014,F\n");
  auto o = Open(Config(RollSource(dir / "roll.csv")));
  ASSERT_TRUE(o);
  All all = ReadAll(o->adapter, "pupil");
  EXPECT_EQ(all.records.size(), 1u);
  EXPECT_FALSE(Leaks(all));
}

}  // namespace
