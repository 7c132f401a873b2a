// Writing bulk-import files: layout, quoting, idempotency per key, the ledger's crash safety, and
// round trips through the reader.
#include <gtest/gtest.h>

#include "csv_test_util.h"
#include "ledger.h"

namespace {

using namespace csvtest;
using sendsync::sdk::Change;
using sendsync::sdk::WriteRequest;
using sendsync::sdk::WriteResult;

json SenSource(const std::string& out) {
  return {{"name", "sen-import"},
          {"kind", "sen"},
          {"columns",
           {{"upn", "UPN"},
            {"legal_surname", "Surname"},
            {"legal_forename", "Forename"},
            {"provision", "SEN Status"},
            {"provision_start", "SEN Start"},
            {"need1", "Primary Need"},
            {"need2", "Secondary Need"}}},
          {"write", {{"out_folder", out}, {"file_name", "{kind}-{date}-{seq}.csv"}}}};
}

json Config(json source) {
  return {{"sources", json::array({std::move(source)})}};
}

json PupilContext(const std::string& upn, const std::string& surname, const std::string& forename) {
  return {{"pupil", {{"upn", upn}, {"legal_surname", surname}, {"legal_forename", forename}}}};
}

Change SenChange(const std::string& key, const std::string& upn, const std::string& provision,
                 json needs, const std::string& surname = "Ahmed") {
  Change c;
  c.key = key;
  c.op = "upsert";
  c.record = {
      {"kind", "sen"}, {"pupil", {{"upn", upn}}}, {"provision", provision}, {"needs", needs}};
  c.context = PupilContext(upn, surname, "Yusuf");
  return c;
}

WriteResult Write(sendsync::csv::CsvAdapter& a, const std::string& kind,
                  std::vector<Change> changes, sendsync::Status* status = nullptr) {
  WriteResult r;
  sendsync::Status st = a.Write(WriteRequest{kind, std::move(changes)}, r);
  if (status)
    *status = st;
  else
    EXPECT_TRUE(st.ok()) << st.ToString();
  return r;
}

TEST(CsvWrite, ChangesOfOneCallBecomeOneImportFileWithAHeader) {
  TempDir dir;
  auto o = Open(Config(SenSource(dir / "out")));
  Change a = SenChange("k1", "B801200005001", "K", {{{"type", "SLCN"}, {"rank", 1}}});
  a.record["provision_start"] = "2023-09-04";
  Change b =
      SenChange("k2", "N801200023002", "E",
                {{{"type", "ASD"}, {"rank", 1}}, {{"type", "SLCN"}, {"rank", 2}}}, "O'Neil, Jr");
  WriteResult r = Write(o->adapter, "sen", {a, b});
  ASSERT_EQ(r.results.size(), 2u);
  EXPECT_EQ(r.results[0].result, "applied");
  EXPECT_EQ(r.results[0].remote_id, "B801200005001") << "a later read identifies it by UPN";
  std::vector<std::string> files = FilesIn(dir.path() / "out", ".csv");
  ASSERT_EQ(files.size(), 1u);
  EXPECT_NE(files[0].find("sen-"), std::string::npos);
  EXPECT_NE(files[0].find("-001.csv"), std::string::npos);
  EXPECT_EQ(ReadFile(files[0]),
            "UPN,Surname,Forename,SEN Status,SEN Start,Primary Need,Secondary Need\r\n"
            "B801200005001,Ahmed,Yusuf,K,04/09/2023,SLCN,\r\n"
            "N801200023002,\"O'Neil, Jr\",Yusuf,E,,ASD,SLCN\r\n");
}

TEST(CsvWrite, RepeatedKeyIsAppliedOnceWithTheSameRemoteId) {
  TempDir dir;
  auto o = Open(Config(SenSource(dir / "out")));
  Change a = SenChange("k1", "B801200005001", "K", json::array());
  WriteResult first = Write(o->adapter, "sen", {a});
  WriteResult second = Write(o->adapter, "sen", {a});
  EXPECT_EQ(second.results[0].result, "applied");
  EXPECT_EQ(second.results[0].remote_id, first.results[0].remote_id);
  EXPECT_EQ(FilesIn(dir.path() / "out", ".csv").size(), 1u) << "nothing new was written";
}

TEST(CsvWrite, SameKeyTwiceInOneCallIsWrittenOnce) {
  TempDir dir;
  auto o = Open(Config(SenSource(dir / "out")));
  Change a = SenChange("k1", "B801200005001", "K", json::array());
  WriteResult r = Write(o->adapter, "sen", {a, a});
  EXPECT_EQ(r.results.size(), 1u);
  std::string text = ReadFile(FilesIn(dir.path() / "out", ".csv").at(0));
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << text;
}

TEST(CsvWrite, LedgerRemembersKeysAcrossInstances) {
  TempDir dir;
  Change a = SenChange("k1", "B801200005001", "K", json::array());
  {
    auto o = Open(Config(SenSource(dir / "out")));
    Write(o->adapter, "sen", {a});
  }
  auto again = Open(Config(SenSource(dir / "out")));
  WriteResult r = Write(again->adapter, "sen", {a});
  EXPECT_EQ(r.results[0].result, "applied");
  EXPECT_EQ(r.results[0].remote_id, "B801200005001");
  EXPECT_EQ(FilesIn(dir.path() / "out", ".csv").size(), 1u);
}

TEST(CsvWrite, KeysOfAFileThatNeverAppearedAreWrittenAgain) {
  TempDir dir;
  // A crash after the ledger's pending lines but before the file was put in place.
  sendsync::csv::Ledger ledger(dir / "out");
  ASSERT_TRUE(ledger.Load().ok());
  ASSERT_TRUE(ledger.Begin("b1", "sen-lost.csv", {{"k1", "B801200005001"}}).ok());
  auto o = Open(Config(SenSource(dir / "out")));
  Change a = SenChange("k1", "B801200005001", "K", json::array());
  WriteResult r = Write(o->adapter, "sen", {a});
  EXPECT_EQ(r.results[0].result, "applied");
  EXPECT_EQ(FilesIn(dir.path() / "out", ".csv").size(), 1u) << "the change was written this time";
}

TEST(CsvWrite, KeysOfAFileInPlaceWithoutItsCommitLineCountAsApplied) {
  TempDir dir;
  // A crash after the file was renamed into place but before the commit line.
  sendsync::csv::Ledger ledger(dir / "out");
  ASSERT_TRUE(ledger.Begin("b1", "sen-done.csv", {{"k1", "B801200005001"}}).ok());
  WriteFile(dir / "out/sen-done.csv", "UPN\r\nB801200005001\r\n");
  auto o = Open(Config(SenSource(dir / "out")));
  WriteResult r = Write(o->adapter, "sen", {SenChange("k1", "B801200005001", "K", json::array())});
  EXPECT_EQ(r.results[0].result, "applied");
  EXPECT_EQ(FilesIn(dir.path() / "out", ".csv").size(), 1u);
  // Once repaired, the key stays applied even after the importer removes the file.
  std::filesystem::remove(dir / "out/sen-done.csv");
  auto later = Open(Config(SenSource(dir / "out")));
  Write(later->adapter, "sen", {SenChange("k1", "B801200005001", "K", json::array())});
  EXPECT_TRUE(FilesIn(dir.path() / "out", ".csv").empty());
}

TEST(CsvWrite, FileNamesAreNeverReusedEvenAfterTheImporterRemovesAFile) {
  TempDir dir;
  json src = SenSource(dir / "out");
  src["write"]["file_name"] = "sen-import.csv";
  auto o = Open(Config(src));
  Write(o->adapter, "sen", {SenChange("k1", "B801200005001", "K", json::array())});
  Write(o->adapter, "sen", {SenChange("k2", "N801200023002", "K", json::array())});
  EXPECT_EQ(FilesIn(dir.path() / "out", ".csv"),
            (std::vector<std::string>{dir / "out/sen-import-2.csv", dir / "out/sen-import.csv"}));
  std::filesystem::remove(dir / "out/sen-import.csv");
  Write(o->adapter, "sen", {SenChange("k3", "C801200023003", "K", json::array())});
  EXPECT_TRUE(std::filesystem::exists(dir / "out/sen-import-3.csv"));
  EXPECT_FALSE(std::filesystem::exists(dir / "out/sen-import.csv"));
}

TEST(CsvWrite, InvalidRecordIsRejectedWithTheReasonAndTheOthersApplied) {
  TempDir dir;
  auto o = Open(Config(SenSource(dir / "out")));
  Change bad = SenChange("bad", "B801200005001", "K", json::array());
  bad.record.erase("provision");
  Change good = SenChange("good", "N801200023002", "K", json::array());
  WriteResult r = Write(o->adapter, "sen", {bad, good});
  ASSERT_EQ(r.results.size(), 2u);
  EXPECT_EQ(r.results[0].result, "rejected");
  EXPECT_NE(r.results[0].reason.find("provision"), std::string::npos) << r.results[0].reason;
  EXPECT_EQ(r.results[1].result, "applied");
  std::string text = ReadFile(FilesIn(dir.path() / "out", ".csv").at(0));
  EXPECT_EQ(text.find("B801200005001"), std::string::npos);
}

TEST(CsvWrite, ChangeNamingNoPupilIsRejected) {
  TempDir dir;
  auto o = Open(Config(SenSource(dir / "out")));
  Change c = SenChange("k", "B801200005001", "K", json::array());
  c.record["pupil"] = {{"id", "P1"}};  // an id, but the file only has a UPN column
  c.context = nullptr;
  WriteResult r = Write(o->adapter, "sen", {c});
  EXPECT_EQ(r.results[0].result, "rejected");
  EXPECT_NE(r.results[0].reason.find("names no pupil"), std::string::npos);
}

TEST(CsvWrite, DeleteNeedsAnActionColumn) {
  TempDir dir;
  auto o = Open(Config(SenSource(dir / "out")));
  Change del;
  del.key = "d1";
  del.op = "delete";
  del.record = {{"kind", "sen"}, {"pupil", {{"upn", "B801200005001"}}}};
  WriteResult r = Write(o->adapter, "sen", {del});
  EXPECT_EQ(r.results[0].result, "rejected");
  EXPECT_NE(r.results[0].reason.find("write.action"), std::string::npos);

  json src = SenSource(dir / "out2");
  src["write"]["action"] = {{"column", "Action"}, {"upsert", "Update"}, {"delete", "Remove"}};
  auto with_action = Open(Config(src));
  Change up = SenChange("u1", "N801200023002", "K", {{{"type", "MLD"}, {"rank", 1}}});
  r = Write(with_action->adapter, "sen", {del, up});
  EXPECT_EQ(r.results[0].result, "applied");
  EXPECT_EQ(ReadFile(FilesIn(dir.path() / "out2", ".csv").at(0)),
            "UPN,Surname,Forename,SEN Status,SEN Start,Primary Need,Secondary Need,Action\r\n"
            "B801200005001,,,,,,,Remove\r\n"
            "N801200023002,Ahmed,Yusuf,K,,MLD,,Update\r\n");
}

TEST(CsvWrite, BomLineEndingsAndColumnOrderAsConfigured) {
  TempDir dir;
  json src = SenSource(dir / "out");
  src["write"]["bom"] = true;
  src["write"]["line_ending"] = "lf";
  src["write"]["column_order"] = {"SEN Status", "UPN", "Importer Notes"};
  auto o = Open(Config(src));
  Write(o->adapter, "sen",
        {SenChange("k1", "B801200005001", "K", {{{"type", "SLCN"}, {"rank", 1}}})});
  EXPECT_EQ(ReadFile(FilesIn(dir.path() / "out", ".csv").at(0)),
            "\xEF\xBB\xBFSEN Status,UPN,Importer Notes,Surname,Forename,SEN Start,Primary Need,"
            "Secondary Need\nK,B801200005001,,Ahmed,Yusuf,,SLCN,\n");
}

TEST(CsvWrite, WithoutHeaderCellsGoToTheirColumnNumbers) {
  TempDir dir;
  json src = {{"kind", "sen"},
              {"header", false},
              {"columns", {{"upn", 1}, {"provision", 3}, {"need1", 4}}},
              {"write", {{"out_folder", dir / "out"}}}};
  auto o = Open(Config(src));
  Write(o->adapter, "sen",
        {SenChange("k1", "B801200005001", "K", {{{"type", "SLCN"}, {"rank", 1}}})});
  EXPECT_EQ(ReadFile(FilesIn(dir.path() / "out", ".csv").at(0)), "B801200005001,,K,SLCN\r\n");
}

TEST(CsvWrite, KindsNotConfiguredOrNotWritableAreRefused) {
  TempDir dir;
  auto o = Open(Config(SenSource(dir / "out")));
  sendsync::Status st;
  Write(o->adapter, "review", {}, &st);
  EXPECT_NE(st.message().find("no source"), std::string::npos) << st.message();
  Write(o->adapter, "pupil", {}, &st);
  EXPECT_NE(st.message().find("does not write 'pupil'"), std::string::npos) << st.message();
}

json ReviewSource(const std::string& path, const std::string& out) {
  return {{"name", "reviews"},
          {"kind", "review"},
          {"path", path},
          {"columns",
           {{"id", "Review ID"},
            {"upn", "UPN"},
            {"legal_surname", "Surname"},
            {"date", "Review Date"},
            {"review_kind", "Review Type"},
            {"parents_met", "Parents Met"},
            {"pupil_voice", "Pupil Views"},
            {"decision", "Decision"},
            {"next_review", "Next Review"}}},
          {"write", {{"out_folder", out}, {"true_text", "Yes"}, {"false_text", "No"}}}};
}

TEST(CsvWrite, ReviewRoundTripKeepsTextThatNeedsQuoting) {
  TempDir dir;
  auto writer = Open(Config(ReviewSource(dir / "unused.csv", dir / "out")));
  json review = {{"kind", "review"},
                 {"id", "R-77"},
                 {"pupil", {{"upn", "B801200005001"}}},
                 {"date", "2025-03-18"},
                 {"review_kind", "sen_support"},
                 {"parents_met", true},
                 {"pupil_voice", "I like \"Talk Boost\", it helps.\nMore please"},
                 {"decision", "continue"},
                 {"next_review", "2025-06-24"}};
  Change c;
  c.key = "rv1";
  c.op = "upsert";
  c.record = review;
  c.context = PupilContext("B801200005001", "Ahmed", "Yusuf");
  WriteResult r = Write(writer->adapter, "review", {c});
  ASSERT_EQ(r.results[0].result, "applied") << r.results[0].reason;
  EXPECT_EQ(r.results[0].remote_id, "R-77");
  std::string file = FilesIn(dir.path() / "out", ".csv").at(0);
  EXPECT_NE(ReadFile(file).find(",Yes,"), std::string::npos);
  EXPECT_NE(ReadFile(file).find("18/03/2025"), std::string::npos);

  auto reader = Open(Config(ReviewSource(file, dir / "out")));
  All back = ReadAll(reader->adapter, "review");
  ASSERT_EQ(back.records.size(), 1u);
  EXPECT_EQ(back.records[0], review);
}

TEST(CsvWrite, ProvisionRoundTripGivesTheDerivedIdAsRemoteId) {
  TempDir dir;
  json src = {{"name", "provision"},
              {"kind", "provision"},
              {"path", dir / "out/provision.csv"},
              {"columns",
               {{"pupil_id", "Pupil ID"},
                {"upn", "UPN"},
                {"intervention", "Intervention"},
                {"area", "Area"},
                {"wave", "Wave"},
                {"group_size", "Group Size"},
                {"sessions_per_week", "Sessions"},
                {"minutes_per_session", "Minutes"},
                {"staff_role", "Staff"},
                {"start", "Start"},
                {"end", "End"},
                {"hourly_rate", "Rate"},
                {"baseline_measure", "Baseline Measure"},
                {"baseline_value", "Baseline"},
                {"target_ids", "Targets"}}},
              {"id_from", {"upn", "intervention", "start"}},
              {"write", {{"out_folder", dir / "out"}, {"file_name", "provision.csv"}}}};
  auto o = Open(Config(src));
  json rec = {{"kind", "provision"},
              {"id", "hub-123"},
              {"pupil", {{"id", "001234"}, {"upn", "B801200005001"}}},
              {"area", "CI"},
              {"intervention", "Talk Boost"},
              {"wave", 2},
              {"group_size", 4},
              {"sessions_per_week", 1.5},
              {"minutes_per_session", 30},
              {"staff_role", "TA"},
              {"start", "2024-09-09"},
              {"end", "2024-12-13"},
              {"hourly_rate", 18.5},
              {"baseline", {{"measure", "reading age (months)"}, {"value", "84"}}},
              {"target_ids", {"T1", "T2"}}};
  Change c;
  c.key = "p1";
  c.op = "upsert";
  c.record = rec;
  WriteResult r = Write(o->adapter, "provision", {c});
  ASSERT_EQ(r.results[0].result, "applied") << r.results[0].reason;
  EXPECT_NE(ReadFile(dir / "out/provision.csv").find(",18.50,"), std::string::npos);
  All back = ReadAll(o->adapter, "provision");
  ASSERT_EQ(back.records.size(), 1u);
  json expected = rec;
  expected["id"] = r.results[0].remote_id;
  EXPECT_EQ(back.records[0], expected);
  EXPECT_EQ(r.results[0].remote_id.rfind("csv-", 0), 0u);
}

TEST(CsvWrite, RollSourceWritesSenWithPupilColumnsFromContext) {
  TempDir dir;
  json src = {{"name", "roll"},
              {"kind", {"pupil", "sen"}},
              {"path", dir / "exports/roll.csv"},
              {"columns",
               {{"pupil_id", "Adno"},
                {"upn", "UPN"},
                {"legal_surname", "Legal Surname"},
                {"legal_forename", "Legal Forename"},
                {"dob", "DOB"},
                {"sex", "Gender"},
                {"provision", "SEN Status"},
                {"need1", "Primary Need"},
                {"need2", "Secondary Need"}}},
              {"write", {{"out_folder", dir / "imports"}}}};
  auto o = Open(Config(src));
  Change c = SenChange("k1", "B801200005001", "SEN Support", {{{"type", "SLCN"}, {"rank", 1}}});
  c.record["pupil"]["id"] = "001234";
  c.context["pupil"]["dob"] = "2014-03-02";
  c.context["pupil"]["sex"] = "M";
  WriteResult r = Write(o->adapter, "sen", {c});
  EXPECT_EQ(r.results[0].remote_id, "001234");
  EXPECT_EQ(
      ReadFile(FilesIn(dir.path() / "imports", ".csv").at(0)),
      "Adno,UPN,Legal Surname,Legal Forename,DOB,Gender,SEN Status,Primary Need,Secondary Need\r\n"
      "001234,B801200005001,Ahmed,Yusuf,02/03/2014,M,SEN Support,SLCN,\r\n");
}

TEST(CsvWrite, UnwritableOutFolderAsksForARetry) {
  TempDir dir;
  WriteFile(dir / "blocker", "a file where the out folder should be");
  json src = SenSource(dir / "blocker/out");
  auto o = Open(Config(src));
  WriteResult r = Write(o->adapter, "sen", {SenChange("k1", "B801200005001", "K", json::array())});
  EXPECT_EQ(r.results[0].result, "retry");
  EXPECT_NE(o->adapter.Check().code(), sendsync::Status::Code::kOk);
}

}  // namespace
