// Writing CTF files for a MIS to import: naming, one file per destination per call, atomic and
// idempotent per key, only importable content, and a round trip back through the reader.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "ctf_test_support.h"

namespace {

using namespace ctftest;

std::vector<std::string> XmlFiles(const fs::path& dir) {
  std::vector<std::string> out;
  for (const std::string& f : FilesUnder(dir))
    if (f.size() > 4 && f.substr(f.size() - 4) == ".xml") out.push_back(f);
  return out;
}

std::string ResultOf(const json& results, const std::string& key, const char* field = "result") {
  for (const json& r : results)
    if (r.value("key", "") == key) return r.value(field, "");
  return "(no result)";
}

TEST(CtfWrite, SenChangesBecomeOneCtfNamedBySourceAndDestination) {
  Workspace w;
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  json results =
      Write(*c, "sen", {SenChange("k1", "G820123414002"), SenChange("k2", "W820123414003")});
  EXPECT_EQ(ResultOf(results, "k1"), "applied");
  EXPECT_EQ(ResultOf(results, "k1", "remote_id"), "8201234_CTF_8214567_001.xml");
  EXPECT_EQ(ResultOf(results, "k2", "remote_id"), "8201234_CTF_8214567_001.xml");
  ASSERT_EQ(XmlFiles(w.out), std::vector<std::string>{"8201234_CTF_8214567_001.xml"});
  std::string xml = ReadText(w.out / "8201234_CTF_8214567_001.xml");
  EXPECT_NE(xml.find("<UPN>G820123414002</UPN>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<UPN>W820123414003</UPN>"), std::string::npos) << xml;
}

TEST(CtfWrite, HeaderCarriesTheConfiguredVersionSourceAndDestination) {
  Workspace w;
  auto c = Open(w.Config({{"ctf_version", "24.0"}}));
  ASSERT_NE(c, nullptr);
  Write(*c, "sen", {SenChange("k1", "G820123414002")});
  std::string xml = ReadText(w.out / "8201234_CTF_8214567_001.xml");
  EXPECT_EQ(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 0), 0u) << xml;
  EXPECT_NE(xml.find("<CTFversion>24.0</CTFversion>"), std::string::npos) << xml;
  EXPECT_TRUE(std::regex_search(
      xml, std::regex("<DateTime>\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d</DateTime>")))
      << xml;
  EXPECT_NE(xml.find("<DocumentQualifier>partial</DocumentQualifier>"), std::string::npos);
  EXPECT_TRUE(std::regex_search(
      xml, std::regex("<SourceSchool>\\s*<LEA>820</LEA>\\s*<Estab>1234</Estab>\\s*"
                      "<SchoolName>Oakfield Primary School</SchoolName>")))
      << xml;
  EXPECT_TRUE(std::regex_search(
      xml, std::regex("<DestSchool>\\s*<LEA>821</LEA>\\s*<Estab>4567</Estab>\\s*</DestSchool>")))
      << xml;
}

TEST(CtfWrite, SenHistoryIsWrittenAsDatedEpisodesAndRankedNeeds) {
  Workspace w;
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  json change = SenChange("k1", "W820123414003");
  change["record"]["provision"] = "E";
  change["record"]["provision_start"] = "2024-03-18";
  change["record"]["history"] =
      json::parse(R"([{"provision":"K","start":"2021-01-11","end":"2024-03-17"}])");
  change["record"]["needs"] =
      json::parse(R"([{"type":"SLCN","rank":2},{"type":"ASD","rank":1,"start":"2021-01-11"}])");
  Write(*c, "sen", {change});
  std::string xml = ReadText(w.out / "8201234_CTF_8214567_001.xml");
  EXPECT_TRUE(std::regex_search(
      xml,
      std::regex("<SEN>\\s*<StartDate>2021-01-11</StartDate>\\s*<SENprovision>K</SENprovision>"
                 "\\s*</SEN>\\s*<SEN>\\s*<StartDate>2024-03-18</StartDate>\\s*<SENprovision>E")))
      << xml;
  EXPECT_TRUE(std::regex_search(
      xml, std::regex("<SENtypeRank>1</SENtypeRank>\\s*<SENtype>ASD</SENtype>\\s*<NeedStartDate>"
                      "2021-01-11</NeedStartDate>[\\s\\S]*<SENtypeRank>2</SENtypeRank>")))
      << xml;
}

TEST(CtfWrite, NumbersNeverClobberAFileAlreadyThere) {
  Workspace w;
  for (const char* f : {"8201234_CTF_8214567_001.xml", "8201234_CTF_8214567_007.xml"})
    std::ofstream(w.out / f) << "not ours";
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  json results = Write(*c, "sen", {SenChange("k1", "G820123414002")});
  EXPECT_EQ(ResultOf(results, "k1", "remote_id"), "8201234_CTF_8214567_008.xml");
  EXPECT_EQ(ReadText(w.out / "8201234_CTF_8214567_001.xml"), "not ours");
  EXPECT_EQ(ReadText(w.out / "8201234_CTF_8214567_007.xml"), "not ours");
}

TEST(CtfWrite, NumbersKeepRisingAfterTheMisTakesFilesAway) {
  Workspace w;
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  Write(*c, "sen", {SenChange("k1", "G820123414002")});
  fs::rename(w.out / "8201234_CTF_8214567_001.xml", w.root / "imported.xml");
  json results = Write(*c, "sen", {SenChange("k2", "G820123414002")});
  EXPECT_EQ(ResultOf(results, "k2", "remote_id"), "8201234_CTF_8214567_002.xml");
}

TEST(CtfWrite, RepeatedKeyIsAnsweredWithTheSameFileAndWritesNothing) {
  Workspace w;
  {
    auto c = Open(w.Config());
    ASSERT_NE(c, nullptr);
    Write(*c, "sen", {SenChange("k1", "G820123414002")});
    json again = Write(*c, "sen", {SenChange("k1", "G820123414002")});
    EXPECT_EQ(ResultOf(again, "k1"), "applied");
    EXPECT_EQ(ResultOf(again, "k1", "remote_id"), "8201234_CTF_8214567_001.xml");
  }
  auto reopened = Open(w.Config());
  ASSERT_NE(reopened, nullptr);
  json later = Write(*reopened, "sen", {SenChange("k1", "G820123414002")});
  EXPECT_EQ(ResultOf(later, "k1", "remote_id"), "8201234_CTF_8214567_001.xml");
  EXPECT_EQ(XmlFiles(w.out).size(), 1u);
}

TEST(CtfWrite, UnknownDestinationWritesOnePupilPerFile) {
  Workspace w;
  auto c = Open(w.Config({{"destination", nullptr}}));
  ASSERT_NE(c, nullptr);
  json results =
      Write(*c, "sen", {SenChange("k1", "G820123414002"), SenChange("k2", "W820123414003")});
  EXPECT_EQ(ResultOf(results, "k1", "remote_id"), "8201234_CTF_XXXXXXX_001.xml");
  EXPECT_EQ(ResultOf(results, "k2", "remote_id"), "8201234_CTF_XXXXXXX_002.xml");
  std::string xml = ReadText(w.out / "8201234_CTF_XXXXXXX_001.xml");
  EXPECT_TRUE(
      std::regex_search(xml, std::regex("<DestSchool>\\s*<LEA>XXX</LEA>\\s*<Estab>XXXX</Estab>")))
      << xml;
}

TEST(CtfWrite, LaAsSenderWritesLLLL) {
  Workspace w;
  auto c = Open(w.Config({{"source", {{"la", "820"}, {"estab", "LLLL"}}}}));
  ASSERT_NE(c, nullptr);
  json results = Write(*c, "sen", {SenChange("k1", "G820123414002")});
  EXPECT_EQ(ResultOf(results, "k1", "remote_id"), "820LLLL_CTF_8214567_001.xml");
}

TEST(CtfWrite, SamePupilTwiceInOneCallGoesIntoTwoFilesInOrder) {
  Workspace w;
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  json later = SenChange("k2", "G820123414002");
  later["record"]["provision"] = "E";
  later["record"]["provision_start"] = "2025-01-06";
  json results = Write(*c, "sen", {SenChange("k1", "G820123414002"), later});
  EXPECT_EQ(ResultOf(results, "k1", "remote_id"), "8201234_CTF_8214567_001.xml");
  EXPECT_EQ(ResultOf(results, "k2", "remote_id"), "8201234_CTF_8214567_002.xml")
      << "no CTF names a UPN twice; the MIS imports them in number order";
}

TEST(CtfWrite, LeavesNoTemporaryFileBehind) {
  Workspace w;
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  Write(*c, "sen", {SenChange("k1", "G820123414002")});
  for (const std::string& f : FilesUnder(w.out)) EXPECT_EQ(f.find(".tmp"), std::string::npos) << f;
}

TEST(CtfWrite, InterruptedWriteIsFinishedByTheNextCall) {
  Workspace w;
  const std::string file = "8201234_CTF_8214567_001.xml";
  {  // a crash after the temp file and the pending ledger line, before the move
    std::ofstream(w.out / (".sendsync-" + file + ".tmp")) << "<CTfile>complete content</CTfile>\n";
    std::ofstream(w.out / ".sendsync-ctf-written.jsonl")
        << json{{"file", file}, {"state", "pending"}, {"keys", {"k1"}}}.dump() << "\n";
  }
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  json results = Write(*c, "sen", {SenChange("k1", "G820123414002")});
  EXPECT_EQ(ResultOf(results, "k1"), "applied");
  EXPECT_EQ(ResultOf(results, "k1", "remote_id"), file);
  EXPECT_EQ(ReadText(w.out / file), "<CTfile>complete content</CTfile>\n");
  EXPECT_EQ(XmlFiles(w.out).size(), 1u);
  EXPECT_FALSE(fs::exists(w.out / (".sendsync-" + file + ".tmp")));
}

TEST(CtfWrite, TempFileFromACrashBeforeItsLedgerLineIsDiscarded) {
  Workspace w;
  std::ofstream(w.out / ".sendsync-8201234_CTF_8214567_001.xml.tmp") << "<CTfile>half";
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  json results = Write(*c, "sen", {SenChange("k1", "G820123414002")});
  EXPECT_EQ(ResultOf(results, "k1", "remote_id"), "8201234_CTF_8214567_001.xml");
  EXPECT_NE(ReadText(w.out / "8201234_CTF_8214567_001.xml").find("G820123414002"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(w.out / ".sendsync-8201234_CTF_8214567_001.xml.tmp"));
}

TEST(CtfWrite, SenChangeWithoutItsPupilIsRejected) {
  Workspace w;
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  json change = SenChange("k1", "G820123414002");
  change.erase("context");
  json results = Write(*c, "sen", {change});
  EXPECT_EQ(ResultOf(results, "k1"), "rejected");
  EXPECT_NE(ResultOf(results, "k1", "reason").find("no pupil record"), std::string::npos);
  EXPECT_TRUE(XmlFiles(w.out).empty());
}

TEST(CtfWrite, PupilWithoutFieldsACtfNeedsIsRejectedSayingWhich) {
  Workspace w;
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  json change = SenChange("k1", "G820123414002");
  change["context"]["pupil"].erase("dob");  // e.g. not allowed to leave the hub for this link
  json results = Write(*c, "sen", {change});
  EXPECT_EQ(ResultOf(results, "k1"), "rejected");
  EXPECT_NE(ResultOf(results, "k1", "reason").find("dob"), std::string::npos)
      << ResultOf(results, "k1", "reason");
}

TEST(CtfWrite, BadUpnIsRejectedAndTheOthersStillWritten) {
  Workspace w;
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  json results =
      Write(*c, "sen", {SenChange("bad", "H820123414002"), SenChange("good", "G820123414002")});
  EXPECT_EQ(ResultOf(results, "bad"), "rejected");
  EXPECT_NE(ResultOf(results, "bad", "reason").find("1510"), std::string::npos);
  EXPECT_EQ(ResultOf(results, "good"), "applied");
  std::string xml = ReadText(w.out / "8201234_CTF_8214567_001.xml");
  EXPECT_EQ(xml.find("H820123414002"), std::string::npos);
}

TEST(CtfWrite, CodeThatIsNoCensusCodeIsRejected) {
  Workspace w;
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  json change = SenChange("k1", "G820123414002");
  change["record"]["needs"][0]["type"] = "ADHD";
  EXPECT_EQ(ResultOf(Write(*c, "sen", {change}), "k1"), "rejected");
}

TEST(CtfWrite, DeleteIsRejectedBecauseACtfCannotRemoveARecord) {
  Workspace w;
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  json change = SenChange("k1", "G820123414002");
  change["op"] = "delete";
  json results = Write(*c, "sen", {change});
  EXPECT_EQ(ResultOf(results, "k1"), "rejected");
  EXPECT_TRUE(XmlFiles(w.out).empty());
}

TEST(CtfWrite, WithoutAnOutFolderEveryChangeIsRejected) {
  Workspace w;
  auto c = Open(w.Config({{"out_folder", nullptr}, {"source", nullptr}}));
  ASSERT_NE(c, nullptr);
  json results = Write(*c, "sen", {SenChange("k1", "G820123414002")});
  EXPECT_EQ(ResultOf(results, "k1"), "rejected");
  EXPECT_NE(ResultOf(results, "k1", "reason").find("out_folder"), std::string::npos);
}

TEST(CtfWrite, PupilChangeCarriesIdentityAndSenOnlyWhenSentAlong) {
  Workspace w;
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  json pupil = PupilRecord("B820123415017", "Okafor", "Noah");
  pupil["former_upn"] = "P82012341603A";
  Write(*c, "pupil", {{{"key", "p1"}, {"op", "upsert"}, {"record", pupil}}});
  std::string xml = ReadText(w.out / "8201234_CTF_8214567_001.xml");
  EXPECT_NE(xml.find("<FormerUPN>P82012341603A</FormerUPN>"), std::string::npos) << xml;
  EXPECT_EQ(xml.find("SENhistory"), std::string::npos) << xml;
}

// Writes `changes`, puts the file into a fresh drop folder and reads it back.
json WriteThenRead(const std::string& kind, const std::vector<json>& changes,
                   const std::string& read_kind) {
  Workspace writer;
  auto w = Open(writer.Config());
  EXPECT_NE(w, nullptr);
  if (!w) return json::array();
  json results = Write(*w, kind, changes);
  for (const json& r : results) EXPECT_EQ(r.value("result", ""), "applied") << r.dump();
  Workspace reader;
  for (const std::string& f : XmlFiles(writer.out)) fs::copy_file(writer.out / f, reader.drop / f);
  auto r = Open(reader.Config());
  EXPECT_NE(r, nullptr);
  if (!r) return json::array();
  json all = ReadAll(*r, read_kind);
  EXPECT_TRUE(all["rejects"].empty()) << all["rejects"].dump(2);
  return all["records"];
}

TEST(CtfRoundTrip, WrittenSenReadsBackAsTheSameRecords) {
  json sen = json::parse(R"({"kind":"sen","pupil":{"id":"W820123414003","upn":"W820123414003"},
    "provision":"E","provision_start":"2024-03-18",
    "needs":[{"type":"ASD","rank":1,"start":"2021-01-11","end":"2025-07-18"},{"type":"SLCN","rank":2}],
    "history":[{"provision":"K","start":"2021-01-11","end":"2024-03-17"},
               {"provision":"E","start":"2024-03-18"}],
    "sen_unit":false,"resourced_provision":false})");
  json pupil = json::parse(R"({"kind":"pupil","id":"W820123414003","upn":"W820123414003",
    "former_upn":"P82012341603A","uln":"9276308686","legal_surname":"Murphy","legal_forename":"Isla",
    "middle_names":"Grace","preferred_surname":"Murphy-Jones","preferred_forename":"Izzy",
    "dob":"2014-12-11","sex":"F","nc_year":"6"})");
  json change = {{"key", "k1"}, {"op", "upsert"}, {"record", sen}, {"context", {{"pupil", pupil}}}};
  EXPECT_EQ(WriteThenRead("sen", {change}, "sen"), json::array({sen}));
  EXPECT_EQ(WriteThenRead("sen", {change}, "pupil"), json::array({pupil}));
}

TEST(CtfRoundTrip, EveryGoodFixtureSurvivesReadWriteRead) {
  Workspace source;
  for (const char* f : {"good/8201234_CTF_8214567_001.xml", "good/8734002_CTF_8734123_001.xml",
                        "good/8214567_CTF_8201234_003.xml"})
    source.Drop(f);
  auto c = Open(source.Config());
  ASSERT_NE(c, nullptr);
  json pupils = ReadAll(*c, "pupil")["records"];
  json sens = ReadAll(*c, "sen")["records"];
  ASSERT_EQ(pupils.size(), 11u);
  std::vector<json> changes;
  for (const json& s : sens)
    changes.push_back({{"key", "sen-" + s["pupil"]["upn"].get<std::string>()},
                       {"op", "upsert"},
                       {"record", s},
                       {"context", {{"pupil", ByUpn(pupils, s["pupil"]["upn"])}}}});
  EXPECT_EQ(WriteThenRead("sen", changes, "sen"), sens);
  std::vector<json> pupil_changes;
  for (const json& p : pupils)
    pupil_changes.push_back(
        {{"key", "p-" + p["upn"].get<std::string>()}, {"op", "upsert"}, {"record", p}});
  EXPECT_EQ(WriteThenRead("pupil", pupil_changes, "pupil"), pupils);
}

}  // namespace
