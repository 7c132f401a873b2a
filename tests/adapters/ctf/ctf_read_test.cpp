// Reading good CTF files: what the hub gets for each pupil of the hand-written fixtures (a primary
// school's Year 6, a secondary school's movers, and an older CTF 24 export).
#include <gtest/gtest.h>

#include "ctf_test_support.h"

namespace {

using namespace ctftest;

const char* kPrimary = "good/8201234_CTF_8214567_001.xml";
const char* kSecondary = "good/8734002_CTF_8734123_001.xml";
const char* kOlder = "good/8214567_CTF_8201234_003.xml";

class CtfRead : public testing::Test {
 protected:
  json ReadFixture(const char* fixture, const std::string& kind) {
    w_.Drop(fixture);
    auto c = Open(w_.Config());
    EXPECT_NE(c, nullptr);
    if (!c) return json::object();
    json all = ReadAll(*c, kind);
    EXPECT_TRUE(all["rejects"].empty()) << all["rejects"].dump(2);
    return all["records"];
  }
  Workspace w_;
};

TEST_F(CtfRead, PrimaryFileGivesEveryPupilWithTheirIdentity) {
  json records = ReadFixture(kPrimary, "pupil");
  ASSERT_EQ(records.size(), 5u);
  // Unknown optional elements (Address, Contacts, Attendance, FSMhistory, ...) leave no trace.
  EXPECT_EQ(ByUpn(records, "T820123414001"), json({{"kind", "pupil"},
                                                   {"id", "T820123414001"},
                                                   {"upn", "T820123414001"},
                                                   {"legal_surname", "Hughes"},
                                                   {"legal_forename", "Amelia"},
                                                   {"preferred_surname", "Hughes"},
                                                   {"preferred_forename", "Millie"},
                                                   {"dob", "2014-10-03"},
                                                   {"sex", "F"},
                                                   {"nc_year", "6"}}));
}

TEST_F(CtfRead, PupilIdIsTheUpnBecauseACtfHasNoOtherId) {
  for (const json& p : ReadFixture(kPrimary, "pupil")) EXPECT_EQ(p["id"], p["upn"]);
}

TEST_F(CtfRead, MiddleNamesAndFormerUpnAreKept) {
  json records = ReadFixture(kPrimary, "pupil");
  EXPECT_EQ(ByUpn(records, "W820123414003").value("middle_names", ""), "Grace");
  EXPECT_EQ(ByUpn(records, "B820123415017").value("former_upn", ""), "P82012341603A")
      << "the temporary UPN the pupil had before";
  EXPECT_FALSE(ByUpn(records, "T820123414001").contains("former_upn"))
      << "an empty <FormerUPN/> means none";
}

TEST_F(CtfRead, PupilWithoutSenHistoryHasNoSenRecord) {
  json records = ReadFixture(kPrimary, "sen");
  EXPECT_EQ(records.size(), 4u);
  EXPECT_TRUE(ByUpn(records, "T820123414001").is_null());
}

TEST_F(CtfRead, SenRecordNamesItsPupilByUpn) {
  json sen = ByUpn(ReadFixture(kPrimary, "sen"), "G820123414002");
  EXPECT_EQ(sen, json({{"kind", "sen"},
                       {"pupil", {{"id", "G820123414002"}, {"upn", "G820123414002"}}},
                       {"provision", "K"},
                       {"provision_start", "2022-09-05"},
                       {"needs", {{{"type", "SLCN"}, {"rank", 1}}}},
                       {"history", {{{"provision", "K"}, {"start", "2022-09-05"}}}},
                       {"sen_unit", false},
                       {"resourced_provision", false}}));
}

TEST_F(CtfRead, HistoryOfKThenEGivesCurrentEAndEndsTheKTheDayBefore) {
  // The file lists the E episode first: the history comes back oldest first all the same.
  json sen = ByUpn(ReadFixture(kPrimary, "sen"), "W820123414003");
  EXPECT_EQ(sen["provision"], "E");
  EXPECT_EQ(sen["provision_start"], "2024-03-18");
  EXPECT_EQ(sen["history"], json::parse(R"([
    {"provision": "K", "start": "2021-01-11", "end": "2024-03-17"},
    {"provision": "E", "start": "2024-03-18"}])"));
}

TEST_F(CtfRead, NeedsComeRankedWithTheirDates) {
  json sen = ByUpn(ReadFixture(kPrimary, "sen"), "W820123414003");
  EXPECT_EQ(sen["needs"], json::parse(R"([
    {"type": "ASD", "rank": 1, "start": "2021-01-11"},
    {"type": "SLCN", "rank": 2}])"));
}

TEST_F(CtfRead, PupilWhoLeftSenSupportIsProvisionN) {
  json sen = ByUpn(ReadFixture(kPrimary, "sen"), "C820123418042");
  EXPECT_EQ(sen["provision"], "N");
  EXPECT_EQ(sen["provision_start"], "2023-07-20");
  EXPECT_EQ(sen["needs"], json::array());
  EXPECT_EQ(sen["history"][0],
            json({{"provision", "K"}, {"start", "2020-02-03"}, {"end", "2023-07-19"}}));
}

TEST_F(CtfRead, SecondaryFileCarriesUlnsAndRankedNeeds) {
  w_.Drop(kSecondary);
  auto c = Open(w_.Config());
  ASSERT_NE(c, nullptr);
  json pupils = ReadAll(*c, "pupil")["records"];
  json sen = ReadAll(*c, "sen")["records"];
  ASSERT_EQ(pupils.size(), 4u);
  ASSERT_EQ(sen.size(), 3u) << "Maya Ahmed has no SEN history";
  EXPECT_EQ(ByUpn(pupils, "X873400212045").value("uln", ""), "9276308686");
  EXPECT_EQ(ByUpn(pupils, "X873400212045").value("nc_year", ""), "11");
  json jacob = ByUpn(sen, "X873400212045");
  EXPECT_EQ(jacob["provision"], "E");
  EXPECT_EQ(jacob["needs"], json::parse(R"([{"type":"SEMH","rank":1},{"type":"SPLD","rank":2}])"));
  EXPECT_EQ(jacob["history"][0]["end"], "2023-05-09");
}

TEST_F(CtfRead, PreviousVersionIsAcceptedAndGenderMeansSex) {
  json records = ReadFixture(kOlder, "pupil");
  ASSERT_EQ(records.size(), 2u);
  json zoe = ByUpn(records, "F821456710033");
  EXPECT_EQ(zoe["sex"], "F");
  EXPECT_EQ(zoe["legal_forename"], "Zo\xc3\xab") << "ISO-8859-1 text arrives as UTF-8";
  EXPECT_EQ(zoe["legal_surname"], "O'Brien");
}

TEST_F(CtfRead, LegacyAndDatedCodesPassThroughForTheHostToJudge) {
  // A/K/E history with BESD (a census code before 2015): whether a code is valid for its date is
  // the host's rule, and its code maps may translate it, so the adapter passes them as found.
  json jan = ByUpn(ReadFixture(kOlder, "sen"), "A821456709120");
  EXPECT_EQ(jan["history"][0],
            json({{"provision", "A"}, {"start", "2012-11-05"}, {"end", "2014-08-31"}}));
  EXPECT_EQ(jan["provision"], "E");
  EXPECT_EQ(jan["needs"][0]["type"], "BESD");
}

TEST_F(CtfRead, NewerNeedCodesDsAndNsaPassThrough) {
  json sen = ReadFixture(kSecondary, "sen");
  EXPECT_EQ(ByUpn(sen, "L873400213377")["needs"][0]["type"], "DS");
  Workspace other;
  other.Drop(kPrimary);
  auto c = Open(other.Config());
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(ByUpn(ReadAll(*c, "sen")["records"], "B820123415017")["needs"][0]["type"], "NSA");
}

TEST_F(CtfRead, SeveralFilesArriveInTheOrderTheyWereDropped) {
  fs::path a = w_.Drop(kSecondary), b = w_.Drop(kPrimary);
  auto now = fs::file_time_type::clock::now();
  fs::last_write_time(a, now - std::chrono::minutes(10));
  fs::last_write_time(b, now - std::chrono::minutes(5));
  auto c = Open(w_.Config());
  ASSERT_NE(c, nullptr);
  json records = ReadAll(*c, "pupil")["records"];
  ASSERT_EQ(records.size(), 9u);
  EXPECT_EQ(records[0]["upn"], "X873400212045");
  EXPECT_EQ(records[4]["upn"], "T820123414001");
}

TEST_F(CtfRead, OnlyPupilAndSenKindsAreRead) {
  auto c = Open(w_.Config());
  ASSERT_NE(c, nullptr);
  auto r = c->Call("read", R"({"kind":"cycle","cursor":""})");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.body.find("pupil"), std::string::npos) << r.body;
}

}  // namespace
