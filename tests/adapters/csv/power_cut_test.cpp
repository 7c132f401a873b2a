// The csv adapter's out folder and write ledger across a simulated power cut at every step of a
// write (the test kit's fault-injecting file system forgets what was not fsynced): no change that
// was answered "applied" is lost, and none is written into two import files when the host sends
// everything again. Also: ledgers written before the checksummed format are still read, and a
// damaged one is refused with its line.
#include <gtest/gtest.h>

#include <sendsync/testkit/fault_fs.h>

#include <set>

#include "config.h"
#include "csv_test_util.h"
#include "import_writer.h"
#include "ledger.h"

namespace {

using namespace csvtest;
using sendsync::Status;
using sendsync::csv::ImportWriter;
using sendsync::sdk::Change;
using sendsync::sdk::WriteRequest;
using sendsync::sdk::WriteResult;
using sendsync::testkit::FaultInjectionFileSystem;
using Torn = FaultInjectionFileSystem::Torn;

json Source(const std::string& out) {
  return {{"sources",
           {{{"name", "sen-import"},
             {"kind", "sen"},
             {"columns",
              {{"upn", "UPN"},
               {"legal_surname", "Surname"},
               {"legal_forename", "Forename"},
               {"provision", "SEN Status"}}},
             {"write", {{"out_folder", out}, {"file_name", "{kind}-{seq}.csv"}}}}}}};
}

Change Sen(const std::string& key, const std::string& upn) {
  Change c;
  c.key = key;
  c.op = "upsert";
  c.record = {
      {"kind", "sen"}, {"pupil", {{"upn", upn}}}, {"provision", "K"}, {"needs", json::array()}};
  c.context = {{"pupil", {{"upn", upn}, {"legal_surname", "Ahmed"}, {"legal_forename", "Yusuf"}}}};
  return c;
}

// How many rows of all import files in `out` hold `upn`.
int RowsWith(const fs::path& out, const std::string& upn) {
  int n = 0;
  for (const std::string& f : FilesIn(out, ".csv")) {
    std::string text = ReadFile(f);
    for (size_t at = text.find(upn); at != std::string::npos; at = text.find(upn, at + 1)) ++n;
  }
  return n;
}

const std::vector<std::vector<Change>> kCalls = {
    {Sen("k1", "B801200005001"), Sen("k2", "N801200023002")}, {Sen("k3", "C801200023003")}};
const char* const kUpns[] = {"B801200005001", "N801200023002", "C801200023003"};

TEST(CsvPowerCut, ImportFilesAndLedgerLoseNothingAppliedAndRepeatNothing) {
  for (Torn torn : {Torn::kDropAll, Torn::kKeepHalf}) {
    for (int cut = 0;; ++cut) {
      TempDir dir;
      const fs::path out = dir.path() / "out";
      sendsync::Result<sendsync::csv::CsvConfig> cfg = sendsync::csv::ParseConfig(Source(out));
      ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
      const sendsync::csv::SourceSpec& source = cfg->sources[0];
      FaultInjectionFileSystem ffs;
      ffs.CrashAt(cut);
      std::set<std::string> applied;
      {
        auto w = ImportWriter::Open(source, ffs);
        if (w.ok()) {
          for (const auto& changes : kCalls) {
            WriteResult r;
            (*w)->Write(WriteRequest{"sen", changes}, r);
            for (const auto& res : r.results)
              if (res.result == "applied") applied.insert(res.key);
          }
        }
      }
      const bool finished = !ffs.crashed();
      ffs.PowerCut(torn);
      // Nothing answered "applied" is gone.
      for (size_t i = 0; i < 3; ++i) {
        if (applied.count("k" + std::to_string(i + 1))) {
          EXPECT_EQ(RowsWith(out, kUpns[i]), 1)
              << "cut " << cut << ": applied k" << i + 1 << " lost";
        }
      }
      // The host sends every change again: each ends up in exactly one import file.
      auto w = ImportWriter::Open(source);
      ASSERT_TRUE(w.ok()) << "cut " << cut << ": " << w.status().ToString();
      for (const auto& changes : kCalls) {
        WriteResult r;
        (*w)->Write(WriteRequest{"sen", changes}, r);
        for (const auto& res : r.results) EXPECT_EQ(res.result, "applied") << res.reason;
      }
      for (const char* upn : kUpns)
        EXPECT_EQ(RowsWith(out, upn), 1) << "cut " << cut << " (" << static_cast<int>(torn)
                                         << "): " << upn << " lost or written twice";
      if (finished) break;
      ASSERT_LT(cut, 100);
    }
  }
}

TEST(CsvPowerCut, LedgerOfTheFormatBeforeChecksumsIsStillRead) {
  TempDir dir;
  // As the csv adapter wrote it before the SDK ledger: one JSON object a line, no checksum.
  WriteFile(
      dir / "out/.sendsync-csv-ledger.jsonl",
      "{\"batch\":\"b1\",\"file\":\"sen-001.csv\",\"key\":\"k1\",\"remote_id\":\"B801200005001\"}\n"
      "{\"batch\":\"b1\",\"commit\":true,\"file\":\"sen-001.csv\"}\n");
  sendsync::csv::Ledger ledger(dir / "out");
  ASSERT_TRUE(ledger.Load().ok());
  ASSERT_NE(ledger.Find("k1"), nullptr);
  EXPECT_EQ(*ledger.Find("k1"), "B801200005001");
  EXPECT_TRUE(ledger.NameUsed("sen-001.csv"));
  ASSERT_TRUE(ledger.Begin("b2", "sen-002.csv", {{"k2", "N801200023002"}}).ok());
  ASSERT_TRUE(ledger.Commit("b2", "sen-002.csv", {{"k2", "N801200023002"}}).ok());
  sendsync::csv::Ledger again(dir / "out");
  ASSERT_TRUE(again.Load().ok());
  EXPECT_NE(again.Find("k1"), nullptr);
  EXPECT_NE(again.Find("k2"), nullptr);
}

TEST(CsvPowerCut, DamagedLedgerLineIsRefusedNotSkipped) {
  TempDir dir;
  WriteFile(dir / "out/.sendsync-csv-ledger.jsonl",
            "{\"batch\":\"b1\",\"file\":\"sen-001.csv\",\"key\":\"k1\",\"remote_id\":\"B8\"}\n"
            "{\"batch\":\"b1\",\"file\":\"sen-0{\"batch\":\"b2\"}\n"
            "{\"batch\":\"b1\",\"commit\":true,\"file\":\"sen-001.csv\"}\n");
  sendsync::csv::Ledger ledger(dir / "out");
  Status st = ledger.Load();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Status::Code::kCorruption);
  EXPECT_NE(st.message().find("line 2"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find(".sendsync-csv-ledger.jsonl"), std::string::npos) << st.message();
}

}  // namespace
