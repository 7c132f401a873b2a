// The audit chain's anchors outside the store (core/audit/anchor.h): a cut tail, an emptied log,
// a rewritten chain and a damaged or forged anchor file are each seen by VerifyWithAnchors.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/audit/anchor.h"
#include "core/store/store.h"
#include "pg_server.h"

using namespace sendsync;
using namespace sendsync::store;
namespace fs = std::filesystem;

namespace {

class AuditAnchorTest : public testing::Test {
 protected:
  void SetUp() override {
    url_ = testing_support::FreshSqliteUrl();
    auto s = Store::Open(url_, OpenMode::kCreate);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    auto c = store_->Connect();
    ASSERT_TRUE(c.ok());
    conn_ = std::move(*c);
    dir_ = fs::path(url_.substr(7)).parent_path() / "data";
    opts_ = audit::DefaultAnchorOptions(dir_.string());
    id_ = audit::StoreIdentity(url_);
  }

  void AppendEntries(int n, const std::string& action = "record.update") {
    Tx tx(*conn_);
    std::vector<audit::Entry> e(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      e[i].actor = "link:mis";
      e[i].action = action;
      e[i].kind = "sen";
      e[i].record_id = 10 + i;
      e[i].pupil_id = 1;
    }
    ASSERT_TRUE(audit::Append(*conn_, e).ok());
    ASSERT_TRUE(tx.Commit().ok());
  }

  // A run: entries appended, then an anchor written.
  void Run(int n) {
    AppendEntries(n);
    auto a = audit::WriteAnchor(*conn_, opts_, id_);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    ASSERT_TRUE(a->has_value());
  }

  audit::VerifyResult Check() {
    auto v = audit::VerifyWithAnchors(*conn_, opts_, id_);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *v : audit::VerifyResult{};
  }

  // Cuts the chain after `keep` entries and winds the head back to match, as someone with write
  // access to the store could.
  void CutTailAndWindHeadBack(int64_t keep) {
    ASSERT_TRUE(conn_->Exec("DELETE FROM audit WHERE seq > ?", {keep}).ok());
    auto h = conn_->Query("SELECT hash FROM audit WHERE seq = ?", {keep});
    ASSERT_TRUE(h.ok());
    const std::string hash = h->empty() ? "" : AsText((*h)[0][0]);
    ASSERT_TRUE(
        conn_->Exec("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", {keep, hash}).ok());
  }

  std::vector<std::string> AnchorLines() {
    std::ifstream in(opts_.file);
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    return lines;
  }
  void WriteAnchorLines(const std::vector<std::string>& lines) {
    std::ofstream out(opts_.file, std::ios::trunc);
    for (const auto& l : lines) out << l << "\n";
  }

  std::string url_, id_;
  fs::path dir_;
  audit::AnchorOptions opts_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Conn> conn_;
};

TEST_F(AuditAnchorTest, IntactChainPassesAndSaysWhatTheNewestAnchorCovers) {
  Run(3);
  Run(4);
  auto v = Check();
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.checked, 7);
  EXPECT_EQ(v.anchored_seq, 7);
  EXPECT_EQ(v.anchors, 2);
}

TEST_F(AuditAnchorTest, CutTailWithWoundBackHeadIsDetectedAndTheMissingEntriesNamed) {
  Run(5);
  Run(5);
  CutTailAndWindHeadBack(6);
  auto plain = audit::Verify(*conn_);  // the store alone cannot tell
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->ok);
  auto v = Check();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.missing_from, 7);
  EXPECT_EQ(v.missing_to, 10);
  EXPECT_EQ(v.first_bad_seq, 7);
  EXPECT_NE(v.problem.find("entries 7\xE2\x80\x93"
                           "10 missing: the chain ends at 6, the anchor of "),
            std::string::npos)
      << v.problem;
  EXPECT_NE(v.problem.find(" says 10"), std::string::npos) << v.problem;
}

TEST_F(AuditAnchorTest, EveryRowAndTheHeadDeletedIsDetected) {
  Run(4);
  ASSERT_TRUE(conn_->Exec("DELETE FROM audit").ok());
  ASSERT_TRUE(conn_->Exec("DELETE FROM audit_head").ok());
  auto v = Check();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.missing_from, 1);
  EXPECT_EQ(v.missing_to, 4);
  EXPECT_NE(v.problem.find("entries 1\xE2\x80\x93"
                           "4 missing"),
            std::string::npos)
      << v.problem;
  EXPECT_NE(v.problem.find("head row is missing"), std::string::npos) << v.problem;
}

TEST_F(AuditAnchorTest, EveryRowDeletedAndTheHeadResetIsDetected) {
  Run(4);
  CutTailAndWindHeadBack(0);
  auto v = Check();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.missing_from, 1);
  EXPECT_EQ(v.missing_to, 4);
}

// The tail is cut, and later runs append and anchor as many entries again: the newest anchor
// agrees with the chain, the one from before the cut does not.
TEST_F(AuditAnchorTest, ACutTailWrittenAgainByLaterRunsIsDetected) {
  Run(5);
  Run(5);
  CutTailAndWindHeadBack(6);
  Run(4);
  ASSERT_TRUE(audit::Verify(*conn_)->ok);
  auto v = Check();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 10);
  EXPECT_EQ(v.anchors, 3);
  EXPECT_NE(v.problem.find("entry 10 is not the one the anchor of"), std::string::npos)
      << v.problem;
}

TEST_F(AuditAnchorTest, ARebuiltChainOfTheSameLengthIsDetected) {
  Run(4);
  CutTailAndWindHeadBack(0);
  AppendEntries(4, "record.create");  // a different history, hashed and chained correctly
  ASSERT_TRUE(audit::Verify(*conn_)->ok);
  auto v = Check();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 4);
  EXPECT_NE(v.problem.find("rewritten"), std::string::npos) << v.problem;
}

TEST_F(AuditAnchorTest, AnEditedAnchorIsDetected) {
  Run(3);
  Run(3);
  CutTailAndWindHeadBack(3);
  auto lines = AnchorLines();
  ASSERT_EQ(lines.size(), 2u);
  const size_t at = lines[1].find("\"seq\":6");
  ASSERT_NE(at, std::string::npos) << lines[1];
  lines[1].replace(at, 7, "\"seq\":3");  // make the newest anchor agree with the cut chain
  WriteAnchorLines(lines);
  auto v = Check();
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.problem.find("anchor 2 (line 2) is not signed by key"), std::string::npos)
      << v.problem;
}

TEST_F(AuditAnchorTest, AnAnchorForgedWithAnotherKeyIsDetected) {
  Run(3);
  audit::AnchorOptions other = opts_;
  other.key_file = (dir_ / "attacker.key").string();
  AppendEntries(2);
  ASSERT_TRUE(audit::WriteAnchor(*conn_, other, id_).ok());
  auto v = Check();
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.problem.find("anchor 2 (line 2) is not signed by key"), std::string::npos)
      << v.problem;
}

TEST_F(AuditAnchorTest, RemovedAnchorsAreDetected) {
  Run(1);
  Run(1);
  Run(1);
  auto lines = AnchorLines();
  ASSERT_EQ(lines.size(), 3u);
  WriteAnchorLines({lines[0], lines[2]});
  auto v = Check();
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.problem.find("anchor 2 missing from"), std::string::npos) << v.problem;

  WriteAnchorLines({lines[1], lines[2]});  // the first one gone
  v = Check();
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.problem.find("anchor 1 missing from"), std::string::npos) << v.problem;
}

TEST_F(AuditAnchorTest, ADeletedAnchorFileIsDetectedWhileTheKeyRemains) {
  Run(2);
  fs::remove(opts_.file);
  auto v = Check();
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.problem.find("is missing, but the anchor key"), std::string::npos) << v.problem;
}

TEST_F(AuditAnchorTest, NothingNewWritesNoAnchor) {
  Run(2);
  auto again = audit::WriteAnchor(*conn_, opts_, id_);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value());
  EXPECT_EQ(AnchorLines().size(), 1u);
}

TEST_F(AuditAnchorTest, TheKeyIsMadePrivateAndRefusedWhenOthersCanReadIt) {
  Run(1);
  struct stat st {};
  ASSERT_EQ(::stat(opts_.key_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::chmod(opts_.key_file.c_str(), 0644), 0);
  AppendEntries(1);
  auto a = audit::WriteAnchor(*conn_, opts_, id_);
  EXPECT_EQ(a.status().code(), Status::Code::kPermissionDenied);
  EXPECT_NE(a.status().message().find("chmod 600"), std::string::npos);
}

TEST_F(AuditAnchorTest, AnAuditorChecksWithThePublicKeyAlone) {
  Run(3);
  auto file = audit::ReadAnchors(opts_);
  ASSERT_TRUE(file.ok());
  ASSERT_NE(file->public_key_pem.find("BEGIN PUBLIC KEY"), std::string::npos);
  EXPECT_EQ(file->public_key_pem.find("PRIVATE"), std::string::npos);
  audit::AnchorOptions auditor = opts_;
  auditor.key_file = (dir_ / "exported.pub").string();
  std::ofstream(auditor.key_file) << file->public_key_pem;
  auto v = audit::VerifyWithAnchors(*conn_, auditor, id_);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->problem;
  EXPECT_EQ(v->anchored_seq, 3);
}

TEST_F(AuditAnchorTest, AnchorsOfAnotherStoreInTheSameFolderAreNotCompared) {
  Run(3);
  auto v = audit::VerifyWithAnchors(*conn_, opts_, "sqlite:/elsewhere/other.db");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->problem;
  EXPECT_EQ(v->anchored_seq, 0);
}

TEST(AuditStoreIdentity, HidesTheUserAndPasswordAndMakesSqlitePathsAbsolute) {
  EXPECT_EQ(audit::StoreIdentity("postgresql://hub:s3cret@db.internal:5433/sendsync"),
            "postgresql://db.internal:5433/sendsync");
  const std::string id = audit::StoreIdentity("sqlite:var/x.db");
  EXPECT_EQ(id.rfind("sqlite:/", 0), 0u) << id;
}

}  // namespace
