// Reading broken CTF files: a file that cannot be trusted as a whole is refused into rejected/
// with a reason file and reported once; a bad pupil is reported with file, line and element while
// the file's good pupils still arrive. Nothing is ever dropped silently.
#include <gtest/gtest.h>

#include <fstream>

#include "ctf_test_support.h"

namespace {

using namespace ctftest;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class CtfBroken : public testing::Test {
 protected:
  json ReadOne(const std::string& fixture, const std::string& kind, const json& extra = {}) {
    w_.Drop(fixture);
    c_ = Open(w_.Config(extra.is_null() ? json::object() : extra));
    EXPECT_NE(c_, nullptr);
    return c_ ? ReadAll(*c_, kind) : json::object();
  }
  Workspace w_;
  std::unique_ptr<sendsync::testkit::Caller> c_;
};

TEST_F(CtfBroken, TruncatedFileIsRefusedIntoRejectedWithAReasonFile) {
  json all = ReadOne("broken/truncated.xml", "pupil");
  EXPECT_TRUE(all["records"].empty()) << "no pupil of a broken file is trusted, not even the first";
  ASSERT_EQ(all["rejects"].size(), 1u);
  const json& r = all["rejects"][0];
  EXPECT_TRUE(Contains(r["where"], "truncated.xml line ")) << r["where"];
  EXPECT_TRUE(Contains(r["reason"], "not well-formed XML")) << r["reason"];
  EXPECT_TRUE(Contains(r["reason"], "rejected/truncated.xml")) << r["reason"];
  EXPECT_TRUE(Contains(r["raw"], "<Surname>Da")) << "the lines around the fault: " << r["raw"];

  EXPECT_FALSE(fs::exists(w_.drop / "truncated.xml"));
  EXPECT_EQ(ReadText(w_.drop / "rejected/truncated.xml"), ReadText(Fixture("broken/truncated.xml")))
      << "moved, never changed";
  std::string reason = ReadText(w_.drop / "rejected/truncated.xml.reason.txt");
  EXPECT_TRUE(Contains(reason, "not well-formed XML")) << reason;
  EXPECT_TRUE(Contains(reason, "Nothing from this file was imported")) << reason;
}

TEST_F(CtfBroken, RefusedFileIsReportedOnceNotAgainPastIt) {
  json first = ReadOne("broken/truncated.xml", "pupil");
  ASSERT_EQ(first["rejects"].size(), 1u);
  json later = ReadAll(*c_, "pupil", first["next_cursor"]);
  EXPECT_TRUE(later["rejects"].empty());
  EXPECT_TRUE(later["records"].empty());
}

TEST_F(CtfBroken, RefusedFileIsReportedInTheReadOfEachKind) {
  json pupils = ReadOne("broken/truncated.xml", "pupil");
  json sen = ReadAll(*c_, "sen");
  EXPECT_EQ(pupils["rejects"].size(), 1u);
  EXPECT_EQ(sen["rejects"].size(), 1u);
}

TEST_F(CtfBroken, RefusedFileDoesNotHoldBackGoodFiles) {
  w_.Drop("good/8201234_CTF_8214567_001.xml");
  json all = ReadOne("broken/truncated.xml", "pupil");
  EXPECT_EQ(all["records"].size(), 5u);
  EXPECT_EQ(all["rejects"].size(), 1u);
}

TEST_F(CtfBroken, WrongNamespaceIsRefused) {
  json all = ReadOne("broken/wrong_namespace.xml", "pupil");
  ASSERT_EQ(all["rejects"].size(), 1u);
  EXPECT_TRUE(Contains(all["rejects"][0]["reason"], "namespace")) << all["rejects"][0]["reason"];
  EXPECT_EQ(all["rejects"][0]["where"],
            "wrong_namespace.xml line " +
                std::to_string(LineOf(Fixture("broken/wrong_namespace.xml"), "<CTfile")) +
                ", CTfile");
  EXPECT_TRUE(fs::exists(w_.drop / "rejected/wrong_namespace.xml"));
  EXPECT_TRUE(all["records"].empty());
}

TEST_F(CtfBroken, AdmissionsTransferFileIsRefusedAsNotACtf) {
  std::ofstream(w_.drop / "8204321_ATF_8201234_001.xml")
      << "<?xml version=\"1.0\"?>\n<ATfile><Header><ATFversion>25.0</ATFversion></Header>"
         "<ATFpupilData/></ATfile>\n";
  c_ = Open(w_.Config());
  ASSERT_NE(c_, nullptr);
  json all = ReadAll(*c_, "pupil");
  ASSERT_EQ(all["rejects"].size(), 1u);
  EXPECT_TRUE(Contains(all["rejects"][0]["reason"], "Admissions Transfer File"));
  EXPECT_TRUE(fs::exists(w_.drop / "rejected/8204321_ATF_8201234_001.xml"));
}

TEST_F(CtfBroken, EntityExpansionBombIsRefusedNotExpanded) {
  // Each entity refers to the one before ten times: 10^10 copies of "a…" if it were expanded.
  std::string entities = "<!ENTITY a \"aaaaaaaaaaaaaaaaaaaa\">\n";
  for (char e = 'b'; e <= 'k'; ++e) {
    std::string refs;
    for (int i = 0; i < 10; ++i) refs += std::string("&") + static_cast<char>(e - 1) + ";";
    entities += std::string("<!ENTITY ") + e + " \"" + refs + "\">\n";
  }
  std::ofstream(w_.drop / "bomb.xml")
      << "<?xml version=\"1.0\"?>\n<!DOCTYPE CTfile [\n"
      << entities << "]>\n<CTfile><Header><CTFversion>&k;</CTFversion></Header></CTfile>\n";
  c_ = Open(w_.Config());
  ASSERT_NE(c_, nullptr);
  json all = ReadAll(*c_, "pupil");
  ASSERT_EQ(all["rejects"].size(), 1u);
  EXPECT_TRUE(fs::exists(w_.drop / "rejected/bomb.xml"));
}

TEST_F(CtfBroken, VersionNotAcceptedIsRefusedNamingTheAcceptedVersions) {
  json all = ReadOne("broken/wrong_version.xml", "pupil");
  ASSERT_EQ(all["rejects"].size(), 1u);
  const json& r = all["rejects"][0];
  EXPECT_TRUE(Contains(r["reason"], "CTF version 19.0 is not accepted")) << r["reason"];
  EXPECT_TRUE(Contains(r["reason"], "24.0, 25.0")) << r["reason"];
  EXPECT_TRUE(Contains(r["reason"], "accept_versions")) << "says how to let it in";
  EXPECT_EQ(r["where"],
            "wrong_version.xml line " +
                std::to_string(LineOf(Fixture("broken/wrong_version.xml"), "CTFversion")) +
                ", Header/CTFversion");
  EXPECT_TRUE(fs::exists(w_.drop / "rejected/wrong_version.xml.reason.txt"));
}

TEST_F(CtfBroken, AcceptVersionsLetsAnOlderVersionIn) {
  json all = ReadOne("broken/wrong_version.xml", "pupil", {{"accept_versions", {"19.0"}}});
  EXPECT_TRUE(all["rejects"].empty()) << all["rejects"].dump();
  EXPECT_EQ(all["records"].size(), 1u);
}

TEST_F(CtfBroken, RefusedVersionIsReadOnceAllowedAndTheFileIsPutBack) {
  json first = ReadOne("broken/wrong_version.xml", "pupil");
  ASSERT_EQ(first["rejects"].size(), 1u);
  auto c = Open(w_.Config({{"accept_versions", {"25.0", "24.0", "19.0"}}}));
  ASSERT_NE(c, nullptr);
  fs::rename(w_.drop / "rejected/wrong_version.xml", w_.drop / "wrong_version.xml");
  json again = ReadAll(*c, "pupil", first["next_cursor"]);
  EXPECT_EQ(again["records"].size(), 1u);
  EXPECT_TRUE(again["rejects"].empty());
}

TEST_F(CtfBroken, BrokenFilePutBackUnchangedIsNotReportedAgain) {
  json first = ReadOne("broken/truncated.xml", "pupil");
  ASSERT_EQ(first["rejects"].size(), 1u);
  fs::rename(w_.drop / "rejected/truncated.xml", w_.drop / "truncated.xml");
  json again = ReadAll(*c_, "pupil", first["next_cursor"]);
  EXPECT_TRUE(again["rejects"].empty());
  EXPECT_TRUE(fs::exists(w_.drop / "rejected/truncated.xml")) << "back where it belongs";
  EXPECT_FALSE(fs::exists(w_.drop / "truncated.xml"));
}

TEST_F(CtfBroken, MissingHeaderElementRefusesTheFile) {
  json all = ReadOne("broken/missing_version.xml", "pupil");
  ASSERT_EQ(all["rejects"].size(), 1u);
  EXPECT_TRUE(Contains(all["rejects"][0]["where"], "Header/CTFversion")) << all["rejects"][0];
  EXPECT_TRUE(Contains(all["rejects"][0]["reason"], "is missing")) << all["rejects"][0];
}

TEST_F(CtfBroken, BadUpnCheckLetterHoldsBackOnlyThatPupil) {
  json all = ReadOne("broken/bad_upn.xml", "pupil");
  EXPECT_EQ(all["records"].size(), 2u);
  ASSERT_EQ(all["rejects"].size(), 1u);
  const json& r = all["rejects"][0];
  const int line = LineOf(Fixture("broken/bad_upn.xml"), "H820123414002");
  EXPECT_EQ(r["where"], "bad_upn.xml line " + std::to_string(line) + ", Pupil/UPN");
  EXPECT_TRUE(Contains(r["reason"], "census error 1510")) << r["reason"];
  EXPECT_EQ(r["id"], "H820123414002");
  EXPECT_TRUE(fs::exists(w_.drop / "bad_upn.xml")) << "a file with good pupils is not refused";
}

TEST_F(CtfBroken, RejectCarriesThePupilsOwnXml) {
  json r = ReadOne("broken/bad_upn.xml", "pupil")["rejects"][0];
  std::string raw = r["raw"];
  EXPECT_EQ(raw.rfind("<Pupil>", 0), 0u) << raw;
  EXPECT_TRUE(Contains(raw, "<UPN>H820123414002</UPN>")) << raw;
  EXPECT_TRUE(Contains(raw, "<SENtype>SLCN</SENtype>")) << raw;
  EXPECT_TRUE(Contains(raw, "</Pupil>")) << raw;
  EXPECT_FALSE(Contains(raw, "Davies")) << "only that pupil, not its neighbours";
}

TEST_F(CtfBroken, BadIdentityHoldsBackThatPupilsSenRecordToo) {
  json all = ReadOne("broken/bad_upn.xml", "sen");
  EXPECT_TRUE(all["records"].empty());
  ASSERT_EQ(all["rejects"].size(), 1u) << "only the bad pupil had SEN to hold back";
  EXPECT_TRUE(Contains(all["rejects"][0]["reason"], "SEN record was not imported"));
}

TEST_F(CtfBroken, CodeThatIsNoCensusCodeRejectsTheSenRecordWithLineAndElement) {
  json sen = ReadOne("broken/unknown_need_code.xml", "sen");
  ASSERT_EQ(sen["records"].size(), 1u);
  EXPECT_EQ(sen["records"][0]["pupil"]["upn"], "K820123419011");
  ASSERT_EQ(sen["rejects"].size(), 1u);
  const json& r = sen["rejects"][0];
  const int line = LineOf(Fixture("broken/unknown_need_code.xml"), "<SENtype>ADHD");
  EXPECT_EQ(r["where"], "unknown_need_code.xml line " + std::to_string(line) +
                            ", Pupil/SENhistory/SENneeds/SENneed/SENtype");
  EXPECT_TRUE(Contains(r["reason"], "'ADHD' is not a census SENtype code")) << r["reason"];
}

TEST_F(CtfBroken, CodeThatIsNoCensusCodeStillLetsThePupilsIdentityArrive) {
  json pupils = ReadOne("broken/unknown_need_code.xml", "pupil");
  EXPECT_EQ(pupils["records"].size(), 2u);
  EXPECT_TRUE(pupils["rejects"].empty());
}

TEST_F(CtfBroken, ExtraNeedTypesAdmitACodeNewerThanTheAdapter) {
  json sen = ReadOne("broken/unknown_need_code.xml", "sen", {{"extra_need_types", {"ADHD"}}});
  EXPECT_EQ(sen["records"].size(), 2u);
  EXPECT_TRUE(sen["rejects"].empty());
}

TEST_F(CtfBroken, DuplicatePupilRejectsEveryEntryOfThatUpn) {
  json all = ReadOne("broken/duplicate_pupil.xml", "pupil");
  ASSERT_EQ(all["records"].size(), 1u);
  EXPECT_EQ(all["records"][0]["upn"], "K820123419011");
  ASSERT_EQ(all["rejects"].size(), 2u) << "it is not clear which of the two is right";
  for (const json& r : all["rejects"]) {
    EXPECT_TRUE(Contains(r["reason"], "census error 1520")) << r["reason"];
    EXPECT_EQ(r["id"], "J820123420001");
  }
  EXPECT_TRUE(Contains(all["rejects"][0]["raw"], "Ali"));
  EXPECT_TRUE(Contains(all["rejects"][1]["raw"], "Allen"));
}

TEST_F(CtfBroken, MissingSurnameRejectsThatPupilAtItsLine) {
  json all = ReadOne("broken/missing_surname.xml", "pupil");
  ASSERT_EQ(all["records"].size(), 1u);
  ASSERT_EQ(all["rejects"].size(), 1u);
  const int pupil_line = LineOf(Fixture("broken/missing_surname.xml"), "<Pupil>", 2);
  EXPECT_EQ(all["rejects"][0]["where"],
            "missing_surname.xml line " + std::to_string(pupil_line) + ", Pupil/Surname");
  EXPECT_TRUE(Contains(all["rejects"][0]["reason"], "missing")) << all["rejects"][0]["reason"];
}

}  // namespace
