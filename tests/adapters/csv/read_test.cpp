// Reading exports through the adapter: the fixtures as an MIS writes them, row-level rejects that
// name row and column while good rows flow, and paging.
#include <gtest/gtest.h>

#include "csv_test_util.h"

namespace {

using namespace csvtest;

json RollSource(const std::string& path) {
  return {{"name", "roll"},
          {"kind", {"pupil", "sen"}},
          {"path", path},
          {"columns",
           {{"pupil_id", "Adno"},
            {"upn", "UPN"},
            {"legal_surname", "Legal Surname"},
            {"legal_forename", "Legal Forename"},
            {"preferred_forename", "Preferred Forename"},
            {"dob", "DOB"},
            {"sex", "Gender"},
            {"nc_year", "Year"},
            {"provision", "SEN Status"},
            {"provision_start", "SEN Start Date"},
            {"need1", "Primary Need"},
            {"need2", "Secondary Need"}}}};
}

json ProvisionSource(const std::string& path) {
  return {{"name", "provision"},
          {"kind", "provision"},
          {"path", path},
          {"columns",
           {{"pupil_id", "Pupil ID"},
            {"upn", "UPN"},
            {"intervention", "Intervention"},
            {"area", "Area of Need"},
            {"wave", "Wave"},
            {"group_size", "Group Size"},
            {"sessions_per_week", "Sessions per Week"},
            {"minutes_per_session", "Minutes per Session"},
            {"staff_role", "Staff"},
            {"start", "Start Date"},
            {"end", "End Date"},
            {"hourly_rate", "Hourly Rate"}}},
          {"id_from", {"upn", "intervention", "start"}}};
}

json ReviewSource(const std::string& path) {
  return {{"name", "reviews"},
          {"kind", "review"},
          {"path", path},
          {"date_format", "yyyy-mm-dd"},
          {"columns",
           {{"id", "Review ID"},
            {"upn", "UPN"},
            {"date", "Review Date"},
            {"review_kind", "Review Type"},
            {"parents_met", "Parents Attended"},
            {"decision", "Outcome"},
            {"next_review", "Next Review"},
            {"pupil_voice", "Pupil Views"},
            {"parent_voice", "Parent Views"}}}};
}

json Config(json source) {
  return {{"sources", json::array({std::move(source)})}};
}

TEST(CsvRead, RollExportGivesPupilAndSenRecordsFromTheSameRows) {
  TempDir dir;
  WriteFile(dir / "roll.csv", Fixture("roll_sims.csv"));
  auto o = Open(Config(RollSource(dir / "roll.csv")));
  ASSERT_TRUE(o);
  All pupils = ReadAll(o->adapter, "pupil");
  All sen = ReadAll(o->adapter, "sen");
  EXPECT_EQ(pupils.records.size(), 7u);
  EXPECT_EQ(pupils.rejects.size(), 1u);
  EXPECT_EQ(sen.records.size(), 8u) << "the pupil's bad date does not stop its SEN record";
  EXPECT_TRUE(sen.rejects.empty());
  json grace = FindByUpn(pupils.records, "N801200023002");
  EXPECT_EQ(grace["legal_surname"], "O'Neil");
  EXPECT_EQ(grace["preferred_forename"], "Gracie");
  EXPECT_EQ(grace["dob"], "2013-11-17");
  EXPECT_EQ(grace["nc_year"], "6");
  json zoe = FindByUpn(pupils.records, "C801200023003");
  EXPECT_EQ(zoe["legal_forename"], "Zo\xC3\xAB") << "UTF-8 names survive";
  json yusuf = FindByUpn(sen.records, "B801200005001");
  EXPECT_EQ(yusuf["provision"], "SEN Support") << "local wording is left for the code maps";
  EXPECT_EQ(yusuf["needs"][0]["type"], "Speech, Language and Communication Needs");
  EXPECT_EQ(yusuf["provision_start"], "2023-09-04");
}

TEST(CsvRead, BrokenRowIsRejectedNamingFileRowAndColumnWhileGoodRowsFlow) {
  TempDir dir;
  WriteFile(dir / "roll.csv", Fixture("roll_sims.csv"));
  auto o = Open(Config(RollSource(dir / "roll.csv")));
  All pupils = ReadAll(o->adapter, "pupil");
  ASSERT_EQ(pupils.rejects.size(), 1u);
  const auto& r = pupils.rejects[0];
  EXPECT_EQ(r.where, "roll.csv row 5 (line 6)");
  EXPECT_EQ(r.reason, "column 'DOB': '31/02/2014' is not a date in the format dd/mm/yyyy");
  EXPECT_EQ(r.id, "001238");
  EXPECT_EQ(r.raw.rfind("001238,F801200023005,Smith,Jack", 0), 0u) << r.raw;
  EXPECT_TRUE(FindByUpn(pupils.records, "V801200023006").is_object()) << "rows after it still flow";
}

TEST(CsvRead, BomAndCrLfMakeNoDifference) {
  TempDir dir;
  std::string crlf_bom = Fixture("roll_sims.csv");
  std::string plain = crlf_bom.substr(3);
  for (size_t at; (at = plain.find("\r\n")) != std::string::npos;) plain.erase(at, 1);
  plain.pop_back();  // and no final line break
  WriteFile(dir / "a/roll.csv", crlf_bom);
  WriteFile(dir / "b/roll.csv", plain);
  auto a = Open(Config(RollSource(dir / "a/roll.csv")));
  auto b = Open(Config(RollSource(dir / "b/roll.csv")));
  All ra = ReadAll(a->adapter, "pupil"), rb = ReadAll(b->adapter, "pupil");
  EXPECT_EQ(ra.records, rb.records);
  ASSERT_EQ(rb.rejects.size(), 1u);
  EXPECT_EQ(rb.rejects[0].where, ra.rejects[0].where);
}

TEST(CsvRead, ProvisionMapExport) {
  TempDir dir;
  WriteFile(dir / "provision_map.csv", Fixture("provision_map.csv"));
  auto o = Open(Config(ProvisionSource(dir / "provision_map.csv")));
  All all = ReadAll(o->adapter, "provision");
  EXPECT_EQ(all.records.size(), 5u);
  json talk = Find(all.records, "intervention", "Talk Boost");
  ASSERT_TRUE(talk.is_object());
  EXPECT_EQ(talk["pupil"], json({{"id", "001234"}, {"upn", "B801200005001"}}));
  EXPECT_EQ(talk["wave"], 2);
  EXPECT_EQ(talk["group_size"], 4);
  EXPECT_EQ(talk["sessions_per_week"], 3.0);
  EXPECT_EQ(talk["minutes_per_session"], 30);
  EXPECT_EQ(talk["hourly_rate"], 18.5);
  EXPECT_EQ(talk["start"], "2024-09-09");
  EXPECT_EQ(talk["end"], "2024-12-13");
  EXPECT_EQ(talk["area"], "Communication and Interaction");
  EXPECT_EQ(talk["id"].get<std::string>().rfind("csv-", 0), 0u);
  ASSERT_EQ(all.rejects.size(), 1u);
  // The row before it spans two physical lines (a note with a line break), so row 4 is line 6.
  EXPECT_EQ(all.rejects[0].where, "provision_map.csv row 4 (line 6)");
  EXPECT_EQ(all.rejects[0].reason,
            "column 'Wave': 'Two' is not a whole number; column 'Start Date': '31/09/2024' is not "
            "a date in the format dd/mm/yyyy");
  EXPECT_EQ(all.rejects[0].id, "") << "its id is made from the start date, which is unreadable";
}

TEST(CsvRead, ProvisionMapLetterToParentsColumn) {
  TempDir dir;
  WriteFile(dir / "provision_map.csv",
            "Pupil ID,UPN,Intervention,Area of Need,Wave,Sessions per Week,Minutes per Session,"
            "Start Date,Letter Home\r\n"
            "001234,B801200005001,Talk Boost,CI,2,3,30,09/09/2024,06/09/2024\r\n"
            "001235,N801200023002,Lego therapy,SEMH,2,1,45,16/09/2024,\r\n"
            "001237,R801200023004,Precision Teaching,CL,2,5,10,04/11/2024,sent\r\n");
  json source = ProvisionSource(dir / "provision_map.csv");
  for (const char* unused : {"group_size", "staff_role", "end", "hourly_rate"})
    source["columns"].erase(unused);
  source["columns"]["parents_letter"] = "Letter Home";
  auto o = Open(Config(source));
  ASSERT_TRUE(o);
  All all = ReadAll(o->adapter, "provision");
  ASSERT_EQ(all.records.size(), 2u);
  EXPECT_EQ(Find(all.records, "intervention", "Talk Boost")["parents_letter"], "2024-09-06");
  EXPECT_FALSE(Find(all.records, "intervention", "Lego therapy").contains("parents_letter"))
      << "an empty cell is no letter on record";
  ASSERT_EQ(all.rejects.size(), 1u);
  EXPECT_NE(all.rejects[0].reason.find("column 'Letter Home': 'sent' is not a date"),
            std::string::npos)
      << all.rejects[0].reason;
}

TEST(CsvRead, ReviewExport) {
  TempDir dir;
  WriteFile(dir / "reviews.csv", Fixture("reviews.csv"));
  auto o = Open(Config(ReviewSource(dir / "reviews.csv")));
  All all = ReadAll(o->adapter, "review");
  ASSERT_EQ(all.records.size(), 3u);
  json r1 = Find(all.records, "id", "R-1001");
  EXPECT_EQ(r1["date"], "2024-12-10");
  EXPECT_EQ(r1["parents_met"], true);
  EXPECT_EQ(r1["next_review"], "2025-03-18");
  EXPECT_EQ(r1["review_kind"], "SEN Support review");
  EXPECT_EQ(r1["pupil_voice"], "Likes the group, wants more turns");
  EXPECT_EQ(Find(all.records, "id", "R-1004")["parents_met"], false);
  EXPECT_FALSE(Find(all.records, "id", "R-1004").contains("next_review"));
  ASSERT_EQ(all.rejects.size(), 1u);
  EXPECT_EQ(all.rejects[0].where, "reviews.csv row 3 (line 4)");
  EXPECT_EQ(all.rejects[0].reason,
            "column 'Parents Attended': 'Maybe' is not yes or no (Y/N, Yes/No, TRUE/FALSE, 1/0)");
  EXPECT_EQ(all.rejects[0].id, "R-1003");
}

TEST(CsvRead, PagesWithTheLimitAndResumesWhereItStopped) {
  TempDir dir;
  WriteFile(dir / "roll.csv", Fixture("roll_sims.csv"));
  auto o = Open(Config(RollSource(dir / "roll.csv")));
  All whole = ReadAll(o->adapter, "sen");
  All paged = ReadAll(o->adapter, "sen", "", 3);
  EXPECT_EQ(paged.records, whole.records);
  EXPECT_EQ(paged.pages, 3);
  sendsync::sdk::ReadResult first = ReadPage(o->adapter, "sen", "", 3);
  EXPECT_EQ(first.records.size(), 3u);
  EXPECT_TRUE(first.more);
}

TEST(CsvRead, RejectsCountTowardsTheLimit) {
  TempDir dir;
  WriteFile(dir / "roll.csv", Fixture("roll_sims.csv"));
  auto o = Open(Config(RollSource(dir / "roll.csv")));
  sendsync::sdk::ReadResult page = ReadPage(o->adapter, "pupil", "", 5);
  EXPECT_EQ(page.records.size() + page.rejects.size(), 5u);
}

TEST(CsvRead, SameCursorGivesSameRecordsAndNextCursor) {
  TempDir dir;
  WriteFile(dir / "roll.csv", Fixture("roll_sims.csv"));
  auto o = Open(Config(RollSource(dir / "roll.csv")));
  sendsync::sdk::ReadResult p1 = ReadPage(o->adapter, "pupil", "", 3);
  sendsync::sdk::ReadResult a = ReadPage(o->adapter, "pupil", p1.next_cursor, 3);
  sendsync::sdk::ReadResult b = ReadPage(o->adapter, "pupil", p1.next_cursor, 3);
  EXPECT_EQ(a.records, b.records);
  EXPECT_EQ(a.next_cursor, b.next_cursor);
  EXPECT_NE(a.next_cursor, p1.next_cursor);
}

TEST(CsvRead, InvalidUtf8RowIsRejectedNamingTheColumn) {
  TempDir dir;
  std::string text = Fixture("roll_sims.csv");
  size_t at = text.find("Zo\xC3\xAB");
  text.replace(at, 4, "Zo\xEB");  // saved as Windows-1252 by hand
  WriteFile(dir / "roll.csv", text);
  auto o = Open(Config(RollSource(dir / "roll.csv")));
  All sen = ReadAll(o->adapter, "sen");
  ASSERT_EQ(sen.rejects.size(), 1u);
  EXPECT_EQ(sen.rejects[0].where, "roll.csv row 3 (line 4)");
  EXPECT_NE(sen.rejects[0].reason.find("column 'Legal Forename': not valid UTF-8"),
            std::string::npos)
      << sen.rejects[0].reason;
  EXPECT_EQ(sen.records.size(), 7u);
}

TEST(CsvRead, Utf16ExportIsRefusedSayingSo) {
  TempDir dir;
  WriteFile(dir / "roll.csv", std::string("\xFF\xFE"
                                          "A\0d\0n\0o\0",
                                          10));
  auto o = Open(Config(RollSource(dir / "roll.csv")));
  sendsync::Status st;
  ReadPage(o->adapter, "pupil", "", 50, &st);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("roll.csv"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("UTF-16"), std::string::npos) << st.message();
}

TEST(CsvRead, HeaderWithoutAMappedColumnFailsTheReadNamingIt) {
  TempDir dir;
  std::string text = Fixture("roll_sims.csv");
  text.replace(text.find("Primary Need"), 12, "Need One");
  WriteFile(dir / "roll.csv", text);
  auto o = Open(Config(RollSource(dir / "roll.csv")));
  sendsync::Status st;
  ReadPage(o->adapter, "sen", "", 50, &st);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), sendsync::Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("no column 'Primary Need'"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("sources[0].columns.need1"), std::string::npos);
}

TEST(CsvRead, FieldCountMismatchRejectsTheRow) {
  TempDir dir;
  WriteFile(dir / "reviews.csv",
            "Review ID,UPN,Review Date,Review Type\r\n"
            "R-1,B801200005001,2024-12-10,Annual review\r\n"
            "R-2,N801200023002,2024-12-11\r\n"
            "R-3,C801200023003,2024-12-12,Annual review,surprise\r\n"
            "R-4,R801200023004,2024-12-13,Annual review,,\r\n");
  json src = ReviewSource(dir / "reviews.csv");
  src["columns"] = {
      {"id", "Review ID"}, {"upn", "UPN"}, {"date", "Review Date"}, {"review_kind", "Review Type"}};
  auto o = Open(Config(src));
  All all = ReadAll(o->adapter, "review");
  EXPECT_EQ(all.records.size(), 2u) << "R-1, and R-4 whose extra fields are empty";
  ASSERT_EQ(all.rejects.size(), 2u);
  EXPECT_EQ(all.rejects[0].where, "reviews.csv row 2 (line 3)");
  EXPECT_EQ(
      all.rejects[0].reason,
      "the row has 3 fields but the header has 4 (is a field missing, or the row cut short?)");
  EXPECT_EQ(all.rejects[1].where, "reviews.csv row 3 (line 4)");
  EXPECT_NE(all.rejects[1].reason.find("5 fields"), std::string::npos);
}

TEST(CsvRead, BlankRowsAreSkippedButCounted) {
  TempDir dir;
  WriteFile(dir / "reviews.csv",
            "Review ID,UPN,Review Date,Review Type\n\n,,,\nR-1,B801200005001,2024-12-10,x\n"
            "R-2,B801200005001,2024-13-10,x\n\n");
  json src = ReviewSource(dir / "reviews.csv");
  src["columns"] = {
      {"id", "Review ID"}, {"upn", "UPN"}, {"date", "Review Date"}, {"review_kind", "Review Type"}};
  auto o = Open(Config(src));
  All all = ReadAll(o->adapter, "review");
  EXPECT_EQ(all.records.size(), 1u);
  ASSERT_EQ(all.rejects.size(), 1u);
  EXPECT_EQ(all.rejects[0].where, "reviews.csv row 4 (line 5)");
}

TEST(CsvRead, SemicolonDelimitedExport) {
  TempDir dir;
  WriteFile(
      dir / "reviews.csv",
      "Review ID;UPN;Review Date;Review Type\r\nR-1;B801200005001;10/12/2024;\"Annual; EHC\"\r\n");
  json src = ReviewSource(dir / "reviews.csv");
  src["delimiter"] = ";";
  src["date_format"] = "dd/mm/yyyy";
  src["columns"] = {
      {"id", "Review ID"}, {"upn", "UPN"}, {"date", "Review Date"}, {"review_kind", "Review Type"}};
  auto o = Open(Config(src));
  All all = ReadAll(o->adapter, "review");
  ASSERT_EQ(all.records.size(), 1u);
  EXPECT_EQ(all.records[0]["review_kind"], "Annual; EHC");
  EXPECT_EQ(all.records[0]["date"], "2024-12-10");
}

TEST(CsvRead, DefaultsFillFieldsTheExportLacks) {
  TempDir dir;
  WriteFile(dir / "reviews.csv", "Review ID,UPN,Review Date\r\nR-1,B801200005001,2024-12-10\r\n");
  json src = ReviewSource(dir / "reviews.csv");
  src["columns"] = {{"id", "Review ID"}, {"upn", "UPN"}, {"date", "Review Date"}};
  src["defaults"] = {{"review_kind", "sen_support"}, {"parents_met", false}};
  auto o = Open(Config(src));
  All all = ReadAll(o->adapter, "review");
  ASSERT_EQ(all.records.size(), 1u);
  EXPECT_EQ(all.records[0]["review_kind"], "sen_support");
  EXPECT_EQ(all.records[0]["parents_met"], false);
}

TEST(CsvRead, TwoSourcesOfOneKindShareTheCursor) {
  TempDir dir;
  WriteFile(dir / "sims/roll.csv", Fixture("roll_sims.csv"));
  WriteFile(dir / "arbor/roll_arbor.csv", Fixture("roll_arbor.csv"));
  json arbor = {{"name", "arbor"},
                {"kind", "sen"},
                {"path", dir / "arbor/roll_arbor.csv"},
                {"date_format", "yyyy-mm-dd"},
                {"columns",
                 {{"pupil_id", "Student ID"},
                  {"upn", "UPN"},
                  {"provision", "SEN Status"},
                  {"need1", "Primary SEN Need"},
                  {"need2", "Secondary SEN Need"}}}};
  auto o = Open({{"sources", {RollSource(dir / "sims/roll.csv"), arbor}}});
  All whole = ReadAll(o->adapter, "sen");
  EXPECT_EQ(whole.records.size(), 11u);
  All paged = ReadAll(o->adapter, "sen", "", 4);
  EXPECT_EQ(paged.records, whole.records);
  EXPECT_NE(whole.cursor.find("|roll~"), std::string::npos);
  EXPECT_NE(whole.cursor.find("|arbor~"), std::string::npos);
  EXPECT_EQ(Find(whole.records, "id", "S-91")["needs"][1]["type"], "SLCN");
}

TEST(CsvRead, KindWithoutASourceReturnsNothing) {
  TempDir dir;
  WriteFile(dir / "roll.csv", Fixture("roll_sims.csv"));
  auto o = Open(Config(RollSource(dir / "roll.csv")));
  sendsync::sdk::ReadResult r = ReadPage(o->adapter, "review", "", 50);
  EXPECT_TRUE(r.records.empty());
  EXPECT_FALSE(r.more);
}

TEST(CsvRead, UnsupportedKindIsRefused) {
  TempDir dir;
  auto o = Open(Config(RollSource(dir / "roll.csv")));
  sendsync::Status st;
  ReadPage(o->adapter, "referral", "", 50, &st);
  EXPECT_EQ(st.code(), sendsync::Status::Code::kInvalidArgument);
}

TEST(CsvRead, CursorFromElsewhereIsRefused) {
  TempDir dir;
  WriteFile(dir / "roll.csv", Fixture("roll_sims.csv"));
  auto o = Open(Config(RollSource(dir / "roll.csv")));
  sendsync::Status st;
  ReadPage(o->adapter, "pupil", "v1:abc:12", 50, &st);
  EXPECT_EQ(st.code(), sendsync::Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("not made by the csv adapter"), std::string::npos);
}

TEST(CsvRead, ExportNotThereYetGivesNothing) {
  TempDir dir;
  auto o = Open(Config(RollSource(dir / "roll.csv")));
  sendsync::sdk::ReadResult r = ReadPage(o->adapter, "pupil", "", 50);
  EXPECT_TRUE(r.records.empty());
  EXPECT_FALSE(r.more);
}

TEST(CsvRead, UnreachableExportFolderIsTransient) {
  auto o = Open(Config(RollSource("/nonexistent/sendsync-share/roll.csv")));
  sendsync::Status st;
  ReadPage(o->adapter, "pupil", "", 50, &st);
  EXPECT_EQ(st.code(), sendsync::Status::Code::kUnavailable);
  EXPECT_NE(o->adapter.Check().code(), sendsync::Status::Code::kOk);
}

TEST(CsvRead, LargeExportPagesThroughEveryRow) {
  TempDir dir;
  std::string text = "Review ID,UPN,Review Date,Review Type,Pupil Views\r\n";
  const int n = 20000;
  for (int i = 0; i < n; ++i)
    text += "R-" + std::to_string(i) +
            ",B801200005001,2024-12-10,Annual review,\"said \"\"ok\"\", twice\"\r\n";
  WriteFile(dir / "reviews.csv", text);
  json src = ReviewSource(dir / "reviews.csv");
  src["columns"] = {{"id", "Review ID"},
                    {"upn", "UPN"},
                    {"date", "Review Date"},
                    {"review_kind", "Review Type"},
                    {"pupil_voice", "Pupil Views"}};
  auto o = Open(Config(src));
  All all = ReadAll(o->adapter, "review", "", 1000);
  ASSERT_EQ(all.records.size(), static_cast<size_t>(n));
  EXPECT_EQ(all.pages, n / 1000);
  EXPECT_EQ(all.records.back()["id"], "R-" + std::to_string(n - 1));
  EXPECT_EQ(all.records[7]["pupil_voice"], "said \"ok\", twice");
}

TEST(CsvRead, CancelledReadStopsAndAsksToBeRetried) {
  TempDir dir;
  std::string text = "Review ID,UPN,Review Date,Review Type\r\n";
  for (int i = 0; i < 5000; ++i)
    text += "R-" + std::to_string(i) + ",B801200005001,2024-12-10,x\r\n";
  WriteFile(dir / "reviews.csv", text);
  json src = ReviewSource(dir / "reviews.csv");
  src["columns"] = {
      {"id", "Review ID"}, {"upn", "UPN"}, {"date", "Review Date"}, {"review_kind", "Review Type"}};
  auto o = Open(Config(src));
  o->host.cancel = true;
  sendsync::Status st;
  ReadPage(o->adapter, "review", "", 500, &st);
  EXPECT_EQ(st.code(), sendsync::Status::Code::kCancelled);
  EXPECT_TRUE(st.transient());
}

TEST(CsvRead, DescribeAndDiscoverShowWhatIsConfiguredAndWaiting) {
  TempDir dir;
  WriteFile(dir / "roll.csv", Fixture("roll_sims.csv"));
  json write_only = {{"name", "sen-import"},
                     {"kind", "sen"},
                     {"columns", {{"upn", "UPN"}, {"provision", "SEN Status"}}},
                     {"write", {{"out_folder", dir / "out"}}}};
  auto o = Open({{"sources", {RollSource(dir / "roll.csv"), write_only}}});
  json d = *o->adapter.Describe();
  ASSERT_EQ(d["sources"].size(), 2u);
  EXPECT_EQ(d["sources"][0]["mode"], "snapshot");
  EXPECT_EQ(d["sources"][0]["date_format"], "dd/mm/yyyy");
  EXPECT_EQ(d["sources"][1]["writes"]["kind"], "sen");
  json items = *o->adapter.Discover();
  EXPECT_EQ(items[0]["current"]["file"], dir / "roll.csv");
  EXPECT_EQ(items[0]["current"]["bytes"], Fixture("roll_sims.csv").size());
  EXPECT_EQ(items[1]["writes"], "sen");
  EXPECT_TRUE(o->adapter.Check().ok()) << o->adapter.Check().ToString();
}

}  // namespace

// Home LA, EAL and first language (issue 20); the date parents were told and the key adult
// (issue 17): columns a roll export can carry, mapped like any other.
TEST(CsvRead, RollMapsHomeLaEalFirstLanguageParentsInformedAndKeyAdult) {
  TempDir dir;
  WriteFile(dir / "roll.csv",
            "Adno,UPN,Surname,Forename,DOB,Gender,SEN Status,Home LA,EAL,First Language,"
            "Parents Told,Key Adult\r\n"
            "A1,B801200005001,Ng,Ada,02/03/2014,F,K,821,Y,Polish,20/09/2024,Mrs Khan\r\n"
            "A2,C801200023003,Lee,Bo,05/06/2014,M,K,,N,,,\r\n");
  json source = {{"name", "roll"},
                 {"kind", {"pupil", "sen"}},
                 {"path", dir / "roll.csv"},
                 {"columns",
                  {{"pupil_id", "Adno"},
                   {"upn", "UPN"},
                   {"legal_surname", "Surname"},
                   {"legal_forename", "Forename"},
                   {"dob", "DOB"},
                   {"sex", "Gender"},
                   {"provision", "SEN Status"},
                   {"home_la", "Home LA"},
                   {"eal", "EAL"},
                   {"first_language", "First Language"},
                   {"parents_informed", "Parents Told"},
                   {"key_adult", "Key Adult"}}}};
  auto o = Open(Config(source));
  ASSERT_TRUE(o);
  All pupils = ReadAll(o->adapter, "pupil");
  All sen = ReadAll(o->adapter, "sen");
  ASSERT_TRUE(pupils.rejects.empty());
  ASSERT_TRUE(sen.rejects.empty());
  json ada = FindByUpn(pupils.records, "B801200005001");
  EXPECT_EQ(ada["home_la"], "821");
  EXPECT_EQ(ada["eal"], true);
  EXPECT_EQ(ada["first_language"], "Polish");
  json bo = FindByUpn(pupils.records, "C801200023003");
  EXPECT_EQ(bo["eal"], false);
  EXPECT_FALSE(bo.contains("home_la")) << "an empty cell is no value";
  json ada_sen = FindByUpn(sen.records, "B801200005001");
  EXPECT_EQ(ada_sen["parents_informed"], "2024-09-20");
  EXPECT_EQ(ada_sen["key_adult"], "Mrs Khan");
}
