// Reading a large CTF page by page: a cursor taken part-way through a file names the byte where
// the next pupil starts, and a read from it (in this instance or after a restart) starts there:
// nothing is read twice or skipped, whatever the line endings, characters or layout of the file.
// A cursor whose position does not belong to the file's content reads the file from its start.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "ctf_test_support.h"

namespace {

using namespace ctftest;

struct Layout {
  std::string eol = "\n";  // between pupils ("" writes the whole file on one line)
  bool declaration_utf8 = true;
  std::string forename = "Zo\xC3\xAB";  // "Zoë": two bytes, one character
};

// A CTF with `n` pupils; every third has SEN history.
fs::path WriteCtf(const fs::path& path, int n, const Layout& l = {}, int first_serial = 0) {
  std::ofstream f(path, std::ios::binary);
  f << "<?xml version=\"1.0\"" << (l.declaration_utf8 ? " encoding=\"UTF-8\"" : "") << "?>" << l.eol
    << "<CTfile><Header><CTFversion>25.0</CTFversion>"
    << "<DateTime>2026-07-15T10:30:00</DateTime><SourceSchool><LEA>820</LEA><Estab>1234</Estab>"
       "</SourceSchool><DestSchool><LEA>821</LEA><Estab>4567</Estab></DestSchool></Header>"
    << l.eol << "<CTFpupilData>" << l.eol;
  for (int i = first_serial; i < first_serial + n; ++i)
    f << "<Pupil>" << l.eol << "<UPN>" << MakeUpn(i) << "</UPN><Surname>S" << i
      << "</Surname><Forename>" << l.forename << "</Forename><DOB>2015-01-01</DOB><Sex>M</Sex>"
      << (i % 3 == 0 ? "<SENhistory><SEN><StartDate>2024-01-08</StartDate><SENprovision>K"
                       "</SENprovision></SEN></SENhistory>"
                     : "")
      << l.eol << "</Pupil >" << l.eol;
  f << "</CTFpupilData></CTfile>" << l.eol;
  return path;
}

std::vector<std::string> Parts(const std::string& cursor) {
  std::vector<std::string> parts;
  std::stringstream in(cursor);
  for (std::string p; std::getline(in, p, ':');) parts.push_back(p);
  return parts;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : ":") + p;
  return out;
}

// UPNs of `records` (pupil records, or sen records by their pupil).
std::vector<std::string> Upns(const json& records) {
  std::vector<std::string> out;
  for (const json& r : records)
    out.push_back(r.contains("pupil") ? r["pupil"].value("upn", "") : r.value("upn", ""));
  return out;
}

std::vector<std::string> Expected(int from, int to, bool sen_only = false) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i)
    if (!sen_only || i % 3 == 0) out.push_back(MakeUpn(i));
  return out;
}

TEST(CtfResume, CursorMidFileNamesTheByteWhereTheNextPupilStarts) {
  Workspace w;
  const fs::path file = WriteCtf(w.drop / "8201234_CTF_8214567_001.xml", 120);
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  json page = Read(*c, "pupil", "", 50);
  ASSERT_TRUE(page["more"]);
  std::vector<std::string> p = Parts(page["next_cursor"]);
  ASSERT_EQ(p.size(), 9u) << page["next_cursor"];
  EXPECT_EQ(p[0], "ctf2");
  EXPECT_EQ(p[3], "50");
  const std::string text = ReadText(file);
  const size_t offset = std::stoul(p[4]);
  ASSERT_LT(offset, text.size());
  EXPECT_EQ(text.substr(offset - 9, 9), "</Pupil >") << "just after the 50th pupil";
  const size_t next = text.find("<Pupil>", offset);
  EXPECT_EQ(text.substr(offset, next - offset).find_first_not_of("\r\n"), std::string::npos);
  EXPECT_EQ(text.find("<UPN>" + MakeUpn(50) + "</UPN>", offset), next + 8);
  EXPECT_EQ(std::stoi(p[5]), LineOf(file, "<UPN>" + MakeUpn(49) + "<") + 1) << "its line";
}

TEST(CtfResume, CursorTakenMidFileResumesAtTheNextPupilAfterARestart) {
  for (const std::string eol : {"\n", "\r\n", "\r", ""}) {
    SCOPED_TRACE(testing::Message() << "line ending " << json(eol).dump());
    Workspace w;
    Layout l;
    l.eol = eol;
    WriteCtf(w.drop / "8201234_CTF_8214567_001.xml", 250, l);
    std::string pupils_at, sen_at;
    std::vector<std::string> got_pupils, got_sen;
    {
      auto c = Open(w.Config());
      ASSERT_NE(c, nullptr);
      json a = Read(*c, "pupil", "", 70);
      json b = Read(*c, "sen", "", 20);
      pupils_at = a["next_cursor"];
      sen_at = b["next_cursor"];
      got_pupils = Upns(a["records"]);
      got_sen = Upns(b["records"]);
    }
    EXPECT_EQ(pupils_at.rfind("ctf2:", 0), 0u) << pupils_at;
    EXPECT_EQ(sen_at.rfind("ctf2:", 0), 0u) << sen_at;
    auto c = Open(w.Config());  // a new instance, as after a restart
    ASSERT_NE(c, nullptr);
    for (const std::string& u : Upns(ReadAll(*c, "pupil", pupils_at, 33)["records"]))
      got_pupils.push_back(u);
    for (const std::string& u : Upns(ReadAll(*c, "sen", sen_at, 7)["records"]))
      got_sen.push_back(u);
    EXPECT_EQ(got_pupils, Expected(0, 250));
    EXPECT_EQ(got_sen, Expected(0, 250, true));
  }
}

TEST(CtfResume, LinesInRejectsAfterAResumeAreTheFilesLines) {
  Workspace w;
  const fs::path file = w.drop / "8201234_CTF_8214567_001.xml";
  WriteCtf(file, 100);
  std::string text = ReadText(file);
  const std::string bad = "<UPN>" + MakeUpn(80) + "</UPN>";
  text.replace(text.find(bad), bad.size(), "<UPN></UPN>");  // pupil 80 has no UPN
  std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  json first = Read(*c, "pupil", "", 60);
  json rest = ReadAll(*c, "pupil", first["next_cursor"]);
  ASSERT_EQ(rest["rejects"].size(), 1u);
  const int line = LineOf(file, "<Surname>S80<");
  EXPECT_NE(rest["rejects"][0]["where"].get<std::string>().find("line " + std::to_string(line)),
            std::string::npos)
      << rest["rejects"][0]["where"];
}

TEST(CtfResume, CursorForOtherContentReadsTheFileFromItsStart) {
  Workspace w;
  WriteCtf(w.drop / "8201234_CTF_8214567_001.xml", 90);
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  std::vector<std::string> p = Parts(Read(*c, "pupil", "", 40)["next_cursor"]);
  ASSERT_EQ(p.size(), 9u);
  p[8] = "12345-0123456789abcdef";
  json r = ReadAll(*c, "pupil", Join(p));
  EXPECT_EQ(Upns(r["records"]), Expected(0, 90)) << "read again, never skipped";
}

TEST(CtfResume, PositionThatIsNotAPupilBoundaryFallsBackToCountingPupils) {
  Workspace w;
  WriteCtf(w.drop / "8201234_CTF_8214567_001.xml", 90);
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  std::vector<std::string> p = Parts(Read(*c, "pupil", "", 40)["next_cursor"]);
  ASSERT_EQ(p.size(), 9u);
  p[4] = std::to_string(std::stoul(p[4]) + 12);  // inside the next pupil's <UPN>
  json r = ReadAll(*c, "pupil", Join(p));
  EXPECT_EQ(Upns(r["records"]), Expected(40, 90));
}

TEST(CtfResume, FileReplacedByANewExportOfTheSameNameIsReadFromItsStart) {
  Workspace w;
  const fs::path file = WriteCtf(w.drop / "8201234_CTF_8214567_001.xml", 90);
  std::string cursor;
  {
    auto c = Open(w.Config());
    ASSERT_NE(c, nullptr);
    cursor = Read(*c, "pupil", "", 40)["next_cursor"];
  }
  // The MIS exports again under the same name: other pupils, another size.
  WriteCtf(file, 75, {}, 500);
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  json r = ReadAll(*c, "pupil", cursor);
  EXPECT_EQ(Upns(r["records"]), Expected(500, 575)) << "every pupil of the new export, once";
  ASSERT_EQ(r["rejects"].size(), 1u) << "the rest of the first export is not passed over silently";
  EXPECT_NE(r["rejects"][0]["reason"].get<std::string>().find("overwritten"), std::string::npos)
      << r["rejects"][0]["reason"];
}

TEST(CtfResume, FileNotInUtf8IsPagedByCountingPupils) {
  Workspace w;
  const fs::path file = w.drop / "8201234_CTF_8214567_001.xml";
  {
    Layout l;
    l.forename = "Zo\xEB";  // "Zoë" in ISO-8859-1
    WriteCtf(file, 60, l);
    std::string text = ReadText(file);
    text.replace(text.find("UTF-8"), 5, "ISO-8859-1");
    std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
  }
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  json first = Read(*c, "pupil", "", 25);
  EXPECT_EQ(first["next_cursor"].get<std::string>().rfind("ctf1:", 0), 0u)
      << "columns are not UTF-8 characters there, so no byte position is claimed";
  std::vector<std::string> got = Upns(first["records"]);
  for (const std::string& u : Upns(ReadAll(*c, "pupil", first["next_cursor"], 10)["records"]))
    got.push_back(u);
  EXPECT_EQ(got, Expected(0, 60));
  EXPECT_EQ(first["records"][0]["legal_forename"], "Zo\xC3\xAB");
}

TEST(CtfProgress, PupilPageSaysHowManyPupilsAreStillToCome) {
  Workspace w;
  WriteCtf(w.drop / "8201234_CTF_8214567_001.xml", 120);
  WriteCtf(w.drop / "8201234_CTF_8214567_002.xml", 30, {}, 500);
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  json first = Read(*c, "pupil", "", 50);
  EXPECT_EQ(first["remaining"], 100);
  json second = Read(*c, "pupil", first["next_cursor"], 90);
  EXPECT_EQ(second["remaining"], 10) << "the rest of the second file";
}

// SEN pages served from what the pupil pages parsed know exactly how many are still to come.
TEST(CtfProgress, SenPageAfterThePupilPassSaysHowManySenRecordsAreStillToCome) {
  Workspace w;
  WriteCtf(w.drop / "8201234_CTF_8214567_001.xml", 200);  // 67 pupils with SEN history
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(ReadAll(*c, "pupil", "", 50)["records"].size(), 200u);
  json first = Read(*c, "sen", "", 30);
  ASSERT_TRUE(first["more"]);
  EXPECT_EQ(first["records"].size(), 30u);
  EXPECT_EQ(first["remaining"], 37);
  json second = Read(*c, "sen", first["next_cursor"], 30);
  EXPECT_EQ(second["remaining"], 7);
}

// The host reads a link's pupils, then its SEN, in one run: the pupil pages' parse serves both.
TEST(CtfOnePass, SenPagesAfterPupilPagesNeedNotReadTheFileAgain) {
  Workspace w;
  const fs::path file = WriteCtf(w.drop / "8201234_CTF_8214567_001.xml", 200);
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  json pupils = ReadAll(*c, "pupil", "", 50);
  ASSERT_EQ(pupils["records"].size(), 200u);
  // Gone before the sen pages: they come from what the pupil pages parsed.
  fs::rename(file, w.root / "taken-away.xml");
  json sen = ReadAll(*c, "sen", "", 30);
  EXPECT_EQ(Upns(sen["records"]), Expected(0, 200, true));
  EXPECT_TRUE(sen["rejects"].empty()) << sen["rejects"].dump().substr(0, 300);
  EXPECT_EQ(sen["next_cursor"], pupils["next_cursor"]);
}

TEST(CtfOnePass, SenFromThePupilPassEqualsSenReadFromTheFiles) {
  Workspace w;
  const fs::path file = w.drop / "8201234_CTF_8214567_001.xml";
  WriteCtf(file, 150);
  std::string text = ReadText(file);
  const std::string bad = "<UPN>" + MakeUpn(33) + "</UPN>";
  text.replace(text.find(bad), bad.size(), "<UPN>not a upn</UPN>");  // a SEN pupil, rejected
  std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
  w.Drop("broken/truncated.xml");  // a refused file: one reject in each kind
  WriteCtf(w.drop / "8201234_CTF_8214567_002.xml", 40, {}, 1000);
  json spooled, direct;
  {
    auto c = Open(w.Config());
    ASSERT_NE(c, nullptr);
    ReadAll(*c, "pupil", "", 64);
    spooled = ReadAll(*c, "sen", "", 9);
  }
  {
    auto c = Open(w.Config());  // nothing spooled: the files are parsed
    ASSERT_NE(c, nullptr);
    direct = ReadAll(*c, "sen", "", 9);
  }
  EXPECT_EQ(spooled["records"], direct["records"]);
  EXPECT_EQ(spooled["rejects"], direct["rejects"]);
  EXPECT_EQ(spooled["rejects"].size(), 2u) << spooled["rejects"].dump().substr(0, 400);
  EXPECT_EQ(spooled["next_cursor"], direct["next_cursor"]);
}

TEST(CtfOnePass, SenPagesReadOnFromTheFilesWherePupilPagesStopped) {
  Workspace w;
  WriteCtf(w.drop / "8201234_CTF_8214567_001.xml", 180);
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  Read(*c, "pupil", "", 70);  // pupils 0-69 parsed; the run stopped there
  json sen = ReadAll(*c, "sen", "", 11);
  EXPECT_EQ(Upns(sen["records"]), Expected(0, 180, true));
}

}  // namespace
