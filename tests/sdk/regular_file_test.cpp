// sdk::RegularFile: a name in a drop folder is read only when it is a regular file inside the
// folder, never through a link, never a FIFO or a device.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "sendsync/sdk/regular_file.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using sendsync::Status;
using sendsync::sdk::RegularFile;

class RegularFileTest : public testing::Test {
 protected:
  RegularFileTest() {
    static int n = 0;
    dir_ = fs::temp_directory_path() /
           ("sendsync-regular-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "in");
    std::ofstream(dir_ / "secret") << "SECRET\n";
    fs::permissions(dir_ / "secret", fs::perms::owner_read | fs::perms::owner_write);
  }
  ~RegularFileTest() override { fs::remove_all(dir_); }
  fs::path in() const { return dir_ / "in"; }
  fs::path dir_;
};

std::string ReadAllOf(RegularFile f) {
  std::unique_ptr<std::istream> s = std::move(f).ToStream();
  return std::string(std::istreambuf_iterator<char>(*s), {});
}

TEST_F(RegularFileTest, ReadsARegularFile) {
  std::ofstream(in() / "a.txt") << "hello\n";
  auto f = RegularFile::Open(in(), "a.txt");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(ReadAllOf(std::move(*f)), "hello\n");
}

TEST_F(RegularFileTest, RefusesASymlinkNamingIt) {
  fs::create_symlink(dir_ / "secret", in() / "a.txt");
  auto f = RegularFile::Open(in() / "a.txt");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(f.status().message().find("a symbolic link"), std::string::npos)
      << f.status().message();
  EXPECT_EQ(f.status().message().find("SECRET"), std::string::npos);
}

TEST_F(RegularFileTest, RefusesAFifoWithoutBlocking) {
  ASSERT_EQ(::mkfifo((in() / "p.txt").c_str(), 0600), 0);
  auto f = RegularFile::Open(in(), "p.txt");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("FIFO"), std::string::npos) << f.status().message();
}

TEST_F(RegularFileTest, RefusesAFolderAndADevice) {
  fs::create_directories(in() / "d.xml");
  auto d = RegularFile::Open(in(), "d.xml");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("a folder"), std::string::npos) << d.status().message();
  auto dev = RegularFile::Open("/dev/null");
  ASSERT_FALSE(dev.ok());
  EXPECT_NE(dev.status().message().find("a device"), std::string::npos) << dev.status().message();
}

TEST_F(RegularFileTest, RefusesASymlinkedSubfolderAndDotDot) {
  fs::create_directories(dir_ / "elsewhere");
  std::ofstream(dir_ / "elsewhere" / "x.txt") << "SECRET\n";
  fs::create_directory_symlink(dir_ / "elsewhere", in() / "sub");
  auto f = RegularFile::Open(in(), "sub/x.txt");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("symbolic link"), std::string::npos) << f.status().message();
  auto up = RegularFile::Open(in(), "../secret");
  ASSERT_FALSE(up.ok());
  EXPECT_NE(up.status().message().find("leaves the folder"), std::string::npos)
      << up.status().message();
}

TEST_F(RegularFileTest, MissingIsNotFound) {
  EXPECT_EQ(RegularFile::Open(in(), "none").status().code(), Status::Code::kNotFound);
}

}  // namespace
