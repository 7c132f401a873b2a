// Validation of pupil and SEN-status records: identifiers, census codes by date, and the need
// ranking rules (reference sections 1-3).
#include <gtest/gtest.h>

#include <functional>

#include "tests/domain/fixtures.h"

using namespace sendsync;
using namespace sendsync::domain;
using namespace sendsync::domain::testing;

TEST(ValidatePupil, AWellFormedPupilHasNoIssues) {
  auto issues = Validate(MakePupil());
  EXPECT_TRUE(issues.empty()) << Codes(issues);
}

TEST(ValidatePupil, WrongCheckLetterIsAnErrorOnTheUpn) {
  auto p = MakePupil();
  p.upn = "A801200005001";
  auto issues = Validate(p);
  ASSERT_TRUE(HasCode(issues, "UPN_CHECK_LETTER")) << Codes(issues);
  EXPECT_EQ(FindCode(issues, "UPN_CHECK_LETTER")->path, "upn");
  EXPECT_TRUE(HasErrors(issues));
}

TEST(ValidatePupil, UnknownUpnReasonIsAWarningNotAnError) {
  auto p = MakePupil();
  p.upn = "UN2";
  auto issues = Validate(p);
  ASSERT_TRUE(HasCode(issues, "UPN_UNKNOWN_REASON")) << Codes(issues);
  EXPECT_FALSE(HasErrors(issues)) << Codes(issues);
}

TEST(ValidatePupil, FormerUpnIsCheckedToo) {
  auto p = MakePupil();
  p.former_upn = "Y00180001701A";  // temporary UPN with the wrong letter (X is right)
  auto issues = Validate(p);
  ASSERT_TRUE(HasCode(issues, "UPN_CHECK_LETTER")) << Codes(issues);
  EXPECT_EQ(FindCode(issues, "UPN_CHECK_LETTER")->path, "former_upn");
  p.former_upn = "X00180001701A";
  EXPECT_TRUE(Validate(p).empty());
  p.former_upn = p.upn;
  EXPECT_TRUE(HasCode(Validate(p), "FORMER_UPN_SAME"));
}

TEST(ValidatePupil, UlnIsChecked) {
  auto p = MakePupil();
  p.uln = "9276308686";
  EXPECT_TRUE(Validate(p).empty());
  p.uln = "9276308680";
  EXPECT_TRUE(HasCode(Validate(p), "ULN_CHECK_DIGIT"));
}

TEST(ValidatePupil, CensusCodesAndEstablishmentNumbers) {
  struct Case {
    const char* name;
    std::function<void(records::Pupil&)> edit;
    const char* code;
    Severity severity;
  };
  std::vector<Case> cases = {
      {"sex", [](records::Pupil& p) { p.sex = "U"; }, "SEX_CODE", Severity::kError},
      {"nc year", [](records::Pupil& p) { p.nc_year = "Y6"; }, "NC_YEAR_CODE", Severity::kError},
      {"laestab", [](records::Pupil& p) { p.laestab = "820123"; }, "LAESTAB_FORMAT",
       Severity::kError},
      {"urn", [](records::Pupil& p) { p.school_urn = "12345"; }, "URN_FORMAT", Severity::kWarning},
      {"on roll before birth", [](records::Pupil& p) { p.on_roll_from = D("2010-01-01"); },
       "DATES_OUT_OF_ORDER", Severity::kError},
      {"left before joining",
       [](records::Pupil& p) {
         p.on_roll_from = D("2019-09-02");
         p.on_roll_to = D("2019-07-01");
       },
       "DATES_OUT_OF_ORDER", Severity::kError},
  };
  for (const Case& c : cases) {
    auto p = MakePupil();
    c.edit(p);
    auto issues = Validate(p);
    const Issue* i = FindCode(issues, c.code);
    ASSERT_TRUE(i) << c.name << "\n" << Codes(issues);
    EXPECT_EQ(i->severity, c.severity) << c.name;
  }
  auto p = MakePupil();
  p.laestab = "8201234";
  p.school_urn = "100000";
  EXPECT_TRUE(Validate(p).empty());
}

// ---- SEN status and needs ----

namespace {

records::Sen SenWith(std::string provision, std::vector<records::SenNeed> needs) {
  auto s = MakeSen(std::move(provision));
  s.needs = std::move(needs);
  return s;
}

records::SenNeed Need(const char* type, int rank) {
  return {type, rank, std::nullopt, std::nullopt};
}

}  // namespace

TEST(ValidateSen, RankingRules) {
  struct Case {
    const char* name;
    records::Sen sen;
    const char* code;  // nullptr: no issues
  };
  std::vector<Case> cases = {
      {"K with a primary need", SenWith("K", {Need("SLCN", 1)}), nullptr},
      {"E with primary and secondary", SenWith("E", {Need("ASD", 1), Need("SLCN", 2)}), nullptr},
      {"N with no needs", SenWith("N", {}), nullptr},
      {"K with no need", SenWith("K", {}), "NEED_MISSING"},
      {"E with no need", SenWith("E", {}), "NEED_MISSING"},
      {"secondary without primary", SenWith("K", {Need("MLD", 2)}), "NEED_PRIMARY_MISSING"},
      {"two primaries", SenWith("K", {Need("MLD", 1), Need("SLCN", 1)}), "NEED_PRIMARY_DUPLICATE"},
      {"two secondaries", SenWith("K", {Need("MLD", 1), Need("SLCN", 2), Need("HI", 2)}),
       "NEED_SECONDARY_DUPLICATE"},
      {"type twice", SenWith("K", {Need("MLD", 1), Need("MLD", 2)}), "NEED_TYPE_DUPLICATE"},
      {"rank 3", SenWith("K", {Need("MLD", 1), Need("HI", 3)}), "NEED_RANK_RANGE"},
      {"rank 0", SenWith("K", {Need("MLD", 0)}), "NEED_RANK_RANGE"},
      {"needs when N", SenWith("N", {Need("MLD", 1)}), "NEEDS_WITH_NO_SEN"},
      {"NSA with K", SenWith("K", {Need("NSA", 1)}), nullptr},
      {"NSA with E", SenWith("E", {Need("NSA", 1)}), "NEED_TYPE_NOT_FOR_PROVISION"},
      {"NSA secondary with E", SenWith("E", {Need("ASD", 1), Need("NSA", 2)}),
       "NEED_TYPE_NOT_FOR_PROVISION"},
      {"unknown type", SenWith("K", {Need("ADHD", 1)}), "NEED_TYPE_CODE"},
  };
  for (const Case& c : cases) {
    auto issues = Validate(c.sen);
    if (!c.code) {
      EXPECT_TRUE(issues.empty()) << c.name << "\n" << Codes(issues);
      continue;
    }
    EXPECT_TRUE(HasCode(issues, c.code)) << c.name << "\n" << Codes(issues);
  }
}

TEST(ValidateSen, SecondaryDuplicateIsOnlyAWarning) {
  auto issues = Validate(SenWith("K", {Need("MLD", 1), Need("SLCN", 2), Need("HI", 2)}));
  EXPECT_FALSE(HasErrors(issues)) << Codes(issues);
}

TEST(ValidateSen, EndedNeedsAreHistoryEvenWhenN) {
  auto s = SenWith("N", {{"MLD", 1, D("2022-09-01"), D("2024-07-19")}});
  auto issues = Validate(s);
  EXPECT_TRUE(issues.empty()) << Codes(issues);
}

TEST(ValidateSen, DownSyndromeCheckedAtTheNeedsDate) {
  auto before = SenWith("K", {{"DS", 1, D("2024-10-01"), std::nullopt}});
  auto issues = Validate(before);
  const Issue* i = FindCode(issues, "NEED_TYPE_CODE");
  ASSERT_TRUE(i) << Codes(issues);
  EXPECT_EQ(i->path, "needs[0].type");
  EXPECT_NE(i->message.find("applies only from 2025-01-01"), std::string::npos) << i->message;
  auto after = SenWith("K", {{"DS", 1, D("2025-01-06"), std::nullopt}});
  EXPECT_TRUE(Validate(after).empty()) << Codes(Validate(after));
  // An undated need is a current fact: checked against the newest sets.
  auto undated = SenWith("K", {Need("DS", 1)});
  EXPECT_TRUE(Validate(undated).empty()) << Codes(Validate(undated));
}

TEST(ValidateSen, ProvisionCheckedAtItsStartDate) {
  auto k = MakeSen("K");
  k.provision_start = D("2013-06-01");
  auto issues = Validate(k);
  ASSERT_TRUE(HasCode(issues, "SEN_PROVISION_CODE")) << Codes(issues);
  EXPECT_NE(FindCode(issues, "SEN_PROVISION_CODE")->message.find("applies only from 2014-09-01"),
            std::string::npos);

  auto statement = MakeSen("S");
  statement.needs = {Need("HI", 1)};
  statement.provision_start = D("2019-01-01");
  issues = Validate(statement);
  ASSERT_TRUE(HasCode(issues, "SEN_PROVISION_CODE")) << Codes(issues);
  EXPECT_NE(FindCode(issues, "SEN_PROVISION_CODE")->message.find("ended on 2018-04-01"),
            std::string::npos);
}

// The legacy codes S, A and P may appear in history episodes, never as the current status, even
// with a start date from when they were in force.
TEST(ValidateSen, LegacyCodesAreRefusedAsTheCurrentStatus) {
  for (const char* code : {"S", "A", "P"}) {
    auto s = MakeSen(code);
    s.needs = {Need("HI", 1)};
    s.provision_start = D("2013-01-07");
    auto issues = Validate(s);
    const Issue* i = FindCode(issues, "SEN_PROVISION_HISTORY_ONLY");
    ASSERT_TRUE(i) << code << ": " << Codes(issues);
    EXPECT_EQ(i->path, "provision");
    EXPECT_TRUE(HasErrors(issues));
    EXPECT_NE(i->message.find("history episodes only"), std::string::npos) << i->message;
  }
  // The same code in a closed history episode is fine.
  auto k = SenWith("K", {Need("HI", 1)});
  k.provision_start = D("2014-09-01");
  k.history = {{"S", D("2013-01-07"), D("2014-08-31")}, {"K", D("2014-09-01"), std::nullopt}};
  EXPECT_TRUE(Validate(k).empty()) << Codes(Validate(k));
}

TEST(ValidateSen, UnknownProvisionListsTheCodesInForce) {
  auto s = MakeSen("K");
  s.provision = "M";
  auto issues = Validate(s);
  const Issue* i = FindCode(issues, "SEN_PROVISION_CODE");
  ASSERT_TRUE(i) << Codes(issues);
  EXPECT_NE(i->message.find("expected one of N, K, E"), std::string::npos) << i->message;
}

TEST(ValidateSen, HistoryEpisodesAreCheckedAtTheirOwnDates) {
  auto s = SenWith("E", {Need("ASD", 1)});
  s.provision_start = D("2023-09-04");
  s.history = {{"A", D("2012-09-03"), D("2014-08-31")},
               {"K", D("2014-09-01"), D("2023-09-03")},
               {"E", D("2023-09-04"), std::nullopt}};
  EXPECT_TRUE(Validate(s).empty()) << Codes(Validate(s));

  s.history[0].provision = "K";  // K did not exist in 2012
  auto issues = Validate(s);
  ASSERT_TRUE(HasCode(issues, "SEN_HISTORY_CODE")) << Codes(issues);
  EXPECT_EQ(FindCode(issues, "SEN_HISTORY_CODE")->path, "history[0].provision");
}

TEST(ValidateSen, HistoryMayNotOverlapOrRunBackwards) {
  auto s = SenWith("E", {Need("ASD", 1)});
  s.history = {{"K", D("2019-09-02"), D("2023-10-01")}, {"E", D("2023-09-04"), std::nullopt}};
  EXPECT_TRUE(HasCode(Validate(s), "SEN_HISTORY_OVERLAP"));
  s.history = {{"K", D("2019-09-02"), std::nullopt}, {"E", D("2023-09-04"), std::nullopt}};
  EXPECT_TRUE(HasCode(Validate(s), "SEN_HISTORY_OVERLAP"));
  // Ends are inclusive: an episode ending on the day the next starts overlaps it by that day.
  s.history = {{"K", D("2019-09-02"), D("2023-09-04")}, {"E", D("2023-09-04"), std::nullopt}};
  EXPECT_TRUE(HasCode(Validate(s), "SEN_HISTORY_OVERLAP"));
  s.history = {{"K", D("2019-09-02"), D("2023-09-03")}, {"E", D("2023-09-04"), std::nullopt}};
  EXPECT_FALSE(HasCode(Validate(s), "SEN_HISTORY_OVERLAP")) << Codes(Validate(s));
  s.history = {{"E", D("2023-09-04"), std::nullopt}, {"K", D("2019-09-02"), D("2023-09-03")}};
  EXPECT_TRUE(HasCode(Validate(s), "DATES_OUT_OF_ORDER"));
  s.history = {{"K", D("2019-09-02"), D("2019-01-01")}};
  EXPECT_TRUE(HasCode(Validate(s), "DATES_OUT_OF_ORDER"));
}

TEST(ValidateSen, OpenEpisodeDisagreeingWithCurrentProvisionIsAWarning) {
  auto s = SenWith("E", {Need("ASD", 1)});
  s.history = {{"K", D("2019-09-02"), std::nullopt}};
  auto issues = Validate(s);
  ASSERT_TRUE(HasCode(issues, "SEN_HISTORY_MISMATCH")) << Codes(issues);
  EXPECT_FALSE(HasErrors(issues));
}

TEST(ValidateSen, SenUnitFlagWithNoSenIsAWarning) {
  auto s = MakeSen("N");
  s.sen_unit = true;
  auto issues = Validate(s);
  ASSERT_TRUE(HasCode(issues, "SEN_UNIT_WITHOUT_SEN")) << Codes(issues);
  EXPECT_FALSE(HasErrors(issues));
}

TEST(ProvisionOn, UsesHistoryThenCurrent) {
  auto s = SenWith("E", {Need("ASD", 1)});
  s.provision_start = D("2023-09-04");
  s.history = {{"K", D("2019-09-02"), D("2023-09-03")}, {"E", D("2023-09-04"), std::nullopt}};
  EXPECT_EQ(ProvisionOn(s, D("2020-01-01")), std::optional<std::string>("K"));
  EXPECT_EQ(ProvisionOn(s, D("2023-09-04")), std::optional<std::string>("E"));
  EXPECT_EQ(ProvisionOn(s, D("2019-01-01")), std::nullopt);
  s.history.clear();
  EXPECT_EQ(ProvisionOn(s, D("2024-01-01")), std::optional<std::string>("E"));
  EXPECT_EQ(ProvisionOn(s, D("2022-01-01")), std::nullopt);
}

// End dates are inclusive (docs/records.md): a pupil has an episode's status on its first and its
// last day, and the next episode's from the day after.
TEST(ProvisionOn, EpisodesHoldOnBothEdges) {
  auto s = SenWith("N", {});
  s.provision_start = D("2025-02-03");
  s.history = {{"N", D("2019-09-02"), D("2021-01-10")},
               {"K", D("2021-01-11"), D("2025-02-02")},
               {"N", D("2025-02-03"), std::nullopt}};
  EXPECT_EQ(ProvisionOn(s, D("2021-01-10")), std::optional<std::string>("N"));
  EXPECT_EQ(ProvisionOn(s, D("2021-01-11")), std::optional<std::string>("K"));  // first day
  EXPECT_EQ(ProvisionOn(s, D("2025-02-02")), std::optional<std::string>("K"));  // last day
  EXPECT_EQ(ProvisionOn(s, D("2025-02-03")), std::optional<std::string>("N"));
  EXPECT_EQ(ProvisionOn(s, D("2019-09-01")), std::nullopt);
}

// A need with an end date is still current on that date, and history the day after.
TEST(ValidateSen, NeedEndingTodayIsStillCurrent) {
  auto s = SenWith("N", {{"SPLD", 1, D("2020-01-06"), LatestCodesDate()}});
  EXPECT_TRUE(HasCode(Validate(s), "NEEDS_WITH_NO_SEN")) << Codes(Validate(s));
  s.needs[0].end = LatestCodesDate().AddDays(-1);
  EXPECT_FALSE(HasCode(Validate(s), "NEEDS_WITH_NO_SEN")) << Codes(Validate(s));
}

// Attendance a person can trust: no more sessions attended than possible, periods in order.
TEST(ValidatePupil, AttendanceAboveWhatWasPossibleIsAnError) {
  auto p = MakePupil();
  p.attendance.push_back({D("2024-09-04"), D("2024-12-20"), 300, 301});
  auto issues = Validate(p);
  ASSERT_TRUE(HasCode(issues, "ATTENDANCE_SESSIONS")) << Codes(issues);
  EXPECT_EQ(FindCode(issues, "ATTENDANCE_SESSIONS")->path, "attendance[0].attended_sessions");
  p.attendance[0].attended_sessions = 300;  // the edge: every possible session attended
  EXPECT_FALSE(HasCode(Validate(p), "ATTENDANCE_SESSIONS"));
  p.attendance[0].to = D("2024-09-03");
  EXPECT_TRUE(HasCode(Validate(p), "DATES_OUT_OF_ORDER"));
}

TEST(ValidatePupil, HomeLaIsAThreeDigitLaCode) {
  auto p = MakePupil();
  p.home_la = "821";
  EXPECT_FALSE(HasCode(Validate(p), "LA_CODE_FORMAT"));
  p.home_la = "82";
  auto issues = Validate(p);
  ASSERT_TRUE(HasCode(issues, "LA_CODE_FORMAT")) << Codes(issues);
  EXPECT_EQ(FindCode(issues, "LA_CODE_FORMAT")->path, "home_la");
}
