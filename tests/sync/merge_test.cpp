// The three-way merge, code maps and link settings: pure functions, one behaviour per test.
#include <gtest/gtest.h>

#include "core/sync/sync.h"

using namespace sendsync::sync;
using nlohmann::json;

namespace {

MergeOutcome M(const json& base, const json& ours, const json& theirs, const KindSettings& s = {},
               std::set<std::string> held = {}) {
  return Merge(base.is_null() ? nullptr : &base, ours.is_null() ? nullptr : &ours, theirs, s, held);
}

}  // namespace

TEST(Merge, NewRecordTakesEverythingTheLinkSent) {
  auto m = M(nullptr, nullptr, {{"provision", "K"}, {"sen_unit", false}});
  EXPECT_EQ(m.merged, json({{"provision", "K"}, {"sen_unit", false}}));
  EXPECT_EQ(m.agreed_base, m.merged);
  EXPECT_TRUE(m.conflicts.empty());
}

TEST(Merge, OnlyTheLinkChangedAFieldSoItIsTaken) {
  auto m = M({{"provision", "K"}}, {{"provision", "K"}}, {{"provision", "E"}});
  EXPECT_EQ(m.merged["provision"], "E");
  EXPECT_EQ(m.changed, std::vector<std::string>{"provision"});
}

TEST(Merge, OnlyTheHubChangedAFieldSoItIsKeptAndTheBaseStays) {
  auto m = M({{"provision", "K"}}, {{"provision", "E"}}, {{"provision", "K"}});
  EXPECT_EQ(m.merged["provision"], "E");
  EXPECT_EQ(m.agreed_base["provision"], "K") << "the link has not got the hub's value yet";
  EXPECT_TRUE(m.changed.empty());
}

TEST(Merge, BothSidesMadeTheSameChangeSoTheyAgree) {
  auto m = M({{"provision", "K"}}, {{"provision", "E"}}, {{"provision", "E"}});
  EXPECT_TRUE(m.conflicts.empty());
  EXPECT_EQ(m.agreed_base["provision"], "E");
}

TEST(Merge, ConflictWhenBothSidesChangeSameFieldWithoutAuthority) {
  auto m = M({{"provision", "K"}}, {{"provision", "E"}}, {{"provision", "N"}});
  ASSERT_EQ(m.conflicts.size(), 1u);
  EXPECT_EQ(m.conflicts[0].field, "provision");
  EXPECT_EQ(*m.conflicts[0].base, "K");
  EXPECT_EQ(*m.conflicts[0].ours, "E");
  EXPECT_EQ(*m.conflicts[0].theirs, "N");
  EXPECT_EQ(m.merged["provision"], "E") << "nothing is overwritten while a person decides";
  EXPECT_EQ(m.agreed_base["provision"], "K");
}

TEST(Merge, LinkAuthorityWinsABothSidesChange) {
  KindSettings s;
  s.authority["legal_surname"] = FieldAuthority::kLink;
  auto m = M({{"legal_surname", "A"}}, {{"legal_surname", "B"}}, {{"legal_surname", "C"}}, s);
  EXPECT_TRUE(m.conflicts.empty());
  EXPECT_EQ(m.merged["legal_surname"], "C");
}

TEST(Merge, HubAuthorityKeepsOursAndRecordsWhatTheLinkHas) {
  KindSettings s;
  s.authority["*"] = FieldAuthority::kHub;
  auto m = M({{"decision", "A"}}, {{"decision", "B"}}, {{"decision", "C"}}, s);
  EXPECT_TRUE(m.conflicts.empty());
  EXPECT_EQ(m.merged["decision"], "B");
  EXPECT_EQ(m.agreed_base["decision"], "C");
}

TEST(Merge, FieldLeftOutIsNoOpinionNotADeletion) {
  auto m = M({{"local_status", "monitoring"}, {"provision", "K"}},
             {{"local_status", "monitoring"}, {"provision", "K"}}, {{"provision", "K"}});
  EXPECT_EQ(m.merged["local_status"], "monitoring");
  EXPECT_TRUE(m.changed.empty());
}

TEST(Merge, ExplicitNullClearsAField) {
  auto m = M({{"local_status", "monitoring"}}, {{"local_status", "monitoring"}},
             {{"local_status", nullptr}});
  EXPECT_FALSE(m.merged.contains("local_status"));
  EXPECT_EQ(m.changed, std::vector<std::string>{"local_status"});
}

TEST(Merge, HeldFieldIsLeftAloneWhileAPersonDecides) {
  auto m = M({{"provision", "K"}}, {{"provision", "K"}}, {{"provision", "E"}}, {}, {"provision"});
  EXPECT_EQ(m.merged["provision"], "K");
  EXPECT_TRUE(m.conflicts.empty());
}

TEST(Merge, FirstSightOfAnExistingRecordConflictsOnlyWhereValuesDiffer) {
  // A second link meets a pupil the hub already has: no base yet.
  auto m = M(nullptr, {{"dob", "2014-03-02"}, {"sex", "F"}}, {{"dob", "2014-03-02"}, {"sex", "M"}});
  ASSERT_EQ(m.conflicts.size(), 1u);
  EXPECT_EQ(m.conflicts[0].field, "sex");
  EXPECT_FALSE(m.conflicts[0].base.has_value());
  EXPECT_EQ(m.agreed_base["dob"], "2014-03-02");
}

TEST(CodeMaps, LocalCodesBecomeCanonicalAndUnmappedOnesAreProblems) {
  KindSettings s;
  s.code_maps["provision"] = {{"SEN Support", "K"}, {"EHC Plan", "E"}};
  s.code_maps["needs.type"] = {{"Autism", "ASD"}};
  json r = {{"provision", "SEN Support"},
            {"needs", {{{"type", "Autism"}, {"rank", 1}}, {{"type", "Dyslexia"}, {"rank", 2}}}}};
  auto problems = ApplyCodeMaps(r, s);
  EXPECT_EQ(r["provision"], "K");
  EXPECT_EQ(r["needs"][0]["type"], "ASD");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("needs[1].type: no code map entry for \"Dyslexia\""), std::string::npos)
      << problems[0];
}

TEST(CodeMaps, CanonicalCodesAlreadyInTheMapPassAndReverseMapsBack) {
  KindSettings s;
  s.code_maps["provision"] = {{"SEN Support", "K"}};
  json r = {{"provision", "K"}};
  EXPECT_TRUE(ApplyCodeMaps(r, s).empty());
  ReverseCodeMaps(r, s);
  EXPECT_EQ(r["provision"], "SEN Support");
}

TEST(Settings, ErrorsNameTheKey) {
  auto bad = [](const json& j) { return LinkSettings::Parse(j, nullptr).status().message(); };
  EXPECT_NE(bad({{"kinds", {{"pupils", json::object()}}}}).find("kinds.pupils: unknown record kind"),
            std::string::npos);
  EXPECT_NE(bad({{"kinds", {{"sen", {{"direction", "sideways"}}}}}}).find("kinds.sen.direction"),
            std::string::npos);
  EXPECT_NE(bad({{"kinds", {{"sen", {{"authority", {{"shoe", "link"}}}}}}}})
                .find("kinds.sen.authority.shoe: is not a field of sen"),
            std::string::npos);
  EXPECT_NE(bad({{"kinds", {{"sen", {{"allow", {"provision", "ssn"}}}}}}}).find("\"ssn\""),
            std::string::npos);
  EXPECT_NE(bad({{"kinds", {{"sen", {{"colour", 1}}}}}}).find("kinds.sen.colour: unknown key"),
            std::string::npos);
}

TEST(Settings, AuthorityIsParsedToItsEnumAndPrintedBackAsItsWireString) {
  json j = {{"kinds", {{"sen", {{"authority", {{"provision", "link"}, {"*", "hub"}}}}}}}};
  auto s = LinkSettings::Parse(j, nullptr);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const KindSettings* sen = s->Find("sen");
  ASSERT_NE(sen, nullptr);
  EXPECT_EQ(sen->AuthorityFor("provision"), FieldAuthority::kLink);
  EXPECT_EQ(sen->AuthorityFor("needs"), FieldAuthority::kHub);  // from "*"
  EXPECT_EQ(s->ToJson()["kinds"]["sen"]["authority"], json({{"provision", "link"}, {"*", "hub"}}));
  EXPECT_EQ(KindSettings{}.AuthorityFor("provision"), std::nullopt) << "nobody: a conflict";
}

TEST(Settings, AnAuthorityOtherThanLinkOrHubIsRefusedNamingTheField) {
  auto bad = [](const json& who) {
    return LinkSettings::Parse({{"kinds", {{"sen", {{"authority", {{"provision", who}}}}}}}},
                               nullptr)
        .status()
        .message();
  };
  for (const json& who : {json("Link"), json("owner"), json(1), json(nullptr)})
    EXPECT_NE(bad(who).find("kinds.sen.authority.provision: must be \"link\" or \"hub\""),
              std::string::npos)
        << who.dump() << ": " << bad(who);
}

TEST(FieldAuthorityNames, RoundTripLinkAndHubAndRefuseAnythingElse) {
  for (const auto& [who, name] : kFieldAuthorityNames.names)
    EXPECT_EQ(*ParseFieldAuthority(FieldAuthorityName(who)), who) << name;
  EXPECT_STREQ(FieldAuthorityName(FieldAuthority::kLink), "link");
  EXPECT_STREQ(FieldAuthorityName(FieldAuthority::kHub), "hub");
  auto none = ParseFieldAuthority("none");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().message(), "unknown field authority 'none': expected link or hub");
}

TEST(Settings, DefaultAllowListsKeepSensitiveFieldsIn) {
  auto pupil = DefaultAllow("pupil");
  EXPECT_EQ(std::count(pupil.begin(), pupil.end(), "upn"), 1);
  EXPECT_EQ(std::count(pupil.begin(), pupil.end(), "uln"), 0);
  EXPECT_EQ(std::count(pupil.begin(), pupil.end(), "preferred_forename"), 0);
  auto review = DefaultAllow("review");
  EXPECT_EQ(std::count(review.begin(), review.end(), "parent_voice"), 0);
  EXPECT_EQ(std::count(review.begin(), review.end(), "pupil_voice"), 0);
}

TEST(Settings, RoundTripAndDirectionsMatchTheAdapter) {
  json j = {{"kinds", {{"sen", {{"direction", "both"}, {"authority", {{"provision", "link"}}},
                                {"code_maps", {{"provision", {{"SEN Support", "K"}}}}},
                                {"allow", {"provision", "needs"}}}}}}};
  auto s = LinkSettings::Parse(j, nullptr);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(s->Find("sen")->read && s->Find("sen")->write);
  auto again = LinkSettings::Parse(s->ToJson(), nullptr);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ToJson(), s->ToJson());
  sendsync::plugins::Manifest m;
  m.id = "ro";
  m.reads = {"sen"};
  auto refused = LinkSettings::Parse(j, &m);
  EXPECT_NE(refused.status().message().find("adapter 'ro' cannot write sen"), std::string::npos);
}

TEST(Schedule, FormsAreCheckedWithAHelpfulMessage) {
  for (const char* ok : {"manual", "hourly", "every 15m", "every 30s", "every 2h", "daily 06:30"})
    EXPECT_TRUE(ValidateSchedule(ok).ok()) << ok;
  for (const char* bad : {"", "often", "every 0m", "daily 25:00", "every 5 minutes"}) {
    auto st = ValidateSchedule(bad);
    EXPECT_FALSE(st.ok()) << bad;
    EXPECT_NE(st.message().find("daily 06:30"), std::string::npos);
  }
}
