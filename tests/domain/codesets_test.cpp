// Code sets are versioned data: every census and SEN2 code, valid or not by date, and the checks
// on a code-set document.
#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "tests/domain/fixtures.h"

using namespace sendsync::domain;
using namespace sendsync::domain::testing;
using nlohmann::json;

namespace {

const CodeSets& Sets() {
  return CodeSets::Builtin();
}

json BuiltinDoc() {
  // Rebuild a document from the built-in sets, so edits in a test start from the real data.
  json doc = {{"format", 1}, {"version", "test"}, {"sets", json::array()}};
  for (const CodeSet& s : Sets().all()) {
    json set = {
        {"id", s.id}, {"label", s.label}, {"confidence", s.confidence}, {"codes", json::array()}};
    if (s.required_from) set["required_from"] = s.required_from->ToString();
    for (const CodeEntry& e : s.entries) {
      json c = {{"code", e.code}, {"label", e.label}, {"confidence", e.confidence}};
      if (e.from) c["from"] = e.from->ToString();
      if (e.until) c["until"] = e.until->ToString();
      if (!e.group.empty()) c["group"] = e.group;
      if (!e.only_with.empty()) c["only_with"] = e.only_with;
      if (!e.requester_roles.empty()) c["requester_roles"] = e.requester_roles;
      set["codes"].push_back(c);
    }
    doc["sets"].push_back(set);
  }
  return doc;
}

json& SetIn(json& doc, std::string_view id) {
  for (json& s : doc["sets"])
    if (s["id"] == id) return s;
  throw std::runtime_error("no set");
}

}  // namespace

TEST(CodeSets, EveryCensusProvisionCodeByDate) {
  struct Case {
    const char* code;
    const char* date;
    bool valid;
  };
  for (const Case& c : {
           Case{"N", "2010-01-21", true},  Case{"N", "2026-01-15", true},
           Case{"K", "2014-08-31", false}, Case{"K", "2014-09-01", true},
           Case{"K", "2026-01-15", true},  Case{"E", "2014-08-31", false},
           Case{"E", "2014-09-01", true},  Case{"E", "2026-01-15", true},
           Case{"S", "2013-01-17", true},  Case{"S", "2018-03-31", true},
           Case{"S", "2018-04-01", false}, Case{"A", "2014-01-16", true},
           Case{"A", "2015-08-31", true},  Case{"A", "2015-09-01", false},
           Case{"P", "2014-01-16", true},  Case{"P", "2015-09-01", false},
           Case{"X", "2020-01-16", false}, Case{"k", "2020-01-16", false},
           Case{"", "2020-01-16", false},
       })
    EXPECT_EQ(Sets().ProvisionValid(c.code, D(c.date)), c.valid) << c.code << " on " << c.date;
}

TEST(CodeSets, CurrentProvisionCodesAreNKE) {
  EXPECT_EQ(Sets().CodesInForce(sets::kSenProvision, D("2025-01-16")),
            (std::vector<std::string>{"N", "K", "E"}));
  EXPECT_EQ(Sets().CodesInForce(sets::kSenProvision, D("2014-01-16")),
            (std::vector<std::string>{"N", "S", "A", "P"}));
}

TEST(CodeSets, EveryNeedTypeWithItsBroadArea) {
  struct Case {
    const char* code;
    const char* area;
  };
  for (const Case& c : {Case{"SPLD", "CL"}, Case{"MLD", "CL"}, Case{"SLD", "CL"},
                        Case{"PMLD", "CL"}, Case{"SEMH", "SEMH"}, Case{"SLCN", "CI"},
                        Case{"ASD", "CI"}, Case{"HI", "SP"}, Case{"VI", "SP"}, Case{"MSI", "SP"},
                        Case{"PD", "SP"}, Case{"OTH", ""}, Case{"NSA", ""}, Case{"DS", ""}}) {
    EXPECT_TRUE(Sets().NeedTypeValid(c.code, D("2025-06-01"))) << c.code;
    EXPECT_EQ(Sets().BroadAreaOfNeed(c.code), c.area) << c.code;
  }
  for (const char* bad : {"ADHD", "asd", "SEN", "", "BESD"})
    EXPECT_FALSE(Sets().NeedTypeValid(bad, D("2025-06-01"))) << bad;
}

TEST(CodeSets, DownSyndromeOnlyFromTheJanuary2025Census) {
  EXPECT_FALSE(Sets().NeedTypeValid("DS", D("2024-12-31")));
  EXPECT_EQ(Sets().Check(sets::kNeedType, "DS", D("2024-10-03")), CodeStatus::kNotYetInForce);
  EXPECT_TRUE(Sets().NeedTypeValid("DS", D("2025-01-01")));
  EXPECT_TRUE(Sets().NeedTypeValid("DS", D("2025-01-16")));
}

TEST(CodeSets, BesdBefore2015AndSemhAfter) {
  EXPECT_TRUE(Sets().NeedTypeValid("BESD", D("2014-01-16")));
  EXPECT_EQ(Sets().Check(sets::kNeedType, "BESD", D("2015-01-15")), CodeStatus::kEnded);
  EXPECT_TRUE(Sets().NeedTypeValid("SEMH", D("2015-01-15")));
  EXPECT_FALSE(Sets().NeedTypeValid("SEMH", D("2014-01-16")));
}

TEST(CodeSets, NsaIsLimitedToSenSupport) {
  const CodeEntry* nsa = Sets().FindEntry(sets::kNeedType, "NSA");
  ASSERT_TRUE(nsa);
  EXPECT_EQ(nsa->only_with, std::vector<std::string>{"K"});
}

TEST(CodeSets, BroadAreasAreTheFourAreasOfNeed) {
  for (const char* a : {"CL", "SEMH", "CI", "SP"})
    EXPECT_TRUE(Sets().BroadAreaValid(a, D("2025-01-01"))) << a;
  for (const char* a : {"C&L", "OTH", "cl", ""})
    EXPECT_FALSE(Sets().BroadAreaValid(a, D("2025-01-01"))) << a;
}

TEST(CodeSets, Sen2RequestAndAssessmentOutcomes) {
  for (const char* c : {"Y", "N", "A", "W", "H"}) {
    EXPECT_TRUE(Sets().RequestOutcomeValid(c, D("2025-01-01"))) << c;
    EXPECT_TRUE(Sets().AssessmentOutcomeValid(c, D("2025-01-01"))) << c;
  }
  for (const char* c : {"y", "X", "M", ""}) {
    EXPECT_FALSE(Sets().RequestOutcomeValid(c, D("2025-01-01"))) << c;
    EXPECT_FALSE(Sets().AssessmentOutcomeValid(c, D("2025-01-01"))) << c;
  }
}

TEST(CodeSets, Sen2ReviewOutcomes) {
  for (const char* c : {"A", "C", "M"}) EXPECT_TRUE(Sets().ReviewOutcomeValid(c, D("2025-01-01")));
  for (const char* c : {"Y", "N", "a"}) EXPECT_FALSE(Sets().ReviewOutcomeValid(c, D("2025-01-01")));
}

TEST(CodeSets, Sen2CeaseReasonsOneToNine) {
  for (int c = 1; c <= 9; ++c) EXPECT_TRUE(Sets().CeaseReasonValid(c, D("2025-01-01"))) << c;
  for (int c : {0, 10, -1}) EXPECT_FALSE(Sets().CeaseReasonValid(c, D("2025-01-01"))) << c;
  EXPECT_EQ(Sets().FindEntry(sets::kCeaseReason, "8")->label, "Died");
}

TEST(CodeSets, Sen2RequestSourcesOneToFiveMandatoryFrom2026) {
  for (int c = 1; c <= 5; ++c) EXPECT_TRUE(Sets().RequestSourceValid(c, D("2026-01-01"))) << c;
  for (int c : {0, 6}) EXPECT_FALSE(Sets().RequestSourceValid(c, D("2026-01-01"))) << c;
  const CodeSet* set = Sets().Find(sets::kRequestSource);
  ASSERT_TRUE(set && set->required_from);
  EXPECT_EQ(*set->required_from, D("2026-01-01"));
  EXPECT_EQ(set->Find("1")->requester_roles, (std::vector<std::string>{"parent", "young_person"}));
}

TEST(CodeSets, UnknownUpnReasons) {
  for (const char* c : {"UN1", "UN2", "UN3", "UN5", "UN8", "UN9", "UN10"})
    EXPECT_TRUE(Sets().UnknownUpnReason(c)) << c;
  for (const char* c : {"UN4", "UN6", "UN7", "UN0", "un1", "B801200005001"})
    EXPECT_FALSE(Sets().UnknownUpnReason(c)) << c;
}

TEST(CodeSets, NationalCurriculumYearsAndSex) {
  for (const char* y : {"N1", "N2", "R", "1", "6", "11", "14", "X"})
    EXPECT_TRUE(Sets().NcYearValid(y, D("2025-01-01"))) << y;
  for (const char* y : {"0", "15", "Y6", "r", ""})
    EXPECT_FALSE(Sets().NcYearValid(y, D("2025-01-01"))) << y;
  EXPECT_TRUE(Sets().SexValid("M", D("2025-01-01")));
  EXPECT_TRUE(Sets().SexValid("F", D("2025-01-01")));
  EXPECT_FALSE(Sets().SexValid("U", D("2025-01-01")));
}

TEST(CodeSets, HubVocabularies) {
  for (const char* k : {"sen_support", "ehc_annual", "interim"})
    EXPECT_TRUE(Sets().ReviewKindValid(k, D("2025-01-01")));
  for (const char* d :
       {"continue", "adjust", "escalate", "end_sen_support", "request_ehc_assessment"})
    EXPECT_TRUE(Sets().ReviewDecisionValid(d, D("2025-01-01")));
  for (const char* p :
       {"not_started", "in_progress", "achieved", "partially_achieved", "not_achieved"})
    EXPECT_TRUE(Sets().TargetProgressValid(p, D("2025-01-01")));
  EXPECT_FALSE(Sets().ReviewKindValid("annual", D("2025-01-01")));
  EXPECT_FALSE(Sets().TargetProgressValid("done", D("2025-01-01")));
}

TEST(CodeSets, CheckDistinguishesUnknownSetUnknownCodeAndEnded) {
  EXPECT_EQ(Sets().Check("no_such_set", "N", D("2025-01-01")), CodeStatus::kUnknownSet);
  EXPECT_EQ(Sets().Check(sets::kSenProvision, "Q", D("2025-01-01")), CodeStatus::kUnknown);
  EXPECT_EQ(Sets().Check(sets::kSenProvision, "S", D("2019-01-17")), CodeStatus::kEnded);
  EXPECT_EQ(Sets().Check(sets::kSenProvision, "K", D("2013-01-17")), CodeStatus::kNotYetInForce);
}

TEST(CodeSets, EveryEntryHasAConfidence) {
  for (const CodeSet& s : Sets().all())
    for (const CodeEntry& e : s.entries)
      EXPECT_TRUE(e.confidence == "V" || e.confidence == "S" || e.confidence == "U")
          << s.id << " " << e.code;
}

TEST(CodeSets, FromJsonRoundTripsTheBuiltinData) {
  auto sets = CodeSets::FromJson(BuiltinDoc());
  ASSERT_TRUE(sets.ok()) << sets.status().ToString();
  EXPECT_EQ(sets->all().size(), Sets().all().size());
  EXPECT_TRUE(sets->NeedTypeValid("DS", D("2025-01-16")));
}

TEST(CodeSets, AnOverrideMovesACodesStartDate) {
  json doc = BuiltinDoc();
  for (json& c : SetIn(doc, "need_type")["codes"])
    if (c["code"] == "DS") c["from"] = "2026-01-01";
  auto sets = CodeSets::FromJson(doc);
  ASSERT_TRUE(sets.ok()) << sets.status().ToString();
  EXPECT_FALSE(sets->NeedTypeValid("DS", D("2025-06-01")));
  EXPECT_TRUE(sets->NeedTypeValid("DS", D("2026-01-15")));
}

TEST(CodeSets, FromJsonRefusesBadDocumentsNamingThePath) {
  struct Case {
    const char* name;
    std::function<void(json&)> edit;
    const char* expect;
  };
  std::vector<Case> cases = {
      {"missing set",
       [](json& d) {
         auto& sets = d["sets"];
         for (size_t i = 0; i < sets.size(); ++i)
           if (sets[i]["id"] == "need_type") sets.erase(i);
       },
       "the set \"need_type\" is required"},
      {"bad date", [](json& d) { SetIn(d, "need_type")["codes"][14]["from"] = "2025-13-01"; },
       "sets[1].codes[14].from: expected a date"},
      {"until before from",
       [](json& d) { SetIn(d, "need_type")["codes"][14]["until"] = "2024-01-01"; },
       "sets[1].codes[14].until: must be after"},
      {"overlapping duplicate",
       [](json& d) {
         SetIn(d, "sex")["codes"].push_back({{"code", "M"}, {"label", "again"}});
       },
       "appears twice with overlapping dates"},
      {"unknown key", [](json& d) { SetIn(d, "sex")["colour"] = "blue"; }, "sets[3].colour"},
      {"wrong format", [](json& d) { d["format"] = 2; }, "code-set format 1"},
      {"group not an area", [](json& d) { SetIn(d, "need_type")["codes"][0]["group"] = "XX"; },
       "group \"XX\" is not a broad_area code"},
      {"bad confidence", [](json& d) { SetIn(d, "sex")["confidence"] = "maybe"; },
       "sets[3].confidence: must be V, S or U"},
  };
  for (const Case& c : cases) {
    json doc = BuiltinDoc();
    c.edit(doc);
    auto r = CodeSets::FromJson(doc);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos)
        << c.name << ": " << r.status().message();
  }
}

TEST(CodeSets, DisjointDuplicatesAreAllowed) {
  json doc = BuiltinDoc();
  SetIn(doc, "sex")["codes"].push_back({{"code", "X"}, {"label", "a"}, {"until", "2020-01-01"}});
  SetIn(doc, "sex")["codes"].push_back({{"code", "X"}, {"label", "b"}, {"from", "2024-01-01"}});
  auto sets = CodeSets::FromJson(doc);
  ASSERT_TRUE(sets.ok()) << sets.status().ToString();
  EXPECT_TRUE(sets->SexValid("X", D("2019-01-01")));
  EXPECT_FALSE(sets->SexValid("X", D("2022-01-01")));
  EXPECT_TRUE(sets->SexValid("X", D("2025-01-01")));
}
