// The drop folder over time: the ingest ledger and the cursor make reads repeatable while a file is
// never read twice; committed files move to done/, nothing is ever deleted, files still being
// written are left alone, and a crash half-way through a step is finished later.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <sendsync/sdk/ledger.h>

#include "ctf_test_support.h"

namespace {

using namespace ctftest;

const char* kPrimary = "good/8201234_CTF_8214567_001.xml";
const char* kSecondary = "good/8734002_CTF_8734123_001.xml";

fs::path Ledger(const Workspace& w) {
  return w.drop / ".sendsync-ctf-ledger.jsonl";
}

TEST(CtfLedger, ReadIsRepeatableFromTheSameCursor) {
  Workspace w;
  w.Drop(kPrimary);
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  json a = ReadAll(*c, "pupil"), b = ReadAll(*c, "pupil");
  EXPECT_EQ(a["records"], b["records"]);
  EXPECT_EQ(a["next_cursor"], b["next_cursor"]);
}

TEST(CtfLedger, CommittedCursorMovesTheFileToDone) {
  Workspace w;
  w.Drop(kPrimary);
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  json first = ReadAll(*c, "pupil");
  EXPECT_TRUE(fs::exists(w.drop / "8201234_CTF_8214567_001.xml"))
      << "not moved before the host says it has committed the records";
  json next = Read(*c, "pupil", first["next_cursor"]);
  EXPECT_TRUE(next["records"].empty());
  EXPECT_FALSE(fs::exists(w.drop / "8201234_CTF_8214567_001.xml"));
  EXPECT_EQ(ReadText(w.drop / "done/8201234_CTF_8214567_001.xml"), ReadText(Fixture(kPrimary)));
}

TEST(CtfLedger, FilesInDoneAreStillReadFromAnEarlierCursor) {
  Workspace w;
  w.Drop(kPrimary);
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  json first = ReadAll(*c, "pupil");
  Read(*c, "pupil", first["next_cursor"]);  // moves the file to done/
  json again = ReadAll(*c, "pupil");
  EXPECT_EQ(again["records"], first["records"]) << "a host that lost its cursor loses nothing";
}

TEST(CtfLedger, SameContentDroppedAgainIsNeverReadTwice) {
  Workspace w;
  w.Drop(kPrimary);
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  json first = ReadAll(*c, "pupil");
  ASSERT_EQ(first["records"].size(), 5u);
  w.Drop(kPrimary, "re-export.xml");
  json second = ReadAll(*c, "pupil", first["next_cursor"]);
  EXPECT_TRUE(second["records"].empty());
  EXPECT_TRUE(second["rejects"].empty());
  EXPECT_FALSE(fs::exists(w.drop / "re-export.xml"));
  std::vector<std::string> done = FilesUnder(w.drop / "done");
  ASSERT_TRUE(std::count(done.begin(), done.end(), "re-export.xml"))
      << testing::PrintToString(done);
  std::string note = ReadText(w.drop / "done/re-export.xml.note.txt");
  EXPECT_NE(note.find("same content"), std::string::npos) << note;
  EXPECT_NE(note.find("8201234_CTF_8214567_001.xml"), std::string::npos) << note;
}

TEST(CtfLedger, SameContentTwiceInOneDropIsReadOnce) {
  Workspace w;
  auto now = fs::file_time_type::clock::now();
  fs::last_write_time(w.Drop(kPrimary, "a.xml"), now - std::chrono::minutes(2));
  fs::last_write_time(w.Drop(kPrimary, "b.xml"), now - std::chrono::minutes(1));
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(ReadAll(*c, "pupil")["records"].size(), 5u);
  EXPECT_TRUE(fs::exists(w.drop / "a.xml"));
  EXPECT_TRUE(fs::exists(w.drop / "done/b.xml"));
}

TEST(CtfLedger, NewFilesAfterTheCursorAreRead) {
  Workspace w;
  w.Drop(kPrimary);
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  json first = ReadAll(*c, "pupil");
  w.Drop(kSecondary);
  json second = ReadAll(*c, "pupil", first["next_cursor"]);
  ASSERT_EQ(second["records"].size(), 4u);
  EXPECT_EQ(second["records"][0]["upn"], "X873400212045");
}

TEST(CtfLedger, CursorBeyondTheLedgerReturnsNothing) {
  Workspace w;
  w.Drop(kPrimary);
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  std::string cur = ReadAll(*c, "pupil")["next_cursor"];  // ctf1:<id>:2:0
  std::string future = cur.substr(0, cur.rfind(':', cur.size() - 3) + 1) + "9:0";
  json r = Read(*c, "pupil", future);
  EXPECT_TRUE(r["records"].empty());
  EXPECT_FALSE(r["more"]);
}

TEST(CtfLedger, PagesThroughALargeFileWithoutLosingOrRepeatingAPupil) {
  Workspace w;
  std::ofstream f(w.drop / "8201234_CTF_8214567_009.xml");
  f << "<?xml version=\"1.0\"?>\n<CTfile><Header><CTFversion>25.0</CTFversion>"
       "<DateTime>2026-07-15T10:30:00</DateTime><SourceSchool><LEA>820</LEA><Estab>1234</Estab>"
       "</SourceSchool><DestSchool><LEA>821</LEA><Estab>4567</Estab></DestSchool></Header>"
       "<CTFpupilData>\n";
  const int kPupils = 1203;
  for (int i = 0; i < kPupils; ++i)
    f << "<Pupil><UPN>" << MakeUpn(i) << "</UPN><Surname>S" << i
      << "</Surname><Forename>F</Forename><DOB>2015-01-01</DOB><Sex>M</Sex>"
      << (i % 3 == 0 ? "<SENhistory><SEN><StartDate>2024-01-08</StartDate><SENprovision>K"
                       "</SENprovision></SEN></SENhistory>"
                     : "")
      << "</Pupil>\n";
  f << "</CTFpupilData></CTfile>\n";
  f.close();
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  json all = ReadAll(*c, "pupil", "", 50);
  ASSERT_EQ(all["records"].size(), static_cast<size_t>(kPupils));
  EXPECT_EQ(all["pages"], 25);
  for (int i = 0; i < kPupils; ++i) ASSERT_EQ(all["records"][i]["upn"], MakeUpn(i)) << i;
  json sen = ReadAll(*c, "sen", "", 50);
  const size_t with_sen = (kPupils + 2) / 3;  // 401
  EXPECT_EQ(sen["records"].size(), with_sen);
  EXPECT_EQ(sen["pages"], 9) << "the limit counts records, not pupils without SEN";
  EXPECT_EQ(sen["next_cursor"], all["next_cursor"]);
  json exact = Read(*c, "sen", "", with_sen);
  EXPECT_EQ(exact["records"].size(), with_sen);
  EXPECT_FALSE(exact["more"]) << "the pupils after the last one with SEN give nothing more";
}

TEST(CtfLedger, TempPartHiddenAndOtherFilesAreLeftAlone) {
  Workspace w;
  for (const char* name : {"x.xml.tmp", "y.xml.part", ".hidden.xml", "notes.txt"})
    w.Drop(kPrimary, name);
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(ReadAll(*c, "pupil")["records"].empty());
  for (const char* name : {"x.xml.tmp", "y.xml.part", ".hidden.xml", "notes.txt"})
    EXPECT_TRUE(fs::exists(w.drop / name)) << name;
}

TEST(CtfLedger, FileStillBeingWrittenWaitsUntilItHasSettled) {
  Workspace w;
  fs::path f = w.Drop(kPrimary);
  fs::last_write_time(f, fs::file_time_type::clock::now());
  auto c = Open(w.Config({{"settle_seconds", 60}}));
  ASSERT_NE(c, nullptr);
  json early = ReadAll(*c, "pupil");
  EXPECT_TRUE(early["records"].empty());
  fs::last_write_time(f, fs::file_time_type::clock::now() - std::chrono::minutes(2));
  EXPECT_EQ(ReadAll(*c, "pupil", early["next_cursor"])["records"].size(), 5u);
}

TEST(CtfLedger, LedgerOutlivesTheInstance) {
  Workspace w;
  w.Drop(kPrimary);
  std::string cursor;
  {
    auto c = Open(w.Config());
    ASSERT_NE(c, nullptr);
    cursor = ReadAll(*c, "pupil")["next_cursor"];
  }
  w.Drop(kPrimary, "copy.xml");
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  json r = ReadAll(*c, "pupil", cursor);
  EXPECT_TRUE(r["records"].empty()) << "the copy's content was read before the restart";
  EXPECT_EQ(r["next_cursor"], cursor);
}

TEST(CtfLedger, CursorFromAnotherLedgerReadsThisOneFromTheStart) {
  Workspace w;
  w.Drop(kPrimary);
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  json r = ReadAll(*c, "pupil", "ctf1:0123456789abcdef:7:0");
  EXPECT_EQ(r["records"].size(), 5u);
}

TEST(CtfLedger, CursorNotMadeByTheAdapterIsRefused) {
  Workspace w;
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  auto r = c->Call("read", R"({"kind":"pupil","cursor":"v1:abc:12"})");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.body.find("cursor"), std::string::npos) << r.body;
}

TEST(CtfLedger, TornLastLineIsCutOffAndTheLedgerCarriesOn) {
  Workspace w;
  w.Drop(kPrimary);
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  json first = ReadAll(*c, "pupil");
  {
    std::ofstream f(Ledger(w), std::ios::app);
    f << R"({"seq":2,"sha256":"ab)";  // a crash in the middle of an append
  }
  w.Drop(kSecondary);
  json second = ReadAll(*c, "pupil", first["next_cursor"]);
  EXPECT_EQ(second["records"].size(), 4u);
  std::string text = ReadText(Ledger(w));
  EXPECT_EQ(text.back(), '\n');
  // Every line is whole and checks out: the SDK ledger would refuse a damaged one.
  sendsync::Result<sendsync::sdk::KeyLedger> reopened =
      sendsync::sdk::KeyLedger::Open(sendsync::sdk::RealFileSystem(), Ledger(w));
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ(text.find("\"ab\n"), std::string::npos) << "the torn line is left in the ledger";
}

TEST(CtfLedger, DamagedLineInTheMiddleIsRefusedWithItsLine) {
  Workspace w;
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  w.Drop(kPrimary);  // taken in (ledger lines 1 and 2) by the first read
  const json first = ReadAll(*c, "pupil");
  std::string text = ReadText(Ledger(w));
  const size_t second_line = text.find('\n') + 1;
  text[second_line + 3] = text[second_line + 3] == 'x' ? 'y' : 'x';  // one flipped byte
  {
    std::ofstream f(Ledger(w), std::ios::binary | std::ios::trunc);
    f << text;
  }
  auto r = c->Call("read", json{{"kind", "pupil"}, {"cursor", first["next_cursor"]}}.dump());
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.body.find("line 2"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("damaged"), std::string::npos) << r.body;
}

TEST(CtfLedger, LedgerOfTheFormatBeforeChecksumsIsStillRead) {
  // Lines as the adapter wrote them before the SDK ledger: one JSON object each, no checksum.
  Workspace w;
  fs::create_directories(fs::path(Ledger(w)).parent_path());
  {
    std::ofstream f(Ledger(w), std::ios::binary);
    f << R"({"created":"2026-01-05T09:00:00","format":1,"ledger":"00c0ffee00c0ffee"})"
      << "\n";
  }
  w.Drop(kPrimary);
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  json first = ReadAll(*c, "pupil");
  EXPECT_EQ(first["records"].size(), 5u);
  EXPECT_NE(first["next_cursor"].get<std::string>().find("00c0ffee00c0ffee"), std::string::npos)
      << "the old ledger's id is kept, so cursors stay valid";
}

TEST(CtfLedger, InterruptedMoveToDoneIsFinished) {
  Workspace w;
  w.Drop(kPrimary);
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  json first = ReadAll(*c, "pupil");
  {  // the ledger line of a move to done/ was written, then the process died before the move
    std::ofstream f(Ledger(w), std::ios::app);
    f << R"({"seq":1,"moved_to":"done/8201234_CTF_8214567_001.xml"})"
      << "\n";
  }
  EXPECT_EQ(ReadAll(*c, "pupil")["records"], first["records"]) << "found where it really is";
  Read(*c, "pupil", first["next_cursor"]);
  EXPECT_TRUE(fs::exists(w.drop / "done/8201234_CTF_8214567_001.xml"));
  EXPECT_FALSE(fs::exists(w.drop / "8201234_CTF_8214567_001.xml"));
}

TEST(CtfLedger, VanishedFileIsReportedNotSkippedSilently) {
  Workspace w;
  fs::path f = w.Drop(kPrimary);
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  Read(*c, "pupil", "", 1);  // taken in, not yet read to the end
  fs::rename(f, w.root / "moved-away-by-hand.xml");
  json r = ReadAll(*c, "pupil");
  EXPECT_TRUE(r["records"].empty());
  ASSERT_EQ(r["rejects"].size(), 1u);
  EXPECT_NE(r["rejects"][0]["reason"].get<std::string>().find("Put the file back"),
            std::string::npos);
  // Put back, it is a new arrival and is read.
  fs::rename(w.root / "moved-away-by-hand.xml", f);
  EXPECT_EQ(ReadAll(*c, "pupil", r["next_cursor"])["records"].size(), 5u);
}

TEST(CtfLedger, NoFileIsEverDeleted) {
  Workspace w;
  w.Drop(kPrimary);
  w.Drop(kSecondary);
  w.Drop("broken/truncated.xml");
  w.Drop("broken/bad_upn.xml");
  w.Drop(kPrimary, "again.xml");
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  json first = ReadAll(*c, "pupil");
  ReadAll(*c, "sen", first["next_cursor"]);
  std::vector<std::string> files = FilesUnder(w.drop);
  size_t xml = std::count_if(files.begin(), files.end(), [](const std::string& f) {
    return f.size() > 4 && f.substr(f.size() - 4) == ".xml";
  });
  EXPECT_EQ(xml, 5u) << testing::PrintToString(files);
  EXPECT_TRUE(FilesUnder(w.drop).size() >= 7u) << "plus the reason file and the note";
}

TEST(CtfDiscover, ListsFilesWithTheirStateAndHeader) {
  Workspace w;
  w.Drop(kPrimary);
  w.Drop("broken/truncated.xml");
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  auto before = c->Call("discover", "{}");
  ASSERT_EQ(before.status, 0) << before.body;
  EXPECT_EQ(json::parse(before.body)["items"].size(), 2u);
  ReadAll(*c, "pupil");
  json items = json::parse(c->Call("discover", "{}").body)["items"];
  ASSERT_EQ(items.size(), 2u);
  for (const json& i : items) {
    if (i["file"] == "truncated.xml") {
      EXPECT_EQ(i["state"], "refused");
    } else {
      EXPECT_EQ(i["state"], "accepted");
      EXPECT_EQ(i["pupils"], 5);
      EXPECT_EQ(i["header"]["source"]["estab"], "1234");
      EXPECT_EQ(i["header"]["version"], "25.0");
    }
  }
}

}  // namespace
