// The per-pupil rules, one case each, on small CTF files written in the test: which problems hold
// back a pupil, which only their SEN record, and where each is reported.
#include <gtest/gtest.h>

#include <fstream>

#include "ctf_test_support.h"

namespace {

using namespace ctftest;

const char* kHeader =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<CTfile>\n"
    "<Header><CTFversion>25.0</CTFversion><DateTime>2026-02-02T08:05:00</DateTime>\n"
    "<SourceSchool><LEA>820</LEA><Estab>1234</Estab></SourceSchool>\n"
    "<DestSchool><LEA>821</LEA><Estab>4567</Estab></DestSchool></Header>\n"
    "<CTFpupilData>\n";  // the first pupil starts on line 7

// A pupil (K820123419011, Leo Davies) with `extra` inside <Pupil> after the identity block.
std::string Pupil(const std::string& extra, const std::string& identity = "") {
  return "<Pupil>\n" +
         (identity.empty() ? "<UPN>K820123419011</UPN>\n<Surname>Davies</Surname>\n"
                             "<Forename>Leo</Forename>\n<DOB>2017-05-19</DOB>\n<Sex>M</Sex>\n"
                           : identity) +
         extra + "</Pupil>\n";
}

class CtfPupilRules : public testing::Test {
 protected:
  // Reads `kind` from a file holding `pupils`.
  json ReadPupils(const std::string& pupils, const std::string& kind) {
    std::ofstream(w_.drop / "test.xml") << kHeader << pupils << "</CTFpupilData>\n</CTfile>\n";
    auto c = Open(w_.Config());
    EXPECT_NE(c, nullptr);
    return c ? ReadAll(*c, kind) : json::object();
  }
  Workspace w_;
};

TEST_F(CtfPupilRules, EpisodeWithoutStartDateIsReportedAtItsSenElement) {
  std::string sen = "<SENhistory>\n<SEN>\n<SENprovision>K</SENprovision>\n</SEN>\n</SENhistory>\n";
  json all = ReadPupils(Pupil(sen), "sen");
  ASSERT_EQ(all["rejects"].size(), 1u);
  EXPECT_EQ(all["rejects"][0]["where"], "test.xml line 14, Pupil/SENhistory/SEN/StartDate");
  EXPECT_EQ(ReadPupils(Pupil(sen), "pupil")["records"].size(), 1u) << "identity is sound";
}

TEST_F(CtfPupilRules, TwoEpisodesOnOneDayRejectTheSenRecord) {
  std::string sen =
      "<SENhistory><SEN><StartDate>2024-01-08</StartDate><SENprovision>K</SENprovision></SEN>"
      "<SEN><StartDate>2024-01-08</StartDate><SENprovision>E</SENprovision></SEN></SENhistory>\n";
  json all = ReadPupils(Pupil(sen), "sen");
  ASSERT_EQ(all["rejects"].size(), 1u);
  EXPECT_NE(
      all["rejects"][0]["reason"].get<std::string>().find("two SEN episodes start on 2024-01-08"),
      std::string::npos);
}

TEST_F(CtfPupilRules, NeedsWithoutAnyEpisodeRejectTheSenRecord) {
  std::string sen =
      "<SENhistory><SENneeds><SENneed><SENtypeRank>1</SENtypeRank><SENtype>ASD</SENtype>"
      "</SENneed></SENneeds></SENhistory>\n";
  json all = ReadPupils(Pupil(sen), "sen");
  ASSERT_EQ(all["rejects"].size(), 1u);
  EXPECT_NE(all["rejects"][0]["reason"].get<std::string>().find("provision is unknown"),
            std::string::npos);
}

TEST_F(CtfPupilRules, RankThatIsNotAWholeNumberFromOneIsRejected) {
  for (const char* rank : {"0", "first", "-1", "1.5"}) {
    Workspace w;
    std::ofstream(w.drop / "t.xml")
        << kHeader
        << Pupil(std::string("<SENhistory><SEN><StartDate>2024-01-08</StartDate><SENprovision>K"
                             "</SENprovision></SEN><SENneeds><SENneed><SENtypeRank>") +
                 rank + "</SENtypeRank><SENtype>ASD</SENtype></SENneed></SENneeds></SENhistory>\n")
        << "</CTFpupilData></CTfile>\n";
    auto c = Open(w.Config());
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(ReadAll(*c, "sen")["rejects"].size(), 1u) << rank;
  }
}

TEST_F(CtfPupilRules, ProvisionCodeThatIsNoCensusCodeIsRejected) {
  std::string sen =
      "<SENhistory><SEN><StartDate>2024-01-08</StartDate><SENprovision>Monitoring</SENprovision>"
      "</SEN></SENhistory>\n";
  json all = ReadPupils(Pupil(sen), "sen");
  ASSERT_EQ(all["rejects"].size(), 1u);
  EXPECT_NE(all["rejects"][0]["reason"].get<std::string>().find("'Monitoring' is not a census "
                                                                "SENprovision code"),
            std::string::npos);
}

TEST_F(CtfPupilRules, LowerCaseCodeIsNotACensusCode) {
  std::string sen =
      "<SENhistory><SEN><StartDate>2024-01-08</StartDate><SENprovision>k</SENprovision></SEN>"
      "</SENhistory>\n";
  EXPECT_EQ(ReadPupils(Pupil(sen), "sen")["rejects"].size(), 1u);
}

TEST_F(CtfPupilRules, NotARealDateIsRejected) {
  std::string identity =
      "<UPN>K820123419011</UPN><Surname>Davies</Surname><Forename>Leo</Forename>"
      "<DOB>2017-02-30</DOB><Sex>M</Sex>\n";
  json all = ReadPupils(Pupil("", identity), "pupil");
  ASSERT_EQ(all["rejects"].size(), 1u);
  EXPECT_NE(all["rejects"][0]["where"].get<std::string>().find("Pupil/DOB"), std::string::npos);
}

TEST_F(CtfPupilRules, SexAndGenderThatDisagreeAreRejected) {
  std::string identity =
      "<UPN>K820123419011</UPN><Surname>Davies</Surname><Forename>Leo</Forename>"
      "<DOB>2017-05-19</DOB><Sex>M</Sex><Gender>F</Gender>\n";
  EXPECT_EQ(ReadPupils(Pupil("", identity), "pupil")["rejects"].size(), 1u);
}

TEST_F(CtfPupilRules, AnIdentityElementTwiceIsRejected) {
  std::string identity =
      "<UPN>K820123419011</UPN><UPN>J820123420001</UPN><Surname>Davies</Surname>"
      "<Forename>Leo</Forename><DOB>2017-05-19</DOB><Sex>M</Sex>\n";
  json all = ReadPupils(Pupil("", identity), "pupil");
  ASSERT_EQ(all["rejects"].size(), 1u);
  EXPECT_NE(all["rejects"][0]["reason"].get<std::string>().find("appears 2 times"),
            std::string::npos);
}

TEST_F(CtfPupilRules, BadUlnAndFormerUpnAreRejected) {
  std::string bad_uln = "<UniqueLearnerNumber>9276308687</UniqueLearnerNumber>\n";
  EXPECT_EQ(ReadPupils(Pupil(bad_uln), "pupil")["rejects"].size(), 1u);
  Workspace w;
  std::ofstream(w.drop / "t.xml")
      << kHeader << Pupil("<BasicDetails><FormerUPN>Y00180001701A</FormerUPN></BasicDetails>\n")
      << "</CTFpupilData></CTfile>\n";
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  json all = ReadAll(*c, "pupil");
  ASSERT_EQ(all["rejects"].size(), 1u);
  EXPECT_NE(all["rejects"][0]["where"].get<std::string>().find("Pupil/BasicDetails/FormerUPN"),
            std::string::npos);
}

TEST_F(CtfPupilRules, ElementsInAnotherNamespaceAreIgnored) {
  std::string extra = "<x:Surname xmlns:x=\"urn:example:extension\">Other</x:Surname>\n";
  json all = ReadPupils(Pupil(extra), "pupil");
  ASSERT_EQ(all["records"].size(), 1u);
  EXPECT_EQ(all["records"][0]["legal_surname"], "Davies");
}

TEST_F(CtfPupilRules, SenIndicatorsAreReadWhenPresent) {
  std::string sen =
      "<SENhistory><SEN><StartDate>2024-01-08</StartDate><SENprovision>E</SENprovision></SEN>"
      "<SENunitIndicator>true</SENunitIndicator>"
      "<ResourcedProvisionIndicator>false</ResourcedProvisionIndicator></SENhistory>\n";
  json all = ReadPupils(Pupil(sen), "sen");
  ASSERT_EQ(all["records"].size(), 1u);
  EXPECT_EQ(all["records"][0]["sen_unit"], true);
  EXPECT_EQ(all["records"][0]["resourced_provision"], false);
}

}  // namespace
