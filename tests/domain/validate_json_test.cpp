// ValidateJson: what the sync engine calls for every incoming record. Shape problems become
// RECORD_SHAPE issues with the field path; well-formed records get the domain rules.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/domain/fixtures.h"

using namespace sendsync;
using namespace sendsync::domain;
using namespace sendsync::domain::testing;
using nlohmann::json;

namespace {

template <typename R>
json AsJson(const R& record) {
  json j;
  records::ToJson(record, j);
  return j;
}

}  // namespace

TEST(ValidateJson, NotAnObjectIsARecordShapeError) {
  auto issues = ValidateJson(json::array());
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].code, "RECORD_SHAPE");
  EXPECT_EQ(issues[0].path, "$");
}

TEST(ValidateJson, MissingOrUnknownKind) {
  auto missing = ValidateJson(json{{"id", "X"}});
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].path, "kind");
  EXPECT_EQ(missing[0].message, "is required");
  auto unknown = ValidateJson(json{{"kind", "statement"}});
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_NE(unknown[0].message.find("unknown record kind \"statement\""), std::string::npos);
  auto wrong_type = ValidateJson(json{{"kind", 3}});
  ASSERT_EQ(wrong_type.size(), 1u);
  EXPECT_EQ(wrong_type[0].code, "RECORD_SHAPE");
}

TEST(ValidateJson, ShapeProblemsNameTheFieldPath) {
  json j = AsJson(MakeSen("K"));
  j["needs"][0]["rank"] = "one";
  j["provision_start"] = "04/09/2023";
  auto issues = ValidateJson(j);
  ASSERT_EQ(issues.size(), 2u) << Codes(issues);
  for (const Issue& i : issues) {
    EXPECT_EQ(i.code, "RECORD_SHAPE");
    EXPECT_EQ(i.severity, Severity::kError);
  }
  EXPECT_EQ(issues[0].path, "provision_start");
  EXPECT_EQ(issues[1].path, "needs[0].rank");
}

TEST(ValidateJson, WellFormedRecordsOfEveryKindPass) {
  for (const json& j :
       {AsJson(MakePupil()), AsJson(MakeSen("K")), AsJson(MakeCycle()), AsJson(MakeProvision()),
        AsJson(MakeReview("R1", "C1", "2024-12-09")), AsJson(MakeReferral()), AsJson(MakePlan())}) {
    auto issues = ValidateJson(j);
    EXPECT_TRUE(issues.empty()) << j["kind"] << "\n" << Codes(issues);
  }
}

TEST(ValidateJson, DomainRulesRunAfterParsing) {
  auto pupil = MakePupil();
  pupil.upn = "C801200005001";
  EXPECT_TRUE(HasCode(ValidateJson(AsJson(pupil)), "UPN_CHECK_LETTER"));
  auto sen = MakeSen("E");
  sen.needs = {{"NSA", 1, std::nullopt, std::nullopt}};
  EXPECT_TRUE(HasCode(ValidateJson(AsJson(sen)), "NEED_TYPE_NOT_FOR_PROVISION"));
  auto plan = MakePlan();
  plan.cease_reason = 12;
  plan.ceased = D("2025-01-01");
  EXPECT_TRUE(HasCode(ValidateJson(AsJson(plan)), "CEASE_REASON_CODE"));
}

TEST(ValidateJson, UsesTheCodeSetsItIsGiven) {
  json doc = {{"format", 1}, {"version", "t"}, {"sets", json::array()}};
  for (const CodeSet& s : CodeSets::Builtin().all()) {
    json set = {
        {"id", s.id}, {"label", s.label}, {"confidence", s.confidence}, {"codes", json::array()}};
    for (const CodeEntry& e : s.entries)
      if (!(s.id == "sex" && e.code == "F"))
        set["codes"].push_back({{"code", e.code}, {"label", e.label}});
    doc["sets"].push_back(set);
  }
  auto sets = CodeSets::FromJson(doc);
  ASSERT_TRUE(sets.ok()) << sets.status().ToString();
  EXPECT_TRUE(HasCode(ValidateJson(AsJson(MakePupil()), *sets), "SEX_CODE"));
}

TEST(ValidateJson, EveryRecordInABatchIsJudgedOnItsOwn) {
  // The hot path over 20,000 rows: every fifth has group size 0.
  json j = AsJson(MakeProvision());
  size_t bad = 0;
  for (int i = 0; i < 20000; ++i) {
    j["group_size"] = i % 5 == 0 ? 0 : 1 + i % 4;
    auto issues = ValidateJson(j);
    bad += HasCode(issues, "PROVISION_GROUP_SIZE");
    ASSERT_LE(issues.size(), 1u) << Codes(issues);
  }
  EXPECT_EQ(bad, 4000u);
}
