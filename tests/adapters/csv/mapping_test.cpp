// The column mapping: binding to a file's header, and turning rows into canonical records, with
// every problem naming its column.
#include <gtest/gtest.h>

#include "config.h"
#include "csv_test_util.h"
#include "row_reader.h"
#include "sendsync/sdk/records.h"

namespace {

using nlohmann::json;
using sendsync::csv::CsvRecord;
using sendsync::csv::ParseConfig;
using sendsync::csv::RowReader;
using sendsync::csv::SourceSpec;

SourceSpec Source(const json& source) {
  auto c = ParseConfig({{"sources", {source}}});
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c->sources.at(0);
}

CsvRecord Row(std::vector<std::string> fields) {
  CsvRecord r;
  r.count = fields.size();
  r.fields = std::move(fields);
  return r;
}

const json kRoll = {{"kind", {"pupil", "sen"}},
                    {"path", "/x/roll.csv"},
                    {"columns",
                     {{"pupil_id", "Adno"},
                      {"upn", "UPN"},
                      {"legal_surname", "Legal Surname"},
                      {"legal_forename", "Legal Forename"},
                      {"dob", "DOB"},
                      {"sex", "Gender"},
                      {"provision", "SEN Status"},
                      {"local_status", "SEN Status"},
                      {"provision_start", "SEN Start Date"},
                      {"need1", "Primary Need"},
                      {"need2", "Secondary Need"}}}};
const std::vector<std::string> kRollHeader = {
    "Adno",   "UPN",        "Legal Surname",  "Legal Forename", "DOB",
    "Gender", "SEN Status", "SEN Start Date", "Primary Need",   "Secondary Need"};

RowReader BindRoll(const SourceSpec& s) {
  CsvRecord h = Row(kRollHeader);
  auto r = RowReader::Bind(s, &h);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return *r;
}

TEST(CsvMapping, HeaderIsMatchedTrimmedAndIgnoringCase) {
  SourceSpec s = Source(kRoll);
  std::vector<std::string> header = kRollHeader;
  header[1] = " upn ";
  CsvRecord h = Row(header);
  EXPECT_TRUE(RowReader::Bind(s, &h).ok());
}

TEST(CsvMapping, MissingHeaderColumnNamesTheConfigKeyAndListsTheColumns) {
  SourceSpec s = Source(kRoll);
  std::vector<std::string> header = kRollHeader;
  header[8] = "Need 1";
  CsvRecord h = Row(header);
  auto r = RowReader::Bind(s, &h);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no column 'Primary Need'"), std::string::npos);
  EXPECT_NE(r.status().message().find("sources[0].columns.need1"), std::string::npos);
  EXPECT_NE(r.status().message().find("'Need 1'"), std::string::npos) << r.status().message();
}

TEST(CsvMapping, AmbiguousHeaderIsRefused) {
  SourceSpec s = Source(kRoll);
  std::vector<std::string> header = kRollHeader;
  header.push_back("upn");
  CsvRecord h = Row(header);
  auto r = RowReader::Bind(s, &h);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("by column number"), std::string::npos);
}

TEST(CsvMapping, RollRowGivesPupilAndSenRecords) {
  SourceSpec s = Source(kRoll);
  RowReader r = BindRoll(s);
  CsvRecord row = Row({"001235", "N801200023002", "O'Neil", "Grace", "17/11/2013", "F", "EHC Plan",
                       "10/02/2025", "Autistic Spectrum Disorder", " Speech, Language "});
  auto pupil = r.Convert("pupil", row);
  ASSERT_EQ(pupil.errors, "");
  EXPECT_EQ(pupil.record, json({{"kind", "pupil"},
                                {"id", "001235"},
                                {"upn", "N801200023002"},
                                {"legal_surname", "O'Neil"},
                                {"legal_forename", "Grace"},
                                {"dob", "2013-11-17"},
                                {"sex", "F"}}));
  auto sen = r.Convert("sen", row);
  ASSERT_EQ(sen.errors, "");
  EXPECT_EQ(sen.record, json({{"kind", "sen"},
                              {"id", "001235"},
                              {"pupil", {{"id", "001235"}, {"upn", "N801200023002"}}},
                              {"provision", "EHC Plan"},
                              {"local_status", "EHC Plan"},
                              {"provision_start", "2025-02-10"},
                              {"needs",
                               {{{"type", "Autistic Spectrum Disorder"}, {"rank", 1}},
                                {{"type", "Speech, Language"}, {"rank", 2}}}}}));
  sendsync::records::Problems problems;
  EXPECT_TRUE(sendsync::records::CheckShape(pupil.record, problems));
  EXPECT_TRUE(sendsync::records::CheckShape(sen.record, problems)) << problems[0].message;
}

TEST(CsvMapping, EmptyNeedColumnsGiveNoNeeds) {
  SourceSpec s = Source(kRoll);
  RowReader r = BindRoll(s);
  auto sen = r.Convert("sen", Row({"1", "C801200023003", "K", "Z", "05/06/2015", "F",
                                   "No Special Educational Need", "", "", ""}));
  ASSERT_EQ(sen.errors, "");
  EXPECT_EQ(sen.record["needs"], json::array());
  EXPECT_FALSE(sen.record.contains("provision_start"));
}

TEST(CsvMapping, BadDateRejectsThePupilButNotItsSenRecord) {
  SourceSpec s = Source(kRoll);
  RowReader r = BindRoll(s);
  CsvRecord row = Row({"001238", "F801200023005", "Smith", "Jack", "31/02/2014", "M", "SEN Support",
                       "04/09/2023", "Moderate Learning Difficulty", ""});
  auto pupil = r.Convert("pupil", row);
  EXPECT_EQ(pupil.errors, "column 'DOB': '31/02/2014' is not a date in the format dd/mm/yyyy");
  EXPECT_TRUE(pupil.identity.known);
  EXPECT_EQ(pupil.identity.id, "001238");
  EXPECT_EQ(r.Convert("sen", row).errors, "");
}

TEST(CsvMapping, EveryProblemInARowIsNamed) {
  SourceSpec s = Source(kRoll);
  RowReader r = BindRoll(s);
  auto pupil =
      r.Convert("pupil", Row({"9", "B801200005001", "", "Amy", "2014-01-01", "", "", "", "", ""}));
  EXPECT_NE(pupil.errors.find("column 'Legal Surname': empty, but legal_surname is required"),
            std::string::npos)
      << pupil.errors;
  EXPECT_NE(pupil.errors.find("column 'DOB': '2014-01-01' is not a date"), std::string::npos);
  EXPECT_NE(pupil.errors.find("column 'Gender': empty, but sex is required"), std::string::npos);
}

TEST(CsvMapping, RowNamingNoPupilIsAnError) {
  SourceSpec s = Source(kRoll);
  RowReader r = BindRoll(s);
  auto sen =
      r.Convert("sen", Row({"", "", "X", "Y", "01/01/2014", "M", "SEN Support", "", "", ""}));
  EXPECT_NE(sen.errors.find("column 'UPN' and column 'Adno': empty"), std::string::npos)
      << sen.errors;
  EXPECT_FALSE(sen.identity.known);
}

TEST(CsvMapping, SenIdFallsBackToUpnWithoutAPupilId) {
  SourceSpec s = Source(kRoll);
  RowReader r = BindRoll(s);
  auto sen = r.Convert("sen", Row({"", "B801200005001", "A", "B", "01/01/2014", "M", "SEN Support",
                                   "", "SPLD", ""}));
  ASSERT_EQ(sen.errors, "");
  EXPECT_EQ(sen.record["id"], "B801200005001");
  EXPECT_EQ(sen.record["pupil"], json({{"upn", "B801200005001"}}));
}

const json kProvision = {{"kind", "provision"},
                         {"path", "/x/provision.csv"},
                         {"columns",
                          {{"upn", "UPN"},
                           {"intervention", "Intervention"},
                           {"area", "Area"},
                           {"wave", "Wave"},
                           {"group_size", "Group"},
                           {"sessions_per_week", "Sessions"},
                           {"minutes_per_session", "Minutes"},
                           {"start", "Start"},
                           {"end", "End"},
                           {"hourly_rate", "Rate"},
                           {"baseline_value", "Baseline"},
                           {"target_ids", "Targets"}}},
                         {"id_from", {"upn", "intervention", "start"}},
                         {"defaults", {{"baseline_measure", "reading age (months)"}}}};
const std::vector<std::string> kProvisionHeader = {"UPN",   "Intervention", "Area",     "Wave",
                                                   "Group", "Sessions",     "Minutes",  "Start",
                                                   "End",   "Rate",         "Baseline", "Targets"};

TEST(CsvMapping, ProvisionRowConvertsNumbersMoneyDatesAndLists) {
  SourceSpec s = Source(kProvision);
  CsvRecord h = Row(kProvisionHeader);
  RowReader r = *RowReader::Bind(s, &h);
  auto p = r.Convert("provision",
                     Row({"B801200005001", "Talk Boost", "Communication and Interaction", "2", "4",
                          "1.5", "30", "09/09/2024", "", "£1,018.50", "84", "T1; T2"}));
  ASSERT_EQ(p.errors, "");
  const json& rec = p.record;
  EXPECT_EQ(rec["wave"], 2);
  EXPECT_EQ(rec["group_size"], 4);
  EXPECT_EQ(rec["sessions_per_week"], 1.5);
  EXPECT_EQ(rec["minutes_per_session"], 30);
  EXPECT_EQ(rec["start"], "2024-09-09");
  EXPECT_FALSE(rec.contains("end"));
  EXPECT_EQ(rec["hourly_rate"], 1018.5);
  EXPECT_EQ(rec["baseline"], json({{"measure", "reading age (months)"}, {"value", "84"}}));
  EXPECT_EQ(rec["target_ids"], json({"T1", "T2"}));
  EXPECT_EQ(rec["area"], "Communication and Interaction") << "codes stay as the file has them";
  sendsync::records::Problems problems;
  EXPECT_TRUE(sendsync::records::CheckShape(rec, problems)) << problems[0].path;
}

TEST(CsvMapping, DerivedIdIsStableAndIndependentOfDateFormat) {
  SourceSpec uk = Source(kProvision);
  json iso_source = kProvision;
  iso_source["date_format"] = "yyyy-mm-dd";
  SourceSpec iso = Source(iso_source);
  CsvRecord h = Row(kProvisionHeader);
  RowReader a = *RowReader::Bind(uk, &h), b = *RowReader::Bind(iso, &h);
  auto row = [](const std::string& start) {
    return Row({"B801200005001", "Talk Boost", "CI", "2", "4", "3", "30", start, "", "", "", ""});
  };
  auto id1 = a.IdentityOf("provision", row("09/09/2024"));
  auto id2 = b.IdentityOf("provision", row("2024-09-09"));
  ASSERT_TRUE(id1.known);
  EXPECT_EQ(id1.id, id2.id);
  EXPECT_EQ(id1.id.rfind("csv-", 0), 0u);
  EXPECT_EQ(id1.id.size(), 20u);
  EXPECT_NE(a.IdentityOf("provision", row("10/09/2024")).id, id1.id);
}

TEST(CsvMapping, UnparseableIdFieldLeavesTheRowUnidentified) {
  SourceSpec s = Source(kProvision);
  CsvRecord h = Row(kProvisionHeader);
  RowReader r = *RowReader::Bind(s, &h);
  auto p = r.Convert("provision", Row({"B801200005001", "Reading Recovery", "CL", "Two", "1", "5",
                                       "30", "31/09/2024", "", "32", "", ""}));
  EXPECT_FALSE(p.identity.known);
  EXPECT_NE(p.errors.find("column 'Wave': 'Two' is not a whole number"), std::string::npos);
  EXPECT_NE(p.errors.find("column 'Start': '31/09/2024' is not a date"), std::string::npos);
}

TEST(CsvMapping, MeasureNeedsAMeasureAndAValue) {
  json src = kProvision;
  src.erase("defaults");
  SourceSpec s = Source(src);
  CsvRecord h = Row(kProvisionHeader);
  RowReader r = *RowReader::Bind(s, &h);
  auto p = r.Convert("provision", Row({"B801200005001", "X", "CL", "2", "1", "1", "30",
                                       "01/09/2024", "", "", "84", ""}));
  EXPECT_NE(p.errors.find("baseline_measure: empty"), std::string::npos) << p.errors;
}

TEST(CsvMapping, StructureProblemsNameTheRowOrColumn) {
  SourceSpec s = Source(kRoll);
  RowReader r = BindRoll(s);
  EXPECT_NE(r.CheckStructure(Row({"1", "2"})).find("the row has 2 fields but the header has 10"),
            std::string::npos);
  std::vector<std::string> extra(kRollHeader.size() + 2, "x");
  EXPECT_NE(r.CheckStructure(Row(extra)).find("12 fields"), std::string::npos);
  std::vector<std::string> trailing_empty(kRollHeader.size(), "x");
  trailing_empty.push_back("");
  trailing_empty.push_back(" ");
  EXPECT_EQ(r.CheckStructure(Row(trailing_empty)), "") << "empty extra fields are harmless";
  std::vector<std::string> latin1(kRollHeader.size(), "x");
  latin1[3] = "Zo\xEB";
  EXPECT_EQ(r.CheckStructure(Row(latin1)),
            "column 'Legal Forename': not valid UTF-8 (byte 0xEB at position 3); save the export "
            "as UTF-8 (\"CSV UTF-8\")");
  CsvRecord quoted = Row(std::vector<std::string>(kRollHeader.size(), "x"));
  quoted.problem = "text after the closing quote";
  quoted.problem_field = 3;
  EXPECT_EQ(r.CheckStructure(quoted), "column 'Legal Surname': text after the closing quote");
}

TEST(CsvMapping, ColumnsByNumberWithoutHeader) {
  json src = {{"kind", "sen"},
              {"path", "/x/sen.csv"},
              {"header", false},
              {"columns", {{"upn", 1}, {"provision", 3}, {"need1", 4}}}};
  SourceSpec s = Source(src);
  RowReader r = *RowReader::Bind(s, nullptr);
  auto sen = r.Convert("sen", Row({"B801200005001", "ignored", "K", "SLCN"}));
  ASSERT_EQ(sen.errors, "");
  EXPECT_EQ(sen.record["provision"], "K");
  EXPECT_EQ(r.ColumnLabel(2), "column 3");
  EXPECT_NE(r.CheckStructure(Row({"B801200005001", "x"})).find("column 4 is mapped"),
            std::string::npos);
}

}  // namespace
