// CSV formula injection (OWASP "CSV Injection"): cells sendsync writes for an MIS to import never
// start with something a spreadsheet runs as a formula, unless the link turns the guard off.
// Numbers stay numbers, and what sendsync reads is kept exactly as received.
#include <gtest/gtest.h>

#include "csv_test_util.h"
#include "sendsync/sdk/csv.h"

namespace {

using namespace csvtest;
using sendsync::csv::NeutraliseFormula;
using sendsync::sdk::Change;
using sendsync::sdk::WriteRequest;
using sendsync::sdk::WriteResult;

json SenSource(const std::string& out, json extra = json::object()) {
  json write = {{"out_folder", out}, {"file_name", "{kind}-{seq}.csv"}};
  write.update(extra);
  return {{"name", "sen-import"},
          {"kind", "sen"},
          {"columns",
           {{"upn", "UPN"},
            {"legal_surname", "Surname"},
            {"legal_forename", "Forename"},
            {"provision", "SEN Status"},
            {"local_status", "Local"}}},
          {"write", write}};
}

Change SenWithSurname(const std::string& surname, const std::string& local) {
  Change c;
  c.key = "k-" + surname;
  c.op = "upsert";
  c.record = {{"kind", "sen"},
              {"pupil", {{"upn", "B801200005001"}}},
              {"provision", "K"},
              {"local_status", local},
              {"needs", {{{"type", "SLCN"}, {"rank", 1}}}}};
  c.context = {
      {"pupil",
       {{"upn", "B801200005001"}, {"legal_surname", surname}, {"legal_forename", "Yusuf"}}}};
  return c;
}

std::string WrittenFile(const json& source, const Change& change) {
  auto o = Open({{"sources", json::array({source})}});
  EXPECT_TRUE(o);
  if (!o) return "";
  WriteResult r;
  sendsync::Status st = o->adapter.Write(WriteRequest{"sen", {change}}, r);
  EXPECT_TRUE(st.ok()) << st.ToString();
  std::vector<std::string> files =
      FilesIn(source["write"]["out_folder"].get<std::string>(), ".csv");
  EXPECT_EQ(files.size(), 1u);
  return files.empty() ? "" : ReadFile(files[0]);
}

TEST(CsvFormula, EveryOwaspTriggerGetsALeadingQuote) {
  EXPECT_EQ(NeutraliseFormula("=HYPERLINK(\"http://x\",\"y\")"), "'=HYPERLINK(\"http://x\",\"y\")");
  EXPECT_EQ(NeutraliseFormula("+cmd|' /C calc'!A0"), "'+cmd|' /C calc'!A0");
  EXPECT_EQ(NeutraliseFormula("-2+3"), "'-2+3");
  EXPECT_EQ(NeutraliseFormula("@SUM(1,2)"), "'@SUM(1,2)");
  EXPECT_EQ(NeutraliseFormula("\t=1"), "'\t=1");
  EXPECT_EQ(NeutraliseFormula("\r=1"), "'\r=1");
}

TEST(CsvFormula, PlainNumbersAndOrdinaryTextAreLeftAlone) {
  EXPECT_EQ(NeutraliseFormula("-1.5"), "-1.5");
  EXPECT_EQ(NeutraliseFormula("+3"), "+3");
  EXPECT_EQ(NeutraliseFormula("-0"), "-0");
  EXPECT_EQ(NeutraliseFormula("O'Neil"), "O'Neil");
  EXPECT_EQ(NeutraliseFormula("Smith-Jones"), "Smith-Jones");
  EXPECT_EQ(NeutraliseFormula(""), "");
  EXPECT_EQ(NeutraliseFormula("-"), "'-") << "a lone sign is not a number";
  EXPECT_EQ(NeutraliseFormula("-1e3"), "'-1e3") << "only plain decimals count as numbers";
}

TEST(CsvFormula, ImportFileCellsAreNeutralisedAndQuotedByDefault) {
  TempDir dir;
  std::string file = WrittenFile(SenSource(dir / "out"), SenWithSurname("=1+1", "@monitoring"));
  EXPECT_EQ(file,
            "UPN,Surname,Forename,SEN Status,Local\r\n"
            "B801200005001,\"'=1+1\",Yusuf,K,\"'@monitoring\"\r\n");
}

TEST(CsvFormula, TheGuardCanBeTurnedOffPerLink) {
  TempDir dir;
  std::string file = WrittenFile(SenSource(dir / "out", {{"neutralise_formulas", false}}),
                                 SenWithSurname("=1+1", "@monitoring"));
  EXPECT_EQ(file,
            "UPN,Surname,Forename,SEN Status,Local\r\n"
            "B801200005001,=1+1,Yusuf,K,@monitoring\r\n");
}

TEST(CsvFormula, TheSettingMustBeABoolean) {
  TempDir dir;
  json src = SenSource(dir / "out", {{"neutralise_formulas", "yes"}});
  EXPECT_NE(Refusal({{"sources", json::array({src})}}).find("write.neutralise_formulas"),
            std::string::npos);
}

TEST(CsvFormula, ReadsKeepCellsAsReceived) {
  TempDir dir;
  WriteFile(dir / "roll.csv",
            "Adno,UPN,Legal Surname,Legal Forename,DOB,Gender\n"
            "001,B801200005001,=Hughes,-Amy,02/03/2014,F\n");
  json src = {{"name", "roll"},
              {"kind", "pupil"},
              {"path", dir / "roll.csv"},
              {"columns",
               {{"pupil_id", "Adno"},
                {"upn", "UPN"},
                {"legal_surname", "Legal Surname"},
                {"legal_forename", "Legal Forename"},
                {"dob", "DOB"},
                {"sex", "Gender"}}}};
  auto o = Open({{"sources", json::array({src})}});
  ASSERT_TRUE(o);
  All all = ReadAll(o->adapter, "pupil");
  ASSERT_EQ(all.records.size(), 1u);
  EXPECT_EQ(all.records[0]["legal_surname"], "=Hughes");
  EXPECT_EQ(all.records[0]["legal_forename"], "-Amy");
}

}  // namespace
