// The identifier checks the ctf adapter applies to every UPN, former UPN and ULN it reads or writes
// (send-reference.md §3), with the census error numbers it reports.
#include <gtest/gtest.h>

#include "census_codes.h"

namespace sendsync::ctf {
namespace {

TEST(CtfUpn, ReferenceExamplesAreValid) {
  EXPECT_EQ(UpnProblem("B801200005001"), std::nullopt);
  EXPECT_EQ(UpnProblem("X00180001701A"), std::nullopt) << "a temporary UPN ends in a letter";
}

TEST(CtfUpn, CheckLetterIsComputedFromPositionsTwoToThirteen) {
  EXPECT_EQ(UpnCheckLetter("801200005001"), 'B');
  EXPECT_EQ(UpnCheckLetter("00180001701A"), 'X');
  EXPECT_EQ(UpnCheckLetter("820123414002"), 'G');
}

// A first character that can never be a check letter is named as such, not as a mismatch.
TEST(CtfUpn, FirstCharacterThatIsNoCheckLetterIsNamed) {
  for (const char* upn : {"I801200005001", "b801200005001", "1801200005001"}) {
    auto why = UpnProblem(upn);
    ASSERT_TRUE(why) << upn;
    EXPECT_NE(why->find("character 1 of a UPN is its check letter"), std::string::npos) << *why;
    EXPECT_EQ(why->find("does not match"), std::string::npos) << *why;
    EXPECT_NE(why->find("1510"), std::string::npos) << *why;
  }
}

TEST(CtfUpn, WrongCheckLetterIsCensusError1510) {
  auto why = UpnProblem("C801200005001");
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("1510"), std::string::npos) << *why;
}

TEST(CtfUpn, LettersWhereTheLaCodeGoesIsCensusError1530) {
  auto why = UpnProblem("B8A1200005001");
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("1530"), std::string::npos) << *why;
}

TEST(CtfUpn, LettersInCharactersFiveToTwelveIsCensusError1540) {
  auto why = UpnProblem("B8012000A5001");
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("1540"), std::string::npos) << *why;
}

TEST(CtfUpn, WrongLengthAndMissingAreRefused) {
  EXPECT_TRUE(UpnProblem("B80120000500"));
  auto missing = UpnProblem("");
  ASSERT_TRUE(missing);
  EXPECT_NE(missing->find("1500"), std::string::npos);
}

TEST(CtfUpn, LettersIOAndSAreNeverTemporaryUpnLetters) {
  EXPECT_TRUE(UpnProblem("X00180001701I"));
  EXPECT_EQ(UpnCheckLetter("00180001701O"), '\0');
}

TEST(CtfUln, ReferenceExampleIsValid) {
  EXPECT_EQ(UlnProblem("9276308686"), std::nullopt);
}

TEST(CtfUln, WrongCheckDigitIsCensusError1575) {
  auto why = UlnProblem("9276308687");
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("1575"), std::string::npos);
  EXPECT_TRUE(UlnProblem("0276308686")) << "a ULN never starts with 0";
  EXPECT_TRUE(UlnProblem("927630868")) << "a ULN has 10 digits";
}

TEST(CtfCodes, ListsHoldEveryCensusYearIncludingLegacyCodes) {
  for (const char* c : {"N", "K", "E", "S", "A", "P"}) EXPECT_TRUE(ProvisionCodes().count(c)) << c;
  for (const char* c : {"SPLD", "MLD", "SLD", "PMLD", "SEMH", "BESD", "SLCN", "ASD", "HI", "VI",
                        "MSI", "PD", "OTH", "NSA", "DS"})
    EXPECT_TRUE(NeedTypeCodes().count(c)) << c;
  EXPECT_FALSE(NeedTypeCodes().count("ADHD"));
  EXPECT_FALSE(NeedTypeCodes().count("asd")) << "codes are upper case";
  for (const char* c : {"N1", "N2", "R", "1", "14", "X"}) EXPECT_TRUE(NcYearCodes().count(c)) << c;
  EXPECT_FALSE(NcYearCodes().count("15"));
}

TEST(CtfDateTime, HeaderDateTimeIsIsoWithSeconds) {
  EXPECT_TRUE(IsCtfDateTime("2025-09-10T14:03:00"));
  EXPECT_FALSE(IsCtfDateTime("2025-09-10 14:03:00"));
  EXPECT_FALSE(IsCtfDateTime("2025-02-30T14:03:00"));
  EXPECT_FALSE(IsCtfDateTime("2025-09-10T24:00:00"));
  EXPECT_FALSE(IsCtfDateTime("2025-09-10T14:03"));
}

}  // namespace
}  // namespace sendsync::ctf
