// The rules document: the statutory limits from reference section 6 and the checks on the file.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <map>

#include <nlohmann/json.hpp>

#include "tests/domain/fixtures.h"

using namespace sendsync::domain;
using nlohmann::json;

namespace {

json ShippedRules() {
  std::ifstream in(std::string(DOMAIN_DATA_DIR) + "/rules.json");
  return json::parse(in);
}

}  // namespace

TEST(Rules, StatutoryLimitsAreTheReferenceTable) {
  const Rules& r = Rules::Builtin();
  EXPECT_EQ(r.decide_to_assess_days, 6 * 7);
  EXPECT_EQ(r.no_plan_days, 16 * 7);
  EXPECT_EQ(r.final_plan_days, 20 * 7);
  EXPECT_EQ(r.draft_comment_days, 15);
  EXPECT_EQ(r.annual_review_months, 12);
  EXPECT_EQ(r.review_notice_days, 14);
  EXPECT_EQ(r.review_report_days, 14);
  EXPECT_EQ(r.review_decision_days, 28);
  EXPECT_EQ(r.amended_plan_days, 56);
  EXPECT_EQ(r.amendment_whole_days, 84);
  EXPECT_EQ(r.parent_meetings_per_year, 3);
}

TEST(Rules, ConfidenceFollowsTheReference) {
  std::map<std::string, std::string> expected = {
      {"decide_to_assess_days", "V"},    {"no_plan_days", "V"},
      {"final_plan_days", "S"},          {"draft_comment_days", "S"},
      {"annual_review_months", "S"},     {"review_notice_days", "V"},
      {"review_report_days", "V"},       {"review_decision_days", "S"},
      {"amended_plan_days", "V"},        {"amendment_whole_days", "S"},
      {"parent_meetings_per_year", "S"}, {"sen_support_review_days", "U"},
      {"min_completed_cycles", "S"},     {"advice_days", "S"},
      {"reassessment_days", "V"}};
  for (const RuleFact& f : Rules::Builtin().facts) {
    ASSERT_TRUE(expected.count(f.name)) << f.name;
    EXPECT_EQ(f.confidence, expected[f.name]) << f.name;
  }
  EXPECT_EQ(Rules::Builtin().facts.size(), expected.size());
}

TEST(Rules, ExceptionsSuspendOrExcuse) {
  const Rules& r = Rules::Builtin();
  ASSERT_TRUE(r.FindException("school_closure"));
  EXPECT_TRUE(r.FindException("school_closure")->suspends);
  EXPECT_EQ(r.FindException("school_closure")->min_days, 28);
  EXPECT_EQ(r.FindException("school_closure")->window_shift_days, -7);
  EXPECT_TRUE(r.FindException("away_from_area")->suspends);
  EXPECT_FALSE(r.FindException("exceptional_personal_circumstances")->suspends);
  EXPECT_FALSE(r.FindException("holiday"));
}

TEST(Rules, PhaseTransferDeadlines) {
  std::map<std::string, std::pair<int, int>> got;
  for (const PhaseTransfer& t : Rules::Builtin().phase_transfers) got[t.nc_year] = {t.month, t.day};
  EXPECT_EQ(got["6"], std::make_pair(2, 15));
  EXPECT_EQ(got["11"], std::make_pair(3, 31));
  EXPECT_EQ(got["N2"], std::make_pair(2, 15));
}

TEST(Rules, ShippedFileEqualsTheCompiledInCopy) {
  auto r = Rules::FromJson(ShippedRules());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->final_plan_days, Rules::Builtin().final_plan_days);
  EXPECT_EQ(r->term_ends, Rules::Builtin().term_ends);
}

TEST(Rules, FromJsonRefusesBadDocumentsNamingThePath) {
  struct Case {
    const char* name;
    std::function<void(json&)> edit;
    const char* expect;
  };
  std::vector<Case> cases = {
      {"missing limit", [](json& d) { d["limits"].erase("final_plan_days"); },
       "limits.final_plan_days: is required"},
      {"unknown limit",
       [](json& d) {
         d["limits"]["tea_break_days"] = {{"value", 1}, {"confidence", "U"}};
       },
       "limits.tea_break_days: is not a known limit"},
      {"zero limit", [](json& d) { d["limits"]["no_plan_days"]["value"] = 0; },
       "limits.no_plan_days.value: must be positive"},
      {"unknown reason", [](json& d) { d["exceptions"][0]["reason"] = "snow"; },
       "exceptions[0].reason: \"snow\" is not in the clock_exception_reason code set"},
      {"reason without rule", [](json& d) { d["exceptions"].erase(2); },
       "no rule for the reason \"exceptional_personal_circumstances\""},
      {"bad effect", [](json& d) { d["exceptions"][0]["effect"] = "ignore"; },
       "exceptions[0].effect: must be \"suspend\" or \"excuse\""},
      {"bad deadline", [](json& d) { d["phase_transfers"][1]["deadline"] = "02-30"; },
       "phase_transfers[1].deadline: expected \"mm-dd\""},
      {"bad year", [](json& d) { d["phase_transfers"][1]["nc_year"] = "Y6"; },
       "phase_transfers[1].nc_year"},
      {"terms out of order",
       [](json& d) {
         d["term_ends"]["value"] = {"04-30", "12-31", "07-31"};
       },
       "term_ends.value[1]: term ends must be in school-year order"},
      {"unknown role", [](json& d) { d["specialist_roles"]["value"].push_back("wizard"); },
       "is not a contribution_role code"},
  };
  for (const Case& c : cases) {
    json doc = ShippedRules();
    c.edit(doc);
    auto r = Rules::FromJson(doc);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos)
        << c.name << ": " << r.status().message();
  }
}
