// The issue-code catalogue is the contract with the store, the CLI and people: every code emitted
// is catalogued with a stable severity, the census numbers are the reference's, and
// docs/domain.md documents every code and every value the reference is unsure of.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/domain/fixtures.h"

using namespace sendsync;
using namespace sendsync::domain;
using namespace sendsync::domain::testing;

namespace {

std::string Doc() {
  std::ifstream in(DOMAIN_DOC);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST(Catalogue, CodesAreUniqueUpperSnakeCase) {
  std::set<std::string> seen;
  for (const IssueCodeInfo& info : IssueCodes()) {
    EXPECT_TRUE(seen.insert(info.code).second) << info.code;
    for (char c : info.code)
      EXPECT_TRUE((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') << info.code;
    EXPECT_FALSE(info.summary.empty()) << info.code;
  }
}

TEST(Catalogue, CensusErrorNumbersAreTheReferences) {
  std::map<std::string, int> expected = {{"UPN_MISSING", 1500},     {"UPN_CHECK_LETTER", 1510},
                                         {"DUPLICATE_UPN", 1520},   {"UPN_LA_CODE", 1530},
                                         {"UPN_NOT_NUMERIC", 1540}, {"ULN_FORMAT", 1575},
                                         {"ULN_CHECK_DIGIT", 1575}};
  for (const IssueCodeInfo& info : IssueCodes()) {
    auto it = expected.find(info.code);
    EXPECT_EQ(info.census_error, it == expected.end() ? 0 : it->second) << info.code;
  }
}

TEST(Catalogue, EveryEmittedCodeIsCatalogued) {
  std::vector<Issue> all;
  auto add = [&](std::vector<Issue> v) { all.insert(all.end(), v.begin(), v.end()); };
  auto pupil = MakePupil();
  pupil.upn = "b8";
  pupil.uln = "0";
  pupil.sex = "?";
  add(Validate(pupil));
  auto sen = MakeSen("E");
  sen.needs = {{"NSA", 1, {}, {}}, {"NSA", 1, {}, {}}, {"XX", 3, {}, {}}};
  sen.history = {{"K", D("2010-01-01"), {}}, {"Q", D("2009-01-01"), {}}};
  add(Validate(sen));
  auto cycle = MakeCycle();
  cycle.status = "?";
  cycle.outcomes.push_back(cycle.outcomes[0]);
  add(Validate(cycle));
  auto prov = MakeProvision();
  prov.area = "?";
  prov.wave = 9;
  prov.group_size = 0;
  prov.end = D("2024-12-13");
  prov.parents_letter = D("2024-12-20");
  add(Validate(prov));
  auto review = MakeReview("R", "C", "2025-01-01");
  review.review_kind = "?";
  add(Validate(review));
  auto ref = MakeReferral();
  ref.request_source = 9;
  ref.status = "?";
  ref.final_plan_date = D("2024-01-01");
  ref.no_plan_date = D("2024-01-01");
  add(Validate(ref));
  auto plan = MakePlan();
  plan.cease_reason = 77;
  add(Validate(plan));
  add(ValidateJson(nlohmann::json::object()));
  ASSERT_GT(all.size(), 20u);
  for (const Issue& i : all) {
    const IssueCodeInfo* info = FindIssueCode(i.code);
    ASSERT_TRUE(info) << i.code;
    EXPECT_EQ(info->severity, i.severity) << i.code;
  }
}

TEST(Catalogue, DocsListEveryCode) {
  std::string doc = Doc();
  ASSERT_FALSE(doc.empty()) << "docs/domain.md is missing";
  for (const IssueCodeInfo& info : IssueCodes())
    EXPECT_NE(doc.find("`" + info.code + "`"), std::string::npos) << info.code;
}

TEST(Catalogue, DocsNameEveryUnsureOrSecondaryValue) {
  std::string doc = Doc();
  for (const RuleFact& f : Rules::Builtin().facts) {
    if (f.confidence != "V") {
      EXPECT_NE(doc.find("`" + f.name + "`"), std::string::npos) << f.name;
    }
  }
  for (const CodeSet& s : CodeSets::Builtin().all()) {
    EXPECT_NE(doc.find("`" + s.id + "`"), std::string::npos) << s.id;
    for (const CodeEntry& e : s.entries) {
      if (e.confidence == "U") {
        EXPECT_NE(doc.find("`" + s.id + ":" + e.code + "`"), std::string::npos)
            << s.id << ":" << e.code;
      }
    }
  }
  for (const char* clock :
       {"review_overdue", "parent_meetings", "ehc_decision_6w", "ehc_no_plan_16w",
        "ehc_final_plan_20w", "draft_comments_15d", "annual_review_12m", "annual_review_notice_2w",
        "annual_review_report_2w", "annual_review_decision_4w", "amended_plan_8w", "amendment_12w",
        "phase_transfer", "ehc_advice_6w", "reassessment_14w", "stage_next", "intervention_letter"})
    EXPECT_NE(doc.find("`" + std::string(clock) + "`"), std::string::npos) << clock;
}

TEST(Catalogue, FormatIssueIsOneLine) {
  auto issue = CheckUpn("B801200005002");
  ASSERT_TRUE(issue);
  EXPECT_EQ(FormatIssue(*issue),
            "error UPN_CHECK_LETTER at upn: UPN check letter is B but characters 2-13 call for Q "
            "(census error 1510)");
}
