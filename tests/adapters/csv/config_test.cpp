// Configure(): good configurations are accepted (including every worked example in the admin
// docs); bad ones are refused with the config key named and the reason given.
#include <gtest/gtest.h>

#include <regex>

#include "base/schema/json_schema.h"
#include "config.h"
#include "csv_adapter.h"
#include "csv_test_util.h"

namespace {

using csvtest::Refusal;
using nlohmann::json;

json RollSource() {
  return {{"name", "roll"},
          {"kind", {"pupil", "sen"}},
          {"path", "/srv/exports/roll.csv"},
          {"columns",
           {{"pupil_id", "Adno"},
            {"upn", "UPN"},
            {"legal_surname", "Legal Surname"},
            {"legal_forename", "Legal Forename"},
            {"dob", "DOB"},
            {"sex", "Gender"},
            {"provision", "SEN Status"},
            {"need1", "Primary Need"},
            {"need2", "Secondary Need"}}}};
}

json With(json source) {
  return {{"sources", json::array({std::move(source)})}};
}

TEST(CsvConfig, RollSourceWithTwoKindsIsAccepted) {
  auto c = sendsync::csv::ParseConfig(With(RollSource()));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const auto& s = c->sources[0];
  EXPECT_EQ(s.kinds, (std::vector<std::string>{"pupil", "sen"}));
  EXPECT_EQ(s.date_format.pattern(), "dd/mm/yyyy");
  EXPECT_EQ(s.delimiter, ',');
  EXPECT_TRUE(s.header);
  EXPECT_EQ(s.state_folder, "/srv/exports/.sendsync-csv-state/roll");
}

TEST(CsvConfig, StateFolderCanBeSetForAllSources) {
  json config = With(RollSource());
  config["state_folder"] = "/var/lib/sendsync/csv-state";
  auto c = sendsync::csv::ParseConfig(config);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->sources[0].state_folder, "/var/lib/sendsync/csv-state/roll");
}

TEST(CsvConfig, UnknownCanonicalFieldIsRefusedNamingTheKey) {
  json s = RollSource();
  s["columns"]["need3"] = "Third Need";
  std::string why = Refusal(With(s));
  EXPECT_NE(why.find("sources[0].columns.need3"), std::string::npos) << why;
  EXPECT_NE(why.find("not a field"), std::string::npos) << why;
}

TEST(CsvConfig, MissingRequiredMappingIsRefusedNamingTheField) {
  json s = RollSource();
  s["columns"].erase("provision");
  std::string why = Refusal(With(s));
  EXPECT_NE(why.find("sources[0].columns.provision"), std::string::npos) << why;
  EXPECT_NE(why.find("required for kind sen"), std::string::npos) << why;
}

TEST(CsvConfig, RequiredFieldMayComeFromDefaults) {
  json s = {{"kind", "review"},
            {"path", "/srv/exports/reviews.csv"},
            {"columns", {{"id", "Review ID"}, {"upn", "UPN"}, {"date", "Review Date"}}},
            {"defaults", {{"review_kind", "sen_support"}}}};
  EXPECT_EQ(Refusal(With(s)), "");
  s.erase("defaults");
  EXPECT_NE(Refusal(With(s)).find("columns.review_kind"), std::string::npos);
}

TEST(CsvConfig, BadDateFormatIsRefusedWithTheReason) {
  json s = RollSource();
  s["date_format"] = "dd/mm/yy";
  std::string why = Refusal(With(s));
  EXPECT_NE(why.find("sources[0].date_format"), std::string::npos) << why;
  EXPECT_NE(why.find("two-digit"), std::string::npos) << why;
}

TEST(CsvConfig, DefaultThatDoesNotParseIsRefused) {
  json s = RollSource();
  s["columns"].erase("dob");
  s["defaults"] = {{"dob", "2014-03-02"}};  // not in the source's dd/mm/yyyy
  std::string why = Refusal(With(s));
  EXPECT_NE(why.find("sources[0].defaults.dob"), std::string::npos) << why;
}

TEST(CsvConfig, ProvisionNeedsARecordIdOrFieldsToDeriveIt) {
  json s = {{"kind", "provision"},
            {"path", "/srv/exports/provision.csv"},
            {"columns",
             {{"upn", "UPN"},
              {"area", "Area"},
              {"intervention", "Intervention"},
              {"wave", "Wave"},
              {"sessions_per_week", "Sessions"},
              {"minutes_per_session", "Minutes"},
              {"start", "Start"}}}};
  std::string why = Refusal(With(s));
  EXPECT_NE(why.find("sources[0].columns.id"), std::string::npos) << why;
  EXPECT_NE(why.find("id_from"), std::string::npos) << why;
  s["id_from"] = {"upn", "intervention", "start"};
  EXPECT_EQ(Refusal(With(s)), "");
  s["id_from"] = {"upn", "staff_role"};  // not mapped
  EXPECT_NE(Refusal(With(s)).find("sources[0].id_from"), std::string::npos);
}

TEST(CsvConfig, EveryRowMustNameItsPupil) {
  json s = RollSource();
  s["kind"] = "sen";
  s["columns"] = {{"provision", "SEN Status"}};
  std::string why = Refusal(With(s));
  EXPECT_NE(why.find("'upn' or 'pupil_id'"), std::string::npos) << why;
}

TEST(CsvConfig, WithoutHeaderRowColumnsAreNumbers) {
  json s = RollSource();
  s["header"] = false;
  std::string why = Refusal(With(s));
  EXPECT_NE(why.find("columns are given by number"), std::string::npos) << why;
}

TEST(CsvConfig, ProvisionAndReviewCannotShareARow) {
  json s = RollSource();
  s["kind"] = {"provision", "review"};
  EXPECT_NE(Refusal(With(s)).find("sources[0].kind"), std::string::npos);
}

TEST(CsvConfig, UnsupportedKindIsRefused) {
  json s = RollSource();
  s["kind"] = "referral";
  std::string why = Refusal(With(s));
  EXPECT_NE(why.find("sources[0].kind"), std::string::npos);
  EXPECT_NE(why.find("'referral'"), std::string::npos);
}

TEST(CsvConfig, RelativePathIsRefused) {
  json s = RollSource();
  s["path"] = "exports/roll.csv";
  EXPECT_NE(Refusal(With(s)).find("sources[0].path"), std::string::npos);
}

TEST(CsvConfig, UnknownSettingIsRefused) {
  json s = RollSource();
  s["encoding"] = "latin1";
  EXPECT_NE(Refusal(With(s)).find("sources[0].encoding"), std::string::npos);
  EXPECT_NE(Refusal({{"sources", {RollSource()}}, {"folder", "/x"}}).find("'folder'"),
            std::string::npos);
}

TEST(CsvConfig, DelimiterIsOneCharacterOrTab) {
  json s = RollSource();
  s["delimiter"] = "tab";
  auto c = sendsync::csv::ParseConfig(With(s));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->sources[0].delimiter, '\t');
  s["delimiter"] = ";;";
  EXPECT_NE(Refusal(With(s)).find("sources[0].delimiter"), std::string::npos);
  s["delimiter"] = "\"";
  EXPECT_NE(Refusal(With(s)).find("sources[0].delimiter"), std::string::npos);
}

TEST(CsvConfig, SourceNamesMustBeUnique) {
  json a = RollSource(), b = RollSource();
  b["path"] = "/srv/other/roll.csv";
  b.erase("name");  // defaults to the file name: also "roll"
  std::string why = Refusal({{"sources", {a, b}}});
  EXPECT_NE(why.find("sources[1].name"), std::string::npos) << why;
}

TEST(CsvConfig, OnlyOneSourceWritesAKind) {
  json a = RollSource(), b = RollSource();
  a["write"] = {{"out_folder", "/srv/imports"}};
  b["name"] = "roll2";
  b["write"] = {{"out_folder", "/srv/imports2"}};
  EXPECT_NE(Refusal({{"sources", {a, b}}}).find("sources[1].write"), std::string::npos);
}

TEST(CsvConfig, PupilsAloneCannotBeWritten) {
  json s = RollSource();
  s["kind"] = "pupil";
  s["columns"].erase("provision");
  s["columns"].erase("need1");
  s["columns"].erase("need2");
  s["write"] = {{"out_folder", "/srv/imports"}};
  EXPECT_NE(Refusal(With(s)).find("sources[0].write"), std::string::npos);
}

TEST(CsvConfig, UnknownFileNamePlaceholderIsRefused) {
  json s = RollSource();
  s["write"] = {{"out_folder", "/srv/imports"}, {"file_name", "sen-{when}.csv"}};
  EXPECT_NE(Refusal(With(s)).find("{when}"), std::string::npos);
}

TEST(CsvConfig, AppendModeTakesOneFileNotAPattern) {
  json s = RollSource();
  s["path"] = "/srv/exports";
  s["pattern"] = "roll_*.csv";
  s["mode"] = "append";
  EXPECT_NE(Refusal(With(s)).find("sources[0].pattern"), std::string::npos);
}

TEST(CsvConfig, ConfigThatIsNotAnObjectIsRefused) {
  EXPECT_NE(Refusal(json::array({1, 2})), "");
  EXPECT_NE(Refusal(json::object()).find("sources"), std::string::npos);
}

// The worked examples an admin copies from docs/adapters/csv.md must all be accepted, by the
// adapter and by its manifest's schema (which the host checks first).
std::vector<json> DocumentedConfigs() {
  std::string doc = csvtest::ReadFile(DOCS_FILE);
  std::vector<json> configs;
  std::regex block("```json\\n([\\s\\S]*?)```");
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), block); it != std::sregex_iterator();
       ++it) {
    json j = json::parse((*it)[1].str(), nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "a json block in the docs does not parse:\n"
                                   << (*it)[1].str();
    if (j.is_object() && j.contains("sources")) configs.push_back(j);
  }
  return configs;
}

TEST(CsvConfig, EveryWorkedExampleInTheDocsIsAccepted) {
  std::vector<json> configs = DocumentedConfigs();
  ASSERT_GE(configs.size(), 4u) << "the docs should show a config for each kind";
  auto schema = sendsync::schema::JsonSchema::Compile(sendsync::csv::ConfigSchema());
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  for (const json& c : configs) {
    EXPECT_EQ(Refusal(c), "") << c.dump(2);
    auto violations = (*schema)->Validate(c);
    for (const auto& v : violations)
      ADD_FAILURE() << v.path << ": " << v.message << "\n" << c.dump(2);
  }
}

TEST(CsvConfig, SchemaRefusesUnknownKeys) {
  auto schema = sendsync::schema::JsonSchema::Compile(sendsync::csv::ConfigSchema());
  ASSERT_TRUE(schema.ok());
  json bad = With(RollSource());
  bad["sources"][0]["colums"] = json::object();
  EXPECT_FALSE((*schema)->Validate(bad).empty());
  EXPECT_TRUE((*schema)->Validate(With(RollSource())).empty());
}

}  // namespace
