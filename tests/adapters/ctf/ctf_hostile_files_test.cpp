// Hostile things in the drop folder: a symbolic link to a file the service can read, a FIFO, a
// folder named like a CTF file. Only regular files placed in the folder itself are ever opened; the
// rest is refused with a reason and left where it is, and no byte of a link's target reaches a
// record, a reject (the quarantine's raw payload) or rejected/.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "ctf_test_support.h"

namespace {

using namespace ctftest;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Every regular file under `dir` (links not followed), read whole, joined: where a leak would land.
std::string EverythingUnder(const fs::path& dir) {
  std::string all;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.symlink_status().type() == fs::file_type::regular) all += ReadText(e.path());
  return all;
}

class CtfHostileFiles : public testing::Test {
 protected:
  // A private file outside the drop folder, mode 0600, as /etc/shadow is to the service.
  fs::path Secret(const std::string& content) {
    fs::path p = w_.root / "secret.txt";
    std::ofstream(p) << content;
    fs::permissions(p, fs::perms::owner_read | fs::perms::owner_write);
    return p;
  }
  Workspace w_;
};

TEST_F(CtfHostileFiles, SymlinkToAPrivateFileIsNotFollowedAndItsContentGoesNowhere) {
  const std::string secret = "root:$6$SECRET-HASH-NEVER-LEAK:19000:0:99999:7:::\n";
  fs::create_symlink(Secret(secret), w_.drop / "shadow.xml");
  auto c = Open(w_.Config());
  ASSERT_NE(c, nullptr);
  json pupils = ReadAll(*c, "pupil");
  json sen = ReadAll(*c, "sen");
  EXPECT_TRUE(pupils["records"].empty());
  EXPECT_FALSE(Contains(pupils.dump() + sen.dump(), "SECRET-HASH")) << pupils.dump();
  EXPECT_FALSE(Contains(EverythingUnder(w_.drop), "SECRET-HASH"))
      << "nothing copied into the folder";
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(w_.drop / "shadow.xml")))
      << "the link is left where it is";
}

TEST_F(CtfHostileFiles, SymlinkToAGoodCtfOutsideTheFolderIsNotRead) {
  fs::path outside = w_.root / "elsewhere.xml";
  fs::copy_file(Fixture("good/8201234_CTF_8214567_001.xml"), outside);
  fs::create_symlink(outside, w_.drop / "8201234_CTF_8214567_001.xml");
  auto c = Open(w_.Config());
  ASSERT_NE(c, nullptr);
  json pupils = ReadAll(*c, "pupil");
  EXPECT_TRUE(pupils["records"].empty()) << "a link's target is never read, even a sound CTF";
}

TEST_F(CtfHostileFiles, FifoAndFolderNamedXmlAreSkippedWhileRegularFilesAreRead) {
  ASSERT_EQ(::mkfifo((w_.drop / "pipe.xml").c_str(), 0600), 0);
  fs::create_directories(w_.drop / "folder.xml");
  w_.Drop("good/8201234_CTF_8214567_001.xml");
  auto c = Open(w_.Config());
  ASSERT_NE(c, nullptr);
  json pupils = ReadAll(*c, "pupil");  // would block forever if the FIFO were opened for reading
  EXPECT_EQ(pupils["records"].size(), 5u);
  EXPECT_TRUE(pupils["rejects"].empty());
  EXPECT_TRUE(fs::is_fifo(fs::symlink_status(w_.drop / "pipe.xml")));
  EXPECT_TRUE(fs::is_directory(w_.drop / "folder.xml"));
}

TEST_F(CtfHostileFiles, DeeplyNestedFileIsRefusedAtOnceWithTheReason) {
  // A sound CTF with 5,000 levels of an unknown element inside it: well-formed, and its pupils
  // would otherwise be imported.
  std::string text = ReadText(Fixture("good/8201234_CTF_8214567_001.xml"));
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += "<Deep>";
  for (int i = 0; i < 5000; ++i) deep += "</Deep>";
  text.insert(text.rfind("</CTfile>"), deep);
  std::ofstream(w_.drop / "deep.xml") << text;
  auto c = Open(w_.Config());
  ASSERT_NE(c, nullptr);
  json pupils = ReadAll(*c, "pupil");
  EXPECT_TRUE(pupils["records"].empty()) << "nothing of a refused file is imported";
  ASSERT_EQ(pupils["rejects"].size(), 1u);
  EXPECT_TRUE(Contains(pupils["rejects"][0]["reason"], "nested more than 64 levels deep"))
      << pupils["rejects"][0]["reason"];
  EXPECT_TRUE(fs::exists(w_.drop / "rejected/deep.xml"));
}

}  // namespace
