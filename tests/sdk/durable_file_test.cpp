// The SDK's durable-file layer and key ledger: the error policy, the damage policy, and power cuts
// at every step of a write (with the test kit's fault-injecting file system).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <sendsync/sdk/durable_file.h>
#include <sendsync/sdk/ledger.h>
#include <sendsync/testkit/fault_fs.h>

namespace sendsync {
namespace {

namespace fs = std::filesystem;
using sdk::KeyLedger;
using testkit::FaultInjectionFileSystem;
using Torn = FaultInjectionFileSystem::Torn;

class DurableFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sendsync-durable-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Reset() {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  static std::string Slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  static void Put(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
  }
  fs::path dir_;
};

TEST_F(DurableFileTest, ErrorPolicyMarksConditionsThatClearAsRetryable) {
  for (int err : {ENOSPC, EDQUOT, EIO, EAGAIN, ESTALE, EROFS}) {
    Status st = sdk::FileErrorStatus(err, "cannot write", "/x/y");
    EXPECT_EQ(st.code(), Status::Code::kUnavailable) << err;
    EXPECT_TRUE(st.transient());
    EXPECT_NE(st.message().find("'/x/y'"), std::string::npos);
  }
  EXPECT_EQ(sdk::FileErrorStatus(EACCES, "w", "p").code(), Status::Code::kPermissionDenied);
  EXPECT_EQ(sdk::FileErrorStatus(ENOENT, "w", "p").code(), Status::Code::kNotFound);
  EXPECT_EQ(sdk::FileErrorStatus(EEXIST, "w", "p").code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(sdk::FileErrorStatus(EBADF, "w", "p").code(), Status::Code::kIoError);
  EXPECT_FALSE(sdk::FileErrorStatus(EBADF, "w", "p").transient());
}

TEST_F(DurableFileTest, WriteFileAtomicallyLeavesOldOrWholeNewAtEveryPowerCut) {
  for (Torn torn : {Torn::kDropAll, Torn::kKeepHalf}) {
    for (int cut = 0;; ++cut) {
      Reset();
      Put(dir_ / "state.json", "old");
      FaultInjectionFileSystem ffs;
      ffs.CrashAt(cut);
      Status st = sdk::WriteFileAtomically(ffs, dir_ / "state.json", "new content");
      const bool finished = !ffs.crashed();
      ffs.PowerCut(torn);
      const std::string now = Slurp(dir_ / "state.json");
      if (st.ok()) {
        EXPECT_EQ(now, "new content") << "cut " << cut << ": an acknowledged write was lost";
      } else {
        EXPECT_TRUE(now == "old" || now == "new content") << "cut " << cut << ": '" << now << "'";
      }
      // No temp file is left to be mistaken for data.
      for (const auto& e : fs::directory_iterator(dir_))
        EXPECT_EQ(e.path().filename(), "state.json") << "cut " << cut;
      if (finished) break;
      ASSERT_LT(cut, 50);
    }
  }
}

TEST_F(DurableFileTest, AppendDurablyToANewFileSurvivesAPowerCutOnceAcknowledged) {
  for (int cut = 0;; ++cut) {
    Reset();
    FaultInjectionFileSystem ffs;
    ffs.CrashAt(cut);
    Status st = sdk::AppendDurably(ffs, dir_ / "sub" / "log.txt", "line\n");
    const bool finished = !ffs.crashed();
    ffs.PowerCut();
    if (st.ok()) {
      EXPECT_EQ(Slurp(dir_ / "sub" / "log.txt"), "line\n") << "cut " << cut;
    }
    if (finished) break;
    ASSERT_LT(cut, 50);
  }
}

TEST_F(DurableFileTest, MoveNoClobberNeverOverwritesAndSurvivesAPowerCut) {
  Put(dir_ / "a", "A");
  Put(dir_ / "b", "B");
  Status st = sdk::MoveNoClobber(sdk::RealFileSystem(), dir_ / "a", dir_ / "b");
  EXPECT_EQ(st.code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(Slurp(dir_ / "b"), "B");
  for (int cut = 0;; ++cut) {
    Reset();
    fs::create_directories(dir_ / "done");
    Put(dir_ / "a", "A");
    FaultInjectionFileSystem ffs;
    ffs.CrashAt(cut);
    st = sdk::MoveNoClobber(ffs, dir_ / "a", dir_ / "done" / "a");
    const bool finished = !ffs.crashed();
    ffs.PowerCut();
    const bool there = fs::exists(dir_ / "done" / "a"), here = fs::exists(dir_ / "a");
    EXPECT_TRUE(there || here) << "cut " << cut << ": the file was lost";
    if (st.ok()) {
      EXPECT_TRUE(there && !here) << "cut " << cut << ": an acknowledged move was undone";
      EXPECT_EQ(Slurp(dir_ / "done" / "a"), "A");
    }
    if (finished) break;
    ASSERT_LT(cut, 50);
  }
}

TEST_F(DurableFileTest, FolderLockIsExclusiveUntilReleased) {
  {
    Result<sdk::FolderLock> first = sdk::FolderLock::Acquire(dir_ / ".lock");
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    Result<sdk::FolderLock> second = sdk::FolderLock::Acquire(dir_ / ".lock", 0);
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.status().code(), Status::Code::kUnavailable);
    EXPECT_NE(second.status().message().find(dir_.string()), std::string::npos);
  }
  EXPECT_TRUE(sdk::FolderLock::Acquire(dir_ / ".lock", 0).ok());
}

TEST_F(DurableFileTest, LedgerKeepsAcknowledgedRecordsAndRepeatsNoneAtEveryPowerCut) {
  const int kRecords = 3;
  for (Torn torn : {Torn::kDropAll, Torn::kKeepHalf}) {
    for (int cut = 0;; ++cut) {
      Reset();
      FaultInjectionFileSystem ffs;
      ffs.CrashAt(cut);
      int acknowledged = 0;
      {
        Result<KeyLedger> l = KeyLedger::Open(ffs, dir_ / "ledger.jsonl");
        ASSERT_TRUE(l.ok()) << l.status().ToString();
        for (int i = 0; i < kRecords; ++i) {
          if (!l->Append(nlohmann::json{{"key", "k" + std::to_string(i)}}).ok()) break;
          ++acknowledged;
        }
      }
      const bool finished = !ffs.crashed();
      ffs.PowerCut(torn);
      FaultInjectionFileSystem after;
      Result<KeyLedger> l = KeyLedger::Open(after, dir_ / "ledger.jsonl");
      ASSERT_TRUE(l.ok()) << "cut " << cut << ": " << l.status().ToString();
      // Every acknowledged record is there, in order, once; at most the one in flight besides.
      ASSERT_GE(static_cast<int>(l->records().size()), acknowledged) << "cut " << cut;
      ASSERT_LE(static_cast<int>(l->records().size()), acknowledged + 1) << "cut " << cut;
      for (size_t i = 0; i < l->records().size(); ++i)
        EXPECT_EQ(l->records()[i].value["key"], "k" + std::to_string(i)) << "cut " << cut;
      // The file ends on a whole line, so the next append is read back.
      ASSERT_TRUE(l->Append(nlohmann::json{{"key", "next"}}).ok());
      Result<KeyLedger> again = KeyLedger::Open(after, dir_ / "ledger.jsonl");
      ASSERT_TRUE(again.ok()) << again.status().ToString();
      EXPECT_EQ(again->records().back().value["key"], "next");
      if (finished) break;
      ASSERT_LT(cut, 50);
    }
  }
}

TEST_F(DurableFileTest, LedgerDropsATornTailAndCutsTheFileBack) {
  const std::string whole = KeyLedger::Line({{"key", "a"}}) + "\n";
  Put(dir_ / "l", whole + KeyLedger::Line({{"key", "b"}}).substr(0, 7));
  Result<KeyLedger> l = KeyLedger::Open(sdk::RealFileSystem(), dir_ / "l");
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  ASSERT_EQ(l->records().size(), 1u);
  EXPECT_EQ(Slurp(dir_ / "l"), whole);
}

TEST_F(DurableFileTest, LedgerRefusesDamageInTheMiddleNamingFileAndLine) {
  std::string a = KeyLedger::Line({{"key", "a"}}), b = KeyLedger::Line({{"key", "b"}}),
              c = KeyLedger::Line({{"key", "c"}});
  b[9] = b[9] == 'x' ? 'y' : 'x';  // a flipped byte inside the JSON of line 2
  Put(dir_ / "l", a + "\n" + b + "\n" + c + "\n");
  Result<KeyLedger> l = KeyLedger::Open(sdk::RealFileSystem(), dir_ / "l");
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().code(), Status::Code::kCorruption);
  EXPECT_NE(l.status().message().find((dir_ / "l").string()), std::string::npos);
  EXPECT_NE(l.status().message().find("line 2"), std::string::npos) << l.status().message();
  // Not JSON at all, in the older format without checksums.
  Put(dir_ / "m", "{\"key\":\"a\"}\nnot json\n{\"key\":\"c\"}\n");
  Result<KeyLedger> m = KeyLedger::Open(sdk::RealFileSystem(), dir_ / "m");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("line 2"), std::string::npos) << m.status().message();
}

TEST_F(DurableFileTest, LedgerReadsLinesOfTheFormatBeforeChecksums) {
  Put(dir_ / "l", "{\"key\":\"old1\"}\n{\"key\":\"old2\"}\n");
  {
    Result<KeyLedger> l = KeyLedger::Open(sdk::RealFileSystem(), dir_ / "l");
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    ASSERT_EQ(l->records().size(), 2u);
    ASSERT_TRUE(l->Append(nlohmann::json{{"key", "new"}}).ok());
  }
  Result<KeyLedger> l = KeyLedger::Open(sdk::RealFileSystem(), dir_ / "l");
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  ASSERT_EQ(l->records().size(), 3u);
  EXPECT_EQ(l->records()[0].value["key"], "old1");
  EXPECT_EQ(l->records()[2].value["key"], "new");
  EXPECT_EQ(l->records()[2].line, 3u);
}

}  // namespace
}  // namespace sendsync
