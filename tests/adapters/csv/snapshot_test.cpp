// Snapshot mode (whole exports re-made each time: deletions, state, safety) and append mode.
#include <gtest/gtest.h>

#include <chrono>

#include "csv_test_util.h"
#include "snapshot_state.h"
#include "source_reader.h"

namespace {

using namespace csvtest;

const std::string kHeader = "Review ID,UPN,Review Date,Review Type\r\n";

std::string Row(const std::string& id, const std::string& date = "10/12/2024") {
  return id + ",B801200005001," + date + ",Annual review\r\n";
}

json Source(const std::string& path) {
  return {{"name", "reviews"},
          {"kind", "review"},
          {"path", path},
          {"columns",
           {{"id", "Review ID"},
            {"upn", "UPN"},
            {"date", "Review Date"},
            {"review_kind", "Review Type"}}}};
}

json Config(json source) {
  return {{"sources", json::array({std::move(source)})}};
}

std::vector<std::string> Ids(const std::vector<sendsync::sdk::Deletion>& dels) {
  std::vector<std::string> out;
  for (const auto& d : dels) out.push_back(d.id);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> Ids(const std::vector<json>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(r["id"]);
  return out;
}

TEST(CsvSnapshot, NewExportIsReadFromItsStartAndRemovedIdsAreDeletions) {
  TempDir dir;
  WriteFile(dir / "r.csv", kHeader + Row("R-1") + Row("R-2") + Row("R-3"));
  auto o = Open(Config(Source(dir / "r.csv")));
  All first = ReadAll(o->adapter, "review");
  EXPECT_TRUE(first.deletions.empty()) << "nothing to compare the first export with";
  WriteFile(dir / "r.csv", kHeader + Row("R-1", "11/12/2024") + Row("R-3") + Row("R-4"));
  All second = ReadAll(o->adapter, "review", first.cursor);
  EXPECT_EQ(Ids(second.records), (std::vector<std::string>{"R-1", "R-3", "R-4"}));
  EXPECT_EQ(Find(second.records, "id", "R-1")["date"], "2024-12-11");
  ASSERT_EQ(Ids(second.deletions), (std::vector<std::string>{"R-2"}));
  EXPECT_EQ(second.deletions[0].kind, "review");
  EXPECT_EQ(second.deletions[0].upn, "B801200005001");
}

TEST(CsvSnapshot, UnchangedExportAfterItsEndGivesNothing) {
  TempDir dir;
  WriteFile(dir / "r.csv", kHeader + Row("R-1") + Row("R-2"));
  auto o = Open(Config(Source(dir / "r.csv")));
  All first = ReadAll(o->adapter, "review");
  sendsync::sdk::ReadResult again = ReadPage(o->adapter, "review", first.cursor);
  EXPECT_TRUE(again.records.empty());
  EXPECT_TRUE(again.deletions.empty());
  EXPECT_FALSE(again.more);
  EXPECT_EQ(again.next_cursor, first.cursor);
}

TEST(CsvSnapshot, DeletionsComeOnTheFirstPageOfTheNewExportOnly) {
  TempDir dir;
  WriteFile(dir / "r.csv", kHeader + Row("R-1") + Row("R-2") + Row("R-3") + Row("R-4"));
  auto o = Open(Config(Source(dir / "r.csv")));
  All first = ReadAll(o->adapter, "review");
  WriteFile(dir / "r.csv", kHeader + Row("R-1") + Row("R-5") + Row("R-6"));
  sendsync::sdk::ReadResult p1 = ReadPage(o->adapter, "review", first.cursor, 2);
  EXPECT_EQ(Ids(p1.deletions), (std::vector<std::string>{"R-2", "R-3", "R-4"}));
  EXPECT_TRUE(p1.more);
  sendsync::sdk::ReadResult p2 = ReadPage(o->adapter, "review", p1.next_cursor, 2);
  EXPECT_TRUE(p2.deletions.empty());
  EXPECT_EQ(p2.records.size(), 1u);
  EXPECT_FALSE(p2.more);
  // Reading the first page again (the host did not commit it) gives the same deletions.
  sendsync::sdk::ReadResult p1_again = ReadPage(o->adapter, "review", first.cursor, 2);
  EXPECT_EQ(Ids(p1_again.deletions), Ids(p1.deletions));
  EXPECT_EQ(p1_again.next_cursor, p1.next_cursor);
}

TEST(CsvSnapshot, ExportWithAnUnidentifiableRowDeletesNothingUntilASoundOneArrives) {
  TempDir dir;
  WriteFile(dir / "r.csv", kHeader + Row("R-1") + Row("R-2") + Row("R-3"));
  auto o = Open(Config(Source(dir / "r.csv")));
  All first = ReadAll(o->adapter, "review");
  // R-2 gone, and a row cut short: it might be R-3, so nothing may be deleted yet.
  WriteFile(dir / "r.csv", kHeader + Row("R-1") + "R-3,B801200005001\r\n");
  All second = ReadAll(o->adapter, "review", first.cursor);
  EXPECT_TRUE(second.deletions.empty());
  EXPECT_EQ(second.rejects.size(), 1u);
  EXPECT_TRUE(o->host.Logged("no deletions are reported")) << "the admin is told why";
  // The next sound export reports what was held back, and R-3's removal too.
  WriteFile(dir / "r.csv", kHeader + Row("R-1"));
  All third = ReadAll(o->adapter, "review", second.cursor);
  EXPECT_EQ(Ids(third.deletions), (std::vector<std::string>{"R-2", "R-3"}));
}

TEST(CsvSnapshot, QuoteLeftOpenRejectsTheRestAndDeletesNothing) {
  TempDir dir;
  WriteFile(dir / "r.csv", kHeader + Row("R-1") + Row("R-2") + Row("R-3"));
  auto o = Open(Config(Source(dir / "r.csv")));
  All first = ReadAll(o->adapter, "review");
  WriteFile(dir / "r.csv",
            kHeader + Row("R-1") + "R-2,B801200005001,10/12/2024,\"Annual\r\n" + Row("R-3"));
  All second = ReadAll(o->adapter, "review", first.cursor);
  EXPECT_EQ(Ids(second.records), std::vector<std::string>{"R-1"});
  ASSERT_EQ(second.rejects.size(), 1u);
  EXPECT_NE(second.rejects[0].reason.find("never closed"), std::string::npos)
      << second.rejects[0].reason;
  EXPECT_TRUE(second.deletions.empty());
}

TEST(CsvSnapshot, EmptyExportDeletesNothing) {
  TempDir dir;
  WriteFile(dir / "r.csv", kHeader + Row("R-1") + Row("R-2"));
  auto o = Open(Config(Source(dir / "r.csv")));
  All first = ReadAll(o->adapter, "review");
  WriteFile(dir / "r.csv", kHeader);
  All second = ReadAll(o->adapter, "review", first.cursor);
  EXPECT_TRUE(second.deletions.empty());
  EXPECT_TRUE(o->host.Logged("it has no rows"));
}

TEST(CsvSnapshot, ExportThatFailsToParseFailsTheReadAndDeletesNothing) {
  TempDir dir;
  WriteFile(dir / "r.csv", kHeader + Row("R-1") + Row("R-2"));
  auto o = Open(Config(Source(dir / "r.csv")));
  All first = ReadAll(o->adapter, "review");
  WriteFile(dir / "r.csv", "Review Ref,UPN,Review Date,Review Type\r\n" + Row("R-1"));
  sendsync::Status st;
  sendsync::sdk::ReadResult r = ReadPage(o->adapter, "review", first.cursor, 50, &st);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("no column 'Review ID'"), std::string::npos) << st.message();
  // Once the export is fixed, the deletion is reported against the last good one.
  WriteFile(dir / "r.csv", kHeader + Row("R-1"));
  All fixed = ReadAll(o->adapter, "review", first.cursor);
  EXPECT_EQ(Ids(fixed.deletions), std::vector<std::string>{"R-2"});
}

TEST(CsvSnapshot, DuplicateIdIsRejectedNamingTheFirstRow) {
  TempDir dir;
  WriteFile(dir / "r.csv", kHeader + Row("R-1") + Row("R-2") + Row("R-1", "11/12/2024"));
  auto o = Open(Config(Source(dir / "r.csv")));
  All all = ReadAll(o->adapter, "review");
  EXPECT_EQ(Ids(all.records), (std::vector<std::string>{"R-1", "R-2"}));
  ASSERT_EQ(all.rejects.size(), 1u);
  EXPECT_EQ(all.rejects[0].where, "r.csv row 3 (line 4)");
  EXPECT_EQ(
      all.rejects[0].reason,
      "record id 'R-1' is also on row 1; only the first is read (remove or correct the repeat)");
  EXPECT_EQ(all.rejects[0].id, "R-1");
}

TEST(CsvSnapshot, StateSurvivesANewInstanceAndLivesInTheStateFolder) {
  TempDir dir;
  WriteFile(dir / "exports/r.csv", kHeader + Row("R-1") + Row("R-2"));
  json config = Config(Source(dir / "exports/r.csv"));
  config["state_folder"] = dir / "state";
  std::string cursor;
  {
    auto o = Open(config);
    cursor = ReadAll(o->adapter, "review").cursor;
  }
  EXPECT_EQ(FilesIn(dir.path() / "state/reviews/review", ".ids").size(), 1u);
  WriteFile(dir / "exports/r.csv", kHeader + Row("R-1"));
  auto fresh = Open(config);
  All second = ReadAll(fresh->adapter, "review", cursor);
  EXPECT_EQ(Ids(second.deletions), std::vector<std::string>{"R-2"});
}

TEST(CsvSnapshot, DefaultStateFolderIsBesideTheExport) {
  TempDir dir;
  WriteFile(dir / "r.csv", kHeader + Row("R-1"));
  auto o = Open(Config(Source(dir / "r.csv")));
  ReadAll(o->adapter, "review");
  EXPECT_EQ(FilesIn(dir.path() / ".sendsync-csv-state/reviews/review", ".ids").size(), 1u);
}

TEST(CsvSnapshot, LostStateMeansNoDeletionsAndAWarningNotAGuess) {
  TempDir dir;
  WriteFile(dir / "r.csv", kHeader + Row("R-1") + Row("R-2"));
  auto o = Open(Config(Source(dir / "r.csv")));
  All first = ReadAll(o->adapter, "review");
  std::filesystem::remove_all(dir.path() / ".sendsync-csv-state");
  WriteFile(dir / "r.csv", kHeader + Row("R-1"));
  All second = ReadAll(o->adapter, "review", first.cursor);
  EXPECT_TRUE(second.deletions.empty());
  EXPECT_TRUE(o->host.Logged("cannot be reported as deletions"));
  EXPECT_EQ(second.records.size(), 1u);
}

TEST(CsvSnapshot, FutureCursorReturnsNothing) {
  TempDir dir;
  WriteFile(dir / "r.csv", kHeader + Row("R-1") + Row("R-2"));
  auto o = Open(Config(Source(dir / "r.csv")));
  All first = ReadAll(o->adapter, "review");
  auto parts = *sendsync::csv::ParseCursor(first.cursor);
  parts[0].row += 1000;
  parts[0].offset += 1000000;
  sendsync::sdk::ReadResult r = ReadPage(o->adapter, "review", sendsync::csv::FormatCursor(parts));
  EXPECT_TRUE(r.records.empty());
  EXPECT_TRUE(r.deletions.empty());
  EXPECT_FALSE(r.more);
}

TEST(CsvSnapshot, CursorWhoseOffsetIsPastTheEndGivesNothingAndNoMore) {
  TempDir dir;
  WriteFile(dir / "r.csv", kHeader + Row("R-1") + Row("R-2"));
  auto o = Open(Config(Source(dir / "r.csv")));
  auto parts = *sendsync::csv::ParseCursor(ReadPage(o->adapter, "review", "", 1).next_cursor);
  parts[0].offset += 1000000;  // row 1 of 2, but the offset is past the end
  sendsync::sdk::ReadResult r = ReadPage(o->adapter, "review", sendsync::csv::FormatCursor(parts));
  EXPECT_TRUE(r.records.empty());
  EXPECT_FALSE(r.more) << "a host looping on 'more' must stop";
}

TEST(CsvSnapshot, FolderOfDatedExportsReadsTheNewest) {
  TempDir dir;
  auto at = [](int minutes_ago) {
    return std::filesystem::file_time_type::clock::now() - std::chrono::minutes(minutes_ago);
  };
  WriteFile(dir / "Reviews_2024-12-01.csv", kHeader + Row("R-1") + Row("R-2"));
  std::filesystem::last_write_time(dir / "Reviews_2024-12-01.csv", at(60));
  WriteFile(dir / "notes.txt", "not an export");
  json src = Source(dir.path().string());
  src["pattern"] = "Reviews_*.csv";
  auto o = Open(Config(src));
  All first = ReadAll(o->adapter, "review");
  EXPECT_EQ(first.records.size(), 2u);
  WriteFile(dir / "Reviews_2024-12-08.csv", kHeader + Row("R-2") + Row("R-3"));
  std::filesystem::last_write_time(dir / "Reviews_2024-12-08.csv", at(30));
  All second = ReadAll(o->adapter, "review", first.cursor);
  EXPECT_EQ(Ids(second.records), (std::vector<std::string>{"R-2", "R-3"}));
  EXPECT_EQ(Ids(second.deletions), std::vector<std::string>{"R-1"});
}

TEST(CsvSnapshot, LastByNameIgnoresModificationTimes) {
  TempDir dir;
  WriteFile(dir / "Reviews_20241208.csv", kHeader + Row("R-new"));
  WriteFile(dir / "Reviews_20241201.csv", kHeader + Row("R-old"));  // written later, older name
  json src = Source(dir.path().string());
  src["pattern"] = "Reviews_*.csv";
  src["pick"] = "last_by_name";
  auto o = Open(Config(src));
  EXPECT_EQ(Ids(ReadAll(o->adapter, "review").records), std::vector<std::string>{"R-new"});
}

TEST(CsvSnapshot, FileStillBeingWrittenWaitsForSettleSeconds) {
  TempDir dir;
  WriteFile(dir / "r.csv", kHeader + Row("R-1"));
  json src = Source(dir / "r.csv");
  src["settle_seconds"] = 120;
  auto o = Open(Config(src));
  EXPECT_TRUE(ReadAll(o->adapter, "review").records.empty());
  std::filesystem::last_write_time(
      dir / "r.csv", std::filesystem::file_time_type::clock::now() - std::chrono::minutes(5));
  EXPECT_EQ(ReadAll(o->adapter, "review").records.size(), 1u);
}

TEST(CsvSnapshot, OldStateSetsAreCleanedUp) {
  TempDir dir;
  auto o = Open(Config(Source(dir / "r.csv")));
  std::string cursor;
  for (int i = 0; i < 10; ++i) {
    WriteFile(dir / "r.csv", kHeader + Row("R-" + std::to_string(i)));
    cursor = ReadAll(o->adapter, "review", cursor).cursor;
  }
  EXPECT_LE(FilesIn(dir.path() / ".sendsync-csv-state/reviews/review", ".ids").size(), 6u);
}

TEST(CsvSnapshotState, SavedIdsLoadBackIncludingAwkwardCharacters) {
  TempDir dir;
  sendsync::csv::SnapshotState state(dir / "s");
  std::vector<sendsync::csv::IdEntry> ids = {{"a\tb\\c\nd", "B801200005001"}, {"plain", ""}};
  ASSERT_TRUE(state.Save("review", "abc", ids, "").ok());
  auto loaded = state.Load("review", "abc");
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->size(), 2u);
  EXPECT_EQ((*loaded)[0].id, "a\tb\\c\nd");
  EXPECT_EQ((*loaded)[0].upn, "B801200005001");
  EXPECT_EQ(state.Load("review", "nope").status().code(), sendsync::Status::Code::kNotFound);
}

TEST(CsvSnapshotState, TruncatedStateFileIsCorruptionNotAShorterList) {
  TempDir dir;
  sendsync::csv::SnapshotState state(dir / "s");
  ASSERT_TRUE(state.Save("review", "abc", {{"1", ""}, {"2", ""}, {"3", ""}}, "").ok());
  std::string path = dir / "s/review/abc.ids";
  std::string text = ReadFile(path);
  WriteFile(path, text.substr(0, text.size() - 3));
  EXPECT_EQ(state.Load("review", "abc").status().code(), sendsync::Status::Code::kCorruption);
}

// ---- append mode ----

json AppendSource(const std::string& path) {
  json s = Source(path);
  s["mode"] = "append";
  return s;
}

TEST(CsvAppend, ReadsOnlyRowsAddedSinceTheCursor) {
  TempDir dir;
  WriteFile(dir / "r.csv", kHeader + Row("R-1") + Row("R-2"));
  auto o = Open(Config(AppendSource(dir / "r.csv")));
  All first = ReadAll(o->adapter, "review");
  EXPECT_EQ(first.records.size(), 2u);
  WriteFile(dir / "r.csv", kHeader + Row("R-1") + Row("R-2") + Row("R-3") + "R-4,,bad,x\r\n");
  All second = ReadAll(o->adapter, "review", first.cursor);
  EXPECT_EQ(Ids(second.records), std::vector<std::string>{"R-3"});
  ASSERT_EQ(second.rejects.size(), 1u);
  EXPECT_EQ(second.rejects[0].where, "r.csv row 4 (line 5)") << "row numbers carry on";
  EXPECT_TRUE(second.deletions.empty());
  EXPECT_TRUE(ReadPage(o->adapter, "review", second.cursor).records.empty());
}

// For progress: a page says how many rows are still to come, exactly for a snapshot export (its
// scan knows its last row) and at the page's bytes per row for an appended file.
TEST(CsvProgress, SnapshotPageSaysHowManyRowsAreStillToCome) {
  TempDir dir;
  std::string text = kHeader;
  for (int i = 10; i < 100; ++i) text += Row("R-" + std::to_string(i));
  WriteFile(dir / "r.csv", text);
  auto o = Open(Config(Source(dir / "r.csv")));
  sendsync::sdk::ReadResult first = ReadPage(o->adapter, "review", "", 30);
  ASSERT_TRUE(first.more);
  EXPECT_EQ(first.remaining, 60);
  sendsync::sdk::ReadResult second = ReadPage(o->adapter, "review", first.next_cursor, 50);
  EXPECT_EQ(second.remaining, 10);
}

TEST(CsvProgress, AppendPageEstimatesTheRowsStillToComeFromTheBytesLeft) {
  TempDir dir;
  std::string text = kHeader;
  for (int i = 10; i < 100; ++i) text += Row("R-" + std::to_string(i));  // rows of one length
  WriteFile(dir / "r.csv", text);
  auto o = Open(Config(AppendSource(dir / "r.csv")));
  sendsync::sdk::ReadResult first = ReadPage(o->adapter, "review", "", 30);
  ASSERT_TRUE(first.more);
  EXPECT_EQ(first.remaining, 60);
  sendsync::sdk::ReadResult second = ReadPage(o->adapter, "review", first.next_cursor, 50);
  EXPECT_EQ(second.remaining, 10);
}

TEST(CsvAppend, LastRowWithoutLineBreakWaitsUntilItIsComplete) {
  TempDir dir;
  WriteFile(dir / "r.csv", kHeader + Row("R-1") + "R-2,B801200005001,10/12/20");
  auto o = Open(Config(AppendSource(dir / "r.csv")));
  All first = ReadAll(o->adapter, "review");
  EXPECT_EQ(Ids(first.records), std::vector<std::string>{"R-1"});
  WriteFile(dir / "r.csv", kHeader + Row("R-1") + Row("R-2"));
  EXPECT_EQ(Ids(ReadAll(o->adapter, "review", first.cursor).records),
            std::vector<std::string>{"R-2"});
}

TEST(CsvAppend, ReplacedFileIsReadFromTheStart) {
  TempDir dir;
  WriteFile(dir / "r.csv", kHeader + Row("R-1") + Row("R-2"));
  auto o = Open(Config(AppendSource(dir / "r.csv")));
  All first = ReadAll(o->adapter, "review");
  WriteFile(dir / "r.csv", kHeader + Row("R-9") + Row("R-2") + Row("R-3"));
  All second = ReadAll(o->adapter, "review", first.cursor);
  EXPECT_EQ(Ids(second.records), (std::vector<std::string>{"R-9", "R-2", "R-3"}));
  EXPECT_TRUE(o->host.Logged("was replaced"));
}

TEST(CsvAppend, RepeatedIdIsAnUpdateNotADuplicate) {
  TempDir dir;
  WriteFile(dir / "r.csv", kHeader + Row("R-1") + Row("R-1", "11/12/2024"));
  auto o = Open(Config(AppendSource(dir / "r.csv")));
  All all = ReadAll(o->adapter, "review");
  EXPECT_EQ(all.records.size(), 2u);
  EXPECT_TRUE(all.rejects.empty());
}

TEST(CsvAppend, PagesAndFutureCursor) {
  TempDir dir;
  std::string text = kHeader;
  for (int i = 0; i < 25; ++i) text += Row("R-" + std::to_string(i));
  WriteFile(dir / "r.csv", text);
  auto o = Open(Config(AppendSource(dir / "r.csv")));
  All paged = ReadAll(o->adapter, "review", "", 10);
  EXPECT_EQ(paged.records.size(), 25u);
  EXPECT_EQ(paged.pages, 3);
  auto parts = *sendsync::csv::ParseCursor(paged.cursor);
  parts[0].offset += 1000000;
  sendsync::sdk::ReadResult r = ReadPage(o->adapter, "review", sendsync::csv::FormatCursor(parts));
  EXPECT_TRUE(r.records.empty());
  EXPECT_FALSE(r.more);
}

}  // namespace
