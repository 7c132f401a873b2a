// The evidence pack: a PDF that opens and reads well (rendered with pdftoppm, read back with
// pdftotext) and the same content as evidence.json, made only from what the link may send.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "fixtures.h"
#include "png_probe.h"

using namespace la_portal_test;
namespace fs = std::filesystem;

namespace {

class TempDir {
 public:
  TempDir() {
    static int n = 0;
    path_ = fs::temp_directory_path() /
            ("sendsync-la-pack-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// The bytes of a referral's document in `category` at the simulated LA.
std::string Document(sendsync::sims::LaPortalSim& sim, const std::string& client_reference,
                     const std::string& category) {
  const std::string id = SimReferralId(sim, client_reference);
  auto r = sim.Referral(id);
  if (!r.ok()) return "";
  for (const json& d : (*r)["documents"])
    if (d["category"] == category) {
      auto bytes = sim.DocumentBytes(id, d["id"]);
      return bytes.ok() ? *bytes : "";
    }
  return "";
}

// Submits `record` with `context` through an adapter configured with `config` and returns the
// evidence pack PDF the LA received.
std::string SubmitAndFetchPdf(sendsync::sims::LaPortalSim& sim, json config,
                              const json& context = ReadyContext(),
                              const json& record = ReferralRecord()) {
  Adapter a(config);
  EXPECT_TRUE(a.ok()) << a.open_error();
  EXPECT_EQ(a.WriteOne(record, context, "pack-" + record["id"].get<std::string>())["result"],
            "applied");
  return Document(sim, record["id"], "evidence_pack");
}

std::string Save(const TempDir& dir, const std::string& name, const std::string& bytes) {
  std::string path = dir.File(name);
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::string PdfText(const std::string& pdf_path) {
  std::string out;
  EXPECT_EQ(RunCommand("pdftotext -enc UTF-8 '" + pdf_path + "' - 2>/dev/null", &out), 0);
  return out;
}

int PdfPages(const std::string& pdf_path) {
  std::string out;
  RunCommand("pdfinfo '" + pdf_path + "' 2>/dev/null", &out);
  size_t at = out.find("Pages:");
  return at == std::string::npos ? 0 : std::atoi(out.c_str() + at + 6);
}

// Collapses runs of whitespace so text wrapped across lines can be searched.
std::string Squash(const std::string& s) {
  std::string out;
  for (char c : s) {
    bool space = c == ' ' || c == '\n' || c == '\t' || c == '\f';
    if (space) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

TEST(EvidencePack, FirstPageRendersToAPngThatIsNotBlank) {
  auto sim = StartSim();
  TempDir dir;
  std::string pdf = SubmitAndFetchPdf(*sim, ApiKeyConfig(*sim));
  ASSERT_EQ(pdf.rfind("%PDF-", 0), 0u) << "not a PDF";
  std::string path = Save(dir, "pack.pdf", pdf);
  ASSERT_EQ(RunCommand("pdftoppm -png -r 60 -f 1 -l 1 -singlefile '" + path + "' '" +
                       dir.File("page1") + "' 2>&1"),
            0);
  // SENDSYNC_LA_PACK_OUT=<folder> keeps the PDF and every page as a PNG for a person to look at
  // (docs/referrals.md shows them): evidence-pack-page-1.png, -2.png, …
  if (const char* keep = std::getenv("SENDSYNC_LA_PACK_OUT")) {
    fs::create_directories(keep);
    fs::copy_file(path, fs::path(keep) / "evidence-pack.pdf", fs::copy_options::overwrite_existing);
    EXPECT_EQ(RunCommand("pdftoppm -png -r 50 '" + path + "' '" +
                         (fs::path(keep) / "evidence-pack-page").string() + "' 2>&1"),
              0);
  }
  std::string error;
  GrayImage img = ReadGrayPng(dir.File("page1.png"), &error);
  ASSERT_GT(img.width, 0) << error;
  EXPECT_GT(img.DarkShare(), 0.005) << "page 1 is blank";
  EXPECT_LT(img.DarkShare(), 0.5) << "page 1 is mostly dark";
}

TEST(EvidencePack, PdfTextNamesTheNeedsCostsAndVoices) {
  auto sim = StartSim();
  TempDir dir;
  std::string text =
      Squash(PdfText(Save(dir, "p.pdf", SubmitAndFetchPdf(*sim, ApiKeyConfig(*sim)))));
  EXPECT_NE(text.find("Speech, language and communication needs"), std::string::npos) << text;
  EXPECT_NE(text.find("Social, emotional and mental health"), std::string::npos);
  EXPECT_NE(text.find("Talk Boost small-group language programme"), std::string::npos);
  EXPECT_NE(text.find("£390.56"), std::string::npos) << "P1's cost a year";
  EXPECT_NE(text.find("Cost to date"), std::string::npos) << "the two cost figures, labelled";
  EXPECT_NE(text.find("Cycle 1"), std::string::npos);
  EXPECT_NE(text.find("Cycle 2"), std::string::npos);
  EXPECT_NE(text.find("Uses 'because' to join ideas"), std::string::npos) << "a SMART target";
  EXPECT_NE(text.find("Words are hard"), std::string::npos) << "the pupil's voice";
  EXPECT_NE(text.find("time to ask for an EHC needs assessment"), std::string::npos);
  EXPECT_NE(text.find("Dr J Okafor"), std::string::npos) << "external advice";
  EXPECT_NE(text.find("Readiness checklist"), std::string::npos);
  EXPECT_NE(text.find("Brookside Primary School"), std::string::npos);
  EXPECT_NE(text.find("14 May 2016"), std::string::npos) << "date of birth";
}

TEST(EvidencePack, EmbedsDejaVuSoNamesPrintAsWritten) {
  auto sim = StartSim();
  TempDir dir;
  std::string path = Save(dir, "p.pdf", SubmitAndFetchPdf(*sim, ApiKeyConfig(*sim)));
  std::string fonts;
  RunCommand("pdffonts '" + path + "' 2>/dev/null", &fonts);
  EXPECT_NE(fonts.find("DejaVuSans"), std::string::npos) << fonts;
  std::string text = PdfText(path);
  EXPECT_NE(text.find("Zoë Łukasiewicz"), std::string::npos) << text.substr(0, 400);
}

TEST(EvidencePack, FallsBackToLatin1BaseFontsWithoutDejaVu) {
  auto sim = StartSim();
  TempDir dir;
  json config = ApiKeyConfig(*sim);
  config["fonts_dir"] = dir.File("no-fonts-here");
  std::string path = Save(dir, "p.pdf", SubmitAndFetchPdf(*sim, config));
  std::string fonts;
  RunCommand("pdffonts '" + path + "' 2>/dev/null", &fonts);
  EXPECT_NE(fonts.find("Helvetica"), std::string::npos) << fonts;
  std::string text = PdfText(path);
  EXPECT_NE(text.find("Zoë Lukasiewicz"), std::string::npos) << "Ł folds to L; ë is Latin-1";
  EXPECT_NE(text.find("£390.56"), std::string::npos) << "P1's cost a year; £ is in CP1252";
  Adapter a(config);
  EXPECT_NE(
      a.Call("describe", json::object()).body.value("evidence_pack_font", "").find("Helvetica"),
      std::string::npos);
}

TEST(EvidencePack, LongTextWrapsOntoMorePagesAndNothingIsLost) {
  auto sim = StartSim();
  TempDir dir;
  json config = ApiKeyConfig(*sim);
  const std::string normal = Save(dir, "normal.pdf", SubmitAndFetchPdf(*sim, config));
  json ctx = ReadyContext();
  std::string essay;
  // Just under the API's 20,000-character limit for a summary.
  for (int i = 0; i < 560; ++i) essay += "observation" + std::to_string(i) + " of the pupil's day ";
  essay += std::string(400, 'W') + " ENDMARKER";
  ctx["cycles"][0]["assessment_summary"] = essay;
  ctx["provision"][0]["intervention"] = std::string(450, 'I');
  const std::string long_pdf =
      Save(dir, "long.pdf", SubmitAndFetchPdf(*sim, config, ctx, ReferralRecord("REF-LONG")));
  EXPECT_GT(PdfPages(long_pdf), PdfPages(normal) + 2);
  std::string text = PdfText(long_pdf);
  EXPECT_NE(text.find("ENDMARKER"), std::string::npos);
  EXPECT_NE(text.find("observation559"), std::string::npos);
  EXPECT_EQ(sim->Violations()["requests"].size(), 0u);
}

TEST(EvidencePack, JsonHoldsTheSameContent) {
  auto sim = StartSim();
  SubmitAndFetchPdf(*sim, ApiKeyConfig(*sim));
  json pack = json::parse(Document(*sim, "REF-2024-0001", "evidence_pack_data"));
  EXPECT_EQ(pack["format"], "sendsync-evidence-pack");
  EXPECT_EQ(pack["version"], 1);
  EXPECT_EQ(pack["prepared_on"], "2024-05-01");
  EXPECT_EQ(pack["pupil"]["name"], "Zoë Łukasiewicz");
  EXPECT_EQ(pack["needs"]["needs"][0]["label"], "Speech, language and communication needs");
  EXPECT_EQ(pack["cycles"].size(), 2u);
  EXPECT_EQ(pack["cycles_completed"], 2);
  EXPECT_EQ(pack["cycles"][1]["planned_provision"][2]["intervention"],
            "ELSA emotional literacy sessions");
  EXPECT_NEAR(pack["provision_map"]["total_per_year"].get<double>(), 2026.31, 0.001);
  EXPECT_EQ(pack["reviews"][1]["pupil_voice"],
            "Words are hard. I like it when Mrs Khan draws it for me.");
  EXPECT_EQ(pack["readiness"]["items"].size(), 3u);
  EXPECT_EQ(pack["external_advice"].size(), 2u);
}

TEST(EvidencePack, HoldsOnlyWhatTheLinkMaySend) {
  auto sim = StartSim();
  TempDir dir;
  json ctx = ReadyContext();
  for (json& r : ctx["reviews"]) r.erase("parent_voice");
  json record = ReferralRecord();
  record.erase("parent_views");
  std::string text =
      PdfText(Save(dir, "p.pdf", SubmitAndFetchPdf(*sim, ApiKeyConfig(*sim), ctx, record)));
  EXPECT_EQ(text.find("still gets frustrated"), std::string::npos);
  EXPECT_EQ(text.find("falling behind"), std::string::npos);
  json pack = json::parse(Document(*sim, "REF-2024-0001", "evidence_pack_data"));
  EXPECT_FALSE(pack.contains("parent_views"));
  EXPECT_FALSE(pack["reviews"][0].contains("parent_voice"));
}

TEST(EvidencePack, SameReferralGivesTheSameBytes) {
  auto a = StartSim();
  auto b = StartSim();
  std::string first = SubmitAndFetchPdf(*a, ApiKeyConfig(*a));
  std::string second = SubmitAndFetchPdf(*b, ApiKeyConfig(*b));
  ASSERT_FALSE(first.empty());
  EXPECT_TRUE(first == second) << "a retried submission would upload a different document";
}

// Schools number targets afresh in every cycle: T1 and T2 in both cycles here, each cycle's its
// own. Every review's progress table must name its own cycle's targets.
TEST(EvidencePack, ReviewsNameTheirOwnCyclesTargetsWhenIdsRepeatAcrossCycles) {
  auto sim = StartSim();
  TempDir dir;
  json ctx = ReadyContext();
  auto target = [](const std::string& id, const std::string& text, const std::string& progress) {
    return json{{"id", id}, {"description", text}, {"due", "2024-04-19"}, {"progress", progress}};
  };
  ctx["cycles"][0]["outcomes"] =
      json::array({{{"id", "O1"},
                    {"description", "Follows classroom instructions with support"},
                    {"targets",
                     {target("T1", "Follows two-step instructions in class", "partially_achieved"),
                      target("T2", "Names five feelings pictures", "achieved")}}}});
  ctx["cycles"][1]["outcomes"] =
      json::array({{{"id", "O1"},
                    {"description", "Explains her ideas in a sentence"},
                    {"targets",
                     {target("T1", "Uses because to join ideas", "not_achieved"),
                      target("T2", "Settles within ten minutes", "in_progress")}}}});
  ctx["reviews"][0]["progress"] = json::array(
      {{{"target_id", "T1"}, {"progress", "partially_achieved"}, {"note", "With a prompt."}},
       {{"target_id", "T2"}, {"progress", "achieved"}}});
  ctx["reviews"][1]["progress"] =
      json::array({{{"target_id", "T1"}, {"progress", "not_achieved"}, {"note", "Uses and only."}},
                   {{"target_id", "T2"}, {"progress", "in_progress"}}});
  const std::string pdf = SubmitAndFetchPdf(*sim, ApiKeyConfig(*sim), ctx);

  json pack = json::parse(Document(*sim, "REF-2024-0001", "evidence_pack_data"));
  ASSERT_EQ(pack["reviews"].size(), 2u);
  const json& december = pack["reviews"][0];  // 12 December 2023, cycle C1
  EXPECT_EQ(december["date"], "2023-12-12");
  EXPECT_EQ(december["progress"][0]["target"], "Follows two-step instructions in class");
  EXPECT_EQ(december["progress"][1]["target"], "Names five feelings pictures");
  const json& april = pack["reviews"][1];  // 23 April 2024, cycle C2
  EXPECT_EQ(april["progress"][0]["target"], "Uses because to join ideas");
  EXPECT_EQ(april["progress"][1]["target"], "Settles within ten minutes");

  // The same in the PDF: section 4's December review lists only the first cycle's targets.
  const std::string text = Squash(PdfText(Save(dir, "p.pdf", pdf)));
  const size_t section = text.find("4. Reviews");
  ASSERT_NE(section, std::string::npos) << text;
  const size_t dec = text.find("12 December 2023", section);
  const size_t apr = text.find("23 April 2024", dec);
  ASSERT_NE(dec, std::string::npos);
  ASSERT_NE(apr, std::string::npos);
  const std::string dec_part = text.substr(dec, apr - dec);
  EXPECT_NE(dec_part.find("Follows two-step"), std::string::npos) << dec_part;
  EXPECT_NE(dec_part.find("Names five feelings"), std::string::npos) << dec_part;
  EXPECT_EQ(dec_part.find("Uses because"), std::string::npos) << "the 2024 cycle's target";
  EXPECT_EQ(dec_part.find("Settles within"), std::string::npos) << "the 2024 cycle's target";
}

TEST(EvidencePack, AReviewWithoutACycleIdTakesTheCycleItsDateFallsIn) {
  auto sim = StartSim();
  json ctx = ReadyContext();
  ctx["reviews"][0].erase("cycle_id");  // 12 December 2023: within C1 (11 Sep to 15 Dec 2023)
  ctx["cycles"][1]["outcomes"][0]["targets"][0]["id"] = "T1";  // C2 has a T1 of its own
  SubmitAndFetchPdf(*sim, ApiKeyConfig(*sim), ctx);
  json pack = json::parse(Document(*sim, "REF-2024-0001", "evidence_pack_data"));
  EXPECT_EQ(pack["reviews"][0]["cycle_id"], "C1");
  EXPECT_EQ(pack["reviews"][0]["progress"][0]["target"], "Follows two-step instructions in class");
}

// Cost a year of what runs on the request date, and cost to date of everything, each labelled:
// provision that ended is not current cost.
TEST(EvidencePack, CurrentCostAYearLeavesOutEndedProvisionAndCostToDateCountsIt) {
  auto sim = StartSim();
  TempDir dir;
  json ctx = ReadyContext();
  ctx["provision"][0].erase("end");  // P1 still runs on the request date (1 May 2024)
  const std::string pdf = SubmitAndFetchPdf(*sim, ApiKeyConfig(*sim), ctx);
  json pack = json::parse(Document(*sim, "REF-2024-0001", "evidence_pack_data"));
  const json& map = pack["provision_map"];
  const double p1 = ProvisionPerYear(ctx["provision"][0]);
  EXPECT_NEAR(map["current_per_year"].get<double>(), p1, 0.01) << "P2 and P3 ended in April";
  EXPECT_EQ(map["items"][1]["current"], false);
  // P2: 15 January to 19 April 2024, 96 days of its yearly cost.
  const double p2 = ProvisionPerYear(ctx["provision"][1]);
  EXPECT_NEAR(map["items"][1]["cost_to_date"].get<double>(), p2 * 96 / 365, 0.01);
  double sum = 0;
  for (const json& p : map["items"]) sum += p["cost_to_date"].get<double>();
  EXPECT_NEAR(map["to_date"].get<double>(), sum, 0.02);
  const std::string text = Squash(PdfText(Save(dir, "p.pdf", pdf)));
  EXPECT_NE(text.find("(ended)"), std::string::npos) << text;
  EXPECT_NE(text.find("current provision a year"), std::string::npos) << text;
}

// What a decision-maker needs (issue 20): the family's contacts and home LA, EAL, attendance,
// attainment, the school's reasons, and the professional reports as documents of their own.
TEST(EvidencePack, CarriesFamilyAttendanceAttainmentReasonsAndReports) {
  auto sim = StartSim();
  TempDir dir;
  json ctx = ReadyContext();
  ctx["pupil"]["home_la"] = "821";
  ctx["pupil"]["eal"] = true;
  ctx["pupil"]["first_language"] = "Polish";
  ctx["pupil"]["contacts"] = {{{"name", "Agnieszka Łukasiewicz"},
                               {"relationship", "mother"},
                               {"parental_responsibility", true},
                               {"phone", "01632 960001"}}};
  ctx["pupil"]["attendance"] = {{{"from", "2023-09-04"},
                                 {"to", "2024-03-28"},
                                 {"possible_sessions", 250},
                                 {"attended_sessions", 231}}};
  ctx["pupil"]["attainment"] = {
      {{"subject", "Reading"}, {"result", "Working towards"}, {"date", "2023-07-10"}}};
  json record = ReferralRecord();
  record["reasons"] = "Progress has stalled after two full cycles of targeted support.";
  record["unmet_needs"] = "Daily one-to-one language therapy the school cannot fund.";
  ctx["provision"][0]["baseline"] = {
      {"measure", "standardised score"}, {"value", "78"}, {"date", "2023-09-25"}};
  ctx["provision"][0]["exit"] = {
      {"measure", "standardised score"}, {"value", "86"}, {"date", "2024-02-09"}};
  record["external_advice"][0]["report"] =
      "Cognitive assessment: verbal comprehension well below average; recommendations follow.";
  const std::string path =
      Save(dir, "p.pdf", SubmitAndFetchPdf(*sim, ApiKeyConfig(*sim), ctx, record));
  // SENDSYNC_LA_PACK_OUT=<folder> keeps this fuller pack's pages too
  // (evidence-pack-full-page-*.png: docs/referrals.md shows its sections 9 to 12).
  if (const char* keep = std::getenv("SENDSYNC_LA_PACK_OUT")) {
    fs::create_directories(keep);
    EXPECT_EQ(RunCommand("pdftoppm -png -r 50 '" + path + "' '" +
                         (fs::path(keep) / "evidence-pack-full-page").string() + "' 2>&1"),
              0);
  }
  std::string text = Squash(PdfText(path));
  EXPECT_NE(text.find("Agnieszka Łukasiewicz"), std::string::npos) << text;
  EXPECT_NE(text.find("LA 821"), std::string::npos);
  EXPECT_NE(text.find("Polish"), std::string::npos);
  EXPECT_NE(text.find("92.4%"), std::string::npos) << "231 of 250 sessions";
  EXPECT_NE(text.find("Working towards"), std::string::npos);
  EXPECT_NE(text.find("Progress has stalled"), std::string::npos);
  EXPECT_NE(text.find("cannot fund"), std::string::npos);
  EXPECT_NE(text.find("Timeline"), std::string::npos);
  // The pictures, with their numbers beside them.
  EXPECT_NE(text.find("Chart: each provision's scores, entry to exit"), std::string::npos);
  EXPECT_NE(text.find("entry 78"), std::string::npos);
  EXPECT_NE(text.find("exit 86"), std::string::npos);
  EXPECT_NE(text.find("Chart: timeline of cycles, provision and reviews"), std::string::npos);

  json pack = json::parse(Document(*sim, "REF-2024-0001", "evidence_pack_data"));
  EXPECT_EQ(pack["family"]["home_la"], "821");
  EXPECT_EQ(pack["family"]["contacts"][0]["relationship"], "mother");
  EXPECT_DOUBLE_EQ(pack["attendance"][0]["percent"].get<double>(), 92.4);
  EXPECT_EQ(pack["reports"].size(), 1u);
  EXPECT_EQ(pack["reports"][0]["category"], "educational_psychology");
  EXPECT_FALSE(pack["reports"][0].contains("text")) << "the report travels as its own document";
  for (const json& m : pack["not_included"])
    EXPECT_EQ(m.get<std::string>().find("Attendance"), std::string::npos) << m;
  EXPECT_FALSE(pack["timeline"].empty());

  // The report itself: a PDF filed under its author's role's category.
  const std::string report = Document(*sim, "REF-2024-0001", "educational_psychology");
  ASSERT_EQ(report.rfind("%PDF-", 0), 0u) << "the report is not attached as a PDF";
  std::string rtext = Squash(PdfText(Save(dir, "r.pdf", report)));
  EXPECT_NE(rtext.find("verbal comprehension well below average"), std::string::npos) << rtext;
  EXPECT_NE(rtext.find("Educational psychologist"), std::string::npos) << rtext;
}

TEST(EvidencePack, MissingFamilyDataIsStatedAsMissingNotLeftOut) {
  auto sim = StartSim();
  TempDir dir;
  std::string text =
      Squash(PdfText(Save(dir, "p.pdf", SubmitAndFetchPdf(*sim, ApiKeyConfig(*sim)))));
  EXPECT_NE(text.find("Not included in this request"), std::string::npos) << text;
  json pack = json::parse(Document(*sim, "REF-2024-0001", "evidence_pack_data"));
  std::set<std::string> missing;
  for (const json& m : pack["not_included"]) missing.insert(m.get<std::string>());
  for (const char* m : {"Parent or carer contact details", "The child's home LA",
                        "Whether English is an additional language", "Attendance", "Attainment",
                        "The school's reasons for the request",
                        "What the school cannot provide from its own resources",
                        "Professional reports (as documents)"})
    EXPECT_TRUE(missing.count(m)) << m;
}
