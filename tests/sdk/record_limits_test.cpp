// The limits every canonical record is held to when parsed (docs/records.md, "Limits"): control
// characters, over-long text, and non-finite or absurd money and durations are problems that name
// the field and the limit and never quote the value.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sendsync/sdk/records.h"

using namespace sendsync::records;
using nlohmann::json;

namespace {

json PupilJson() {
  return {{"kind", "pupil"},
          {"id", "S1"},
          {"upn", "B801200005001"},
          {"legal_surname", "Ng"},
          {"legal_forename", "Ada"},
          {"dob", "2014-03-02"},
          {"sex", "F"}};
}

json ProvisionJson() {
  return {{"kind", "provision"},
          {"id", "PR1"},
          {"pupil", {{"id", "S1"}}},
          {"area", "CL"},
          {"intervention", "Precision teaching"},
          {"wave", 3},
          {"group_size", 1},
          {"sessions_per_week", 3.0},
          {"minutes_per_session", 20},
          {"start", "2025-09-08"},
          {"hourly_rate", 18.5},
          {"resources_cost", 40.0}};
}

json ReviewJson() {
  return {{"kind", "review"},
          {"id", "R1"},
          {"pupil", {{"id", "S1"}}},
          {"date", "2025-12-12"},
          {"review_kind", "sen_support"},
          {"parents_met", true}};
}

// The problems CheckShape finds in `j`, one "path: message" a line.
std::string ProblemsOf(const json& j) {
  Problems problems;
  CheckShape(j, problems);
  std::string s;
  for (const auto& p : problems) s += p.path + ": " + p.message + "\n";
  return s;
}

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST(RecordLimits, NulInASurnameIsRefusedNamingTheField) {
  json j = PupilJson();
  j["legal_surname"] = std::string("Ng\0x", 4);
  std::string p = ProblemsOf(j);
  EXPECT_TRUE(Has(p, "legal_surname: contains a control character (U+0000) at character 3")) << p;
}

TEST(RecordLimits, ControlCharactersAnywhereInTextAreRefused) {
  for (const std::string& bad : {std::string("A\x01"), std::string("A\x1B[2J"),
                                 std::string("A\x7F"), std::string("A\xC2\x85")}) {
    json j = PupilJson();
    j["preferred_forename"] = bad;
    EXPECT_TRUE(Has(ProblemsOf(j), "preferred_forename: contains a control character"))
        << ProblemsOf(j);
  }
  json id = PupilJson();
  id["id"] = "S1\n";
  EXPECT_TRUE(Has(ProblemsOf(id), "id: contains a control character (U+000A)")) << ProblemsOf(id);
}

TEST(RecordLimits, LineBreaksAndTabsAreAllowedOnlyInFreeTextNotes) {
  json notes = ReviewJson();
  notes["pupil_voice"] = "Likes the group.\r\n\tWants more turns.";
  EXPECT_EQ(ProblemsOf(notes), "");
  notes["pupil_voice"] = std::string("Likes\0", 6);
  EXPECT_TRUE(Has(ProblemsOf(notes), "pupil_voice: contains a control character (U+0000)"));
  json name = PupilJson();
  name["legal_surname"] = "Ng\tSmith";
  EXPECT_TRUE(Has(ProblemsOf(name), "legal_surname: contains a control character (U+0009)"));
}

TEST(RecordLimits, OverLongSurnameIsRefusedWithTheLimitAndWithoutTheValue) {
  json j = PupilJson();
  j["legal_surname"] = std::string(5 * 1000 * 1000, 'Z');
  std::string p = ProblemsOf(j);
  EXPECT_TRUE(Has(p, "legal_surname: is 5000000 characters long; the limit for this field is 100"))
      << p.substr(0, 300);
  EXPECT_FALSE(Has(p, "ZZZZ")) << "the value is never quoted";
}

TEST(RecordLimits, LengthsCountCharactersNotBytes) {
  json j = PupilJson();
  std::string name;
  for (int i = 0; i < 100; ++i) name += "\xC3\xAB";  // 100 x e-diaeresis: 200 bytes
  j["legal_surname"] = name;
  EXPECT_EQ(ProblemsOf(j), "");
  j["legal_surname"] = name + "e";
  EXPECT_TRUE(Has(ProblemsOf(j), "is 101 characters long"));
}

TEST(RecordLimits, EveryKindsTextFieldsHaveALimit) {
  EXPECT_EQ(TextLimitOf("legal_surname").max_chars, 100u);
  EXPECT_EQ(TextLimitOf("pupil_voice").max_chars, 20000u);
  EXPECT_TRUE(TextLimitOf("pupil_voice").multiline);
  EXPECT_FALSE(TextLimitOf("id").multiline);
  EXPECT_EQ(TextLimitOf("a_field_not_in_the_table").max_chars, 500u) << "a default, never none";
  json r = ReviewJson();
  r["impact"] = std::string(20001, 'a');
  EXPECT_TRUE(Has(ProblemsOf(r), "impact: is 20001 characters long")) << ProblemsOf(r);
  json list = ProvisionJson();
  list["target_ids"] = {"T1", std::string(129, 't')};
  EXPECT_TRUE(Has(ProblemsOf(list), "target_ids[1]: is 129 characters long")) << ProblemsOf(list);
}

TEST(RecordLimits, OversizedExtensionFieldIsRefused) {
  json j = PupilJson();
  j["x_blob"] = std::string(70000, 'x');
  EXPECT_TRUE(Has(ProblemsOf(j), "x_blob: is larger than 65536 bytes")) << ProblemsOf(j);
}

TEST(RecordLimits, AbsurdMoneyIsRefusedNamingTheField) {
  json j = ProvisionJson();
  j["hourly_rate"] = 1e308;
  std::string p = ProblemsOf(j);
  EXPECT_TRUE(Has(p, "hourly_rate: is out of range: at most 10000")) << p;
  j = ProvisionJson();
  j["resources_cost"] = 2e7;
  EXPECT_TRUE(Has(ProblemsOf(j), "resources_cost: is out of range")) << ProblemsOf(j);
}

TEST(RecordLimits, NonFiniteMoneyIsRefused) {
  json j = ProvisionJson();
  j["hourly_rate"] = std::numeric_limits<double>::infinity();
  EXPECT_TRUE(Has(ProblemsOf(j), "hourly_rate: must be finite")) << ProblemsOf(j);
  j["hourly_rate"] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(Has(ProblemsOf(j), "hourly_rate: must be finite")) << ProblemsOf(j);
}

TEST(RecordLimits, AbsurdDurationsAreRefused) {
  json j = ProvisionJson();
  j["minutes_per_session"] = 100000;
  j["sessions_per_week"] = 1e9;
  std::string p = ProblemsOf(j);
  EXPECT_TRUE(Has(p, "minutes_per_session: is out of range: at most 1440")) << p;
  EXPECT_TRUE(Has(p, "sessions_per_week: is out of range: at most 100")) << p;
}

TEST(RecordLimits, WholeNumbersPastIntAreRefusedNotWrapped) {
  json j = ProvisionJson();
  j["minutes_per_session"] = 4294967316LL;  // wraps to 20 as an int
  EXPECT_TRUE(Has(ProblemsOf(j), "minutes_per_session: is out of range")) << ProblemsOf(j);
}

TEST(RecordLimits, SaneValuesPass) {
  EXPECT_EQ(ProblemsOf(ProvisionJson()), "");
  EXPECT_EQ(ProblemsOf(PupilJson()), "");
}
