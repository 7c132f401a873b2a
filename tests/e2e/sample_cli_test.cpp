// The hub's commands on the sample that ships in the repo (docs/samples/pupils.jsonl, issue 3):
// init, import-json, pupil show, due, referral check and export-json, run through the real
// `sendsync` binary. The sample's eight invented pupils at two schools (Meadowbank Primary, URN
// 100001; Hillcrest Academy, URN 100002) include:
//   Ella Morgan   X820200120015  SEN support, three completed and reviewed cycles, costed
//                                provision, specialist advice, a draft request with consent: ready
//   Harvey Collins M820200121008 SEN support since January: one cycle (a target without criteria,
//                                a review without progress), uncosted provision: not ready
//   Sofia Novak   L820400220031  EHC plan after a request the LA agreed to, an annual review held
//   Leo Fernandes X820400218046  SEN support; the LA is assessing after his parents' request
// and pupils with NSA, HI with equipment costs, a pupil who left SEN support, and DS (from 2025).
// Clocks are worked out as of 1 November 2025, where the sample's story stands.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "e2e_support.h"

namespace sendsync::e2e {
namespace {

const char kAsOf[] = "2025-11-01";
const char kReady[] = "X820200120015";     // Ella Morgan
const char kNotReady[] = "M820200121008";  // Harvey Collins
const char kEhcPlan[] = "L820400220031";   // Sofia Novak

fs::path SampleFile() {
  return fs::path(SOURCE_DIR) / "docs" / "samples" / "pupils.jsonl";
}

class SampleCli : public ::testing::Test {
 protected:
  void SetUp() override {
    ProgramResult init = cli_.Run({"init"});
    ASSERT_EQ(init.exit_code, 0) << init.Describe();
    ProgramResult imp = cli_.Run({"import-json", SampleFile().string()});
    ASSERT_EQ(imp.exit_code, 0) << imp.Describe();
  }

  json Find(const json& items, const std::string& key, const std::string& value) {
    for (const json& i : items)
      if (i.value(key, "") == value) return i;
    return json();
  }

  // The first item of a pupil's with the given clock id.
  json FindClock(const json& items, const std::string& upn, const std::string& clock) {
    for (const json& i : items)
      if (i.value("upn", "") == upn && i.value("clock", "") == clock) return i;
    return json();
  }

  TempDir dir_;
  Cli cli_{dir_.path()};
};

TEST(SampleFileCli, ImportCreatesEveryRecordOfTheSampleAndReportsNoErrors) {
  TempDir dir;
  Cli cli(dir.path());
  json init = cli.RunJson({"init"});
  EXPECT_GE(init.value("schema_version", 0), 1);
  json rep = cli.RunJson({"import-json", SampleFile().string()});
  const size_t lines = ReadJsonLines(SampleFile()).size();
  EXPECT_GE(lines, 30u) << "the sample is meant to be realistic, not a stub";
  EXPECT_EQ(rep.value("created", 0), static_cast<int>(lines));
  EXPECT_EQ(rep.value("written", false), true);
  EXPECT_TRUE(rep["errors"].empty()) << rep.dump(2);
}

TEST_F(SampleCli, PupilShowGivesIdentitySenCyclesCostedProvisionReviewsAndClocks) {
  json s = cli_.RunJson({"pupil", "show", kReady, "--as-of", kAsOf});
  EXPECT_EQ(s["pupil"]["legal_surname"], "Morgan");
  EXPECT_EQ(s["pupil"]["school_urn"], "100001");
  EXPECT_EQ(s["sen"]["provision"], "K");
  ASSERT_EQ(s["sen"]["needs"].size(), 2u);
  EXPECT_EQ(s["sen"]["needs"][0], json({{"type", "SPLD"}, {"rank", 1}, {"start", "2024-09-09"}}));
  EXPECT_EQ(s["sen"]["needs"][1]["type"], "SLCN");
  EXPECT_EQ(s["sen"]["needs"][1]["rank"], 2);
  EXPECT_EQ(s["cycles"].size(), 4u);
  ASSERT_EQ(s["provision"].size(), 3u);
  double total = 0;
  for (const json& p : s["provision"]) {
    EXPECT_GT(p["cost"].value("per_year", 0.0), 0) << p.dump();
    total += p["cost"].value("per_year", 0.0);
  }
  // Precision teaching: 5 x 10 min of a TA at £18.50 an hour, 1:1, 39 weeks.
  EXPECT_NEAR(
      Find(s["provision"], "intervention", "Precision teaching")["cost"]["per_year"].get<double>(),
      5 * 10 / 60.0 * 18.5 * 39, 0.01);
  EXPECT_NEAR(s["provision_cost_per_year"].get<double>(), total, 0.02);
  ASSERT_EQ(s["reviews"].size(), 3u);
  EXPECT_FALSE(s["reviews"][0].value("pupil_voice", "").empty());
  EXPECT_FALSE(s["reviews"][0].value("parent_voice", "").empty());
  EXPECT_EQ(s["referrals"].size(), 1u);
  EXPECT_EQ(s["as_of"], kAsOf);
  json next_review;
  for (const json& c : s["clocks"])
    if (c["clock"] == "review_overdue" && c["due"] == "2025-12-05") next_review = c;
  EXPECT_EQ(next_review.value("state", ""), "upcoming") << s["clocks"].dump(2);
}

TEST_F(SampleCli, PupilShowHumanOutputShowsNeedsCostsAndClocks) {
  ProgramResult r = cli_.Run({"pupil", "show", kReady, "--as-of", kAsOf});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.out.find("Pupil Ella Morgan (known as Ellie)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("need 1: SPLD"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("need 2: SLCN"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("a year in all"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Clocks as of 2025-11-01"), std::string::npos) << r.out;
}

// Issue 17: when the parents were told SEN provision began, the key adult and the agencies.
TEST_F(SampleCli, PupilShowNamesWhenParentsWereToldTheKeyAdultAndTheAgencies) {
  ProgramResult r = cli_.Run({"pupil", "show", kReady, "--as-of", kAsOf});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.out.find("parents told of SEN provision: 2024-09-13"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("key adult: Mrs Khan"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("agencies involved: Educational psychology service (2025-03-03→)"),
            std::string::npos)
      << r.out;
  json s = cli_.RunJson({"pupil", "show", kReady, "--as-of", kAsOf});
  EXPECT_EQ(s["sen"]["key_adult"], "Mrs Khan");
  // A pupil whose record does not say is shown as not recorded, not left out.
  ProgramResult other = cli_.Run({"pupil", "show", kEhcPlan, "--as-of", kAsOf});
  EXPECT_NE(other.out.find("parents told of SEN provision: not recorded"), std::string::npos)
      << other.out;
}

// Issue 17, seed 004: the intervention letter to the parents. Ella's first two interventions have
// their letters on record; the speech and language programme (from 2025-05-19) has none.
TEST_F(SampleCli, PupilShowGivesTheInterventionLetterAndItsClock) {
  ProgramResult r = cli_.Run({"pupil", "show", kReady, "--as-of", kAsOf});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.out.find("letter to parents 2024-09-20"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2025-05-19  overdue  Send the intervention letter to the parents (school)"),
            std::string::npos)
      << r.out;
  json s = cli_.RunJson({"pupil", "show", kReady, "--as-of", kAsOf});
  int met = 0, overdue = 0;
  for (const json& c : s["clocks"])
    if (c["clock"] == "intervention_letter") (c["state"] == "met" ? met : overdue)++;
  EXPECT_EQ(met, 2) << s["clocks"].dump(2);
  EXPECT_EQ(overdue, 1) << s["clocks"].dump(2);
}

TEST_F(SampleCli, PupilShowAsOfAnEarlierDateSeesTheClocksAsTheyStoodThen) {
  // On 1 December 2024 Ella's first cycle was still due for review (13 December); by November
  // 2025 that review had been held on the day.
  auto first_review = [&](const char* as_of) {
    json s = cli_.RunJson({"pupil", "show", kReady, "--as-of", as_of});
    for (const json& c : s["clocks"])
      if (c["clock"] == "review_overdue" && c["due"] == "2024-12-13") return c.value("state", "");
    return std::string("(none)");
  };
  EXPECT_EQ(first_review("2024-12-01"), "due");
  EXPECT_EQ(first_review(kAsOf), "met");
}

TEST_F(SampleCli, PupilShowOfAnEhcPlanShowsThePlanAndTheRequestThatLedToIt) {
  json s = cli_.RunJson({"pupil", "show", kEhcPlan, "--as-of", kAsOf});
  EXPECT_EQ(s["sen"]["provision"], "E");
  ASSERT_EQ(s["plans"].size(), 1u);
  EXPECT_EQ(s["plans"][0]["named_setting"], "Hillcrest Academy");
  ASSERT_EQ(s["referrals"].size(), 1u);
  EXPECT_EQ(s["referrals"][0]["status"], "plan_issued");
  EXPECT_EQ(Find(s["reviews"], "review_kind", "ehc_annual").value("date", ""), "2025-06-12");
}

TEST_F(SampleCli, PupilShowOfAnUnknownUpnFailsNamingIt) {
  ProgramResult r = cli_.Run({"pupil", "show", "B801200005001"});
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_NE(r.err.find("B801200005001"), std::string::npos) << r.Describe();
}

TEST_F(SampleCli, DueListsWhatIsOverdueSoonestFirst) {
  json d = cli_.RunJson({"due", "--as-of", kAsOf});
  EXPECT_EQ(d["as_of"], kAsOf);
  ASSERT_FALSE(d["items"].empty());
  std::string last;
  for (const json& i : d["items"]) {
    EXPECT_LE(last, i["due"].get<std::string>()) << "soonest first";
    last = i["due"];
  }
  json harvey = FindClock(d["items"], kNotReady, "review_overdue");
  EXPECT_EQ(harvey.value("state", ""), "overdue") << d.dump(2);
  EXPECT_EQ(harvey.value("due", ""), "2025-07-18");
  EXPECT_TRUE(FindClock(d["items"], kReady, "review_overdue").is_null())
      << "Ella's next review is five weeks away";
  // The six-stage school model's rhythm (seed 004): Harvey, at SEN support since 28 April, has no
  // half-termly progress review recorded, the first due 45 days in; Ella's SEN targets were not
  // reviewed with her parents in October.
  json progress = FindClock(d["items"], kNotReady, "stage_progress_review_half_termly");
  EXPECT_EQ(progress.value("due", ""), "2025-06-12") << d.dump(2);
  EXPECT_EQ(progress.value("state", ""), "overdue");
  json october = FindClock(d["items"], kReady, "calendar_targets_provision_map_review");
  EXPECT_EQ(october.value("due", ""), "2025-10-31") << d.dump(2);
  EXPECT_EQ(october.value("state", ""), "overdue");
}

TEST_F(SampleCli, DueWithinAddsWhatFallsDueInThatWindow) {
  json d = cli_.RunJson({"due", "--as-of", kAsOf, "--within", "40"});
  json ella = FindClock(d["items"], kReady, "review_overdue");
  EXPECT_EQ(ella.value("due", ""), "2025-12-05") << d.dump(2);
  EXPECT_EQ(ella.value("state", ""), "due");
}

TEST_F(SampleCli, DueForOneSchoolListsOnlyThatSchoolsPupils) {
  json all = cli_.RunJson({"due", "--as-of", kAsOf});
  json one = cli_.RunJson({"due", "--as-of", kAsOf, "--school", "100002"});
  ASSERT_FALSE(one["items"].empty());
  EXPECT_LT(one["items"].size(), all["items"].size());
  for (const json& i : one["items"]) EXPECT_EQ(i["school_urn"], "100002") << i.dump();
}

TEST_F(SampleCli, ReferralCheckOfAReadyPupilMeetsEveryItemAndExitsZero) {
  json r = cli_.RunJson({"referral", "check", kReady, "--as-of", kAsOf}, 0);
  EXPECT_EQ(r["ready"], true);
  ASSERT_EQ(r["items"].size(), 9u);
  for (const json& i : r["items"]) {
    EXPECT_TRUE(i["met"].get<bool>()) << i.dump();
    EXPECT_FALSE(i["evidence"].empty()) << i.dump();
  }
}

// Section 36 of the Children and Families Act 2014: Leo's parents asked for the assessment
// themselves (HC-2003-RF1, requester_role parent), so the checklist is advice, not a gate.
TEST_F(SampleCli, ReferralCheckOfAParentsOwnRequestIsAdviceAndExitsZero) {
  json r = cli_.RunJson({"referral", "check", "X820400218046", "--as-of", kAsOf}, 0);
  EXPECT_EQ(r["ready"], false) << r.dump(2);
  EXPECT_EQ(r["gate"], false);
  EXPECT_EQ(r["requested_by"], "parent");
  EXPECT_NE(r.value("advice", "").find("section 36"), std::string::npos) << r.dump(2);
  ProgramResult text = cli_.Run({"referral", "check", "X820400218046", "--as-of", kAsOf});
  EXPECT_EQ(text.exit_code, 0) << text.Describe();
  EXPECT_NE(text.out.find("advice, not a condition of the request"), std::string::npos)
      << text.Describe();
  EXPECT_NE(text.out.find("Requested by the parent"), std::string::npos) << text.Describe();
}

TEST_F(SampleCli, ReferralCheckOfAPupilNotReadyListsWhatIsMissingAndExitsThree) {
  json r = cli_.RunJson({"referral", "check", kNotReady, "--as-of", kAsOf}, 3);
  EXPECT_EQ(r["ready"], false);
  std::set<std::string> unmet;
  for (const json& i : r["items"])
    if (!i["met"].get<bool>()) {
      unmet.insert(i["id"].get<std::string>());
      EXPECT_FALSE(i.value("missing", "").empty()) << i.dump();
    }
  EXPECT_EQ(unmet, (std::set<std::string>{"completed_cycles", "smart_targets", "review_progress",
                                          "costed_provision", "specialist_advice", "pupil_views",
                                          "consent"}));
  EXPECT_NE(
      Find(r["items"], "id", "completed_cycles")["missing"].get<std::string>().find("found 1"),
      std::string::npos);
  EXPECT_NE(Find(r["items"], "id", "smart_targets")["missing"].get<std::string>().find(
                "success criteria"),
            std::string::npos);
}

TEST_F(SampleCli, ReferralCheckHumanOutputMarksEachItemAndSaysWhatIsMissing) {
  ProgramResult r = cli_.Run({"referral", "check", kNotReady, "--as-of", kAsOf});
  EXPECT_EQ(r.exit_code, 3) << r.Describe();
  EXPECT_NE(r.out.find("not ready yet"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[x] The parents' views"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[ ] Provision recorded and costed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("missing: "), std::string::npos) << r.out;
}

// ---- export-json ----

// The reference fields of each kind (docs/records.md, "References between records").
const std::map<std::string, std::vector<std::string>>& RefFieldsOf() {
  static const std::map<std::string, std::vector<std::string>> kRefs = {
      {"cycle", {"planned_provision"}},
      {"provision", {"cycle_id"}},
      {"review", {"cycle_id"}},
      {"referral", {"cycle_ids", "review_ids", "provision_ids"}},
      {"ehc_plan", {"referral_id"}}};
  return kRefs;
}

// A record without its envelope (kind, id, pupil) and without fields naming other records.
json Content(json r) {
  auto refs = RefFieldsOf().find(r.value("kind", ""));
  if (refs != RefFieldsOf().end())
    for (const std::string& f : refs->second) r.erase(f);
  for (const char* f : {"kind", "id", "pupil"}) r.erase(f);
  return r;
}

std::string UpnOf(const json& r) {
  return r.value("kind", "") == "pupil" ? r.value("upn", "") : r["pupil"].value("upn", "");
}

TEST_F(SampleCli, ExportJsonHoldsEverySampleRecordWithTheSameContentAndReferences) {
  const fs::path exported = dir_ / "export.jsonl";
  ProgramResult r = cli_.Run({"export-json", exported.string()});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  std::vector<json> sample = ReadJsonLines(SampleFile()), out = ReadJsonLines(exported);
  ASSERT_EQ(out.size(), sample.size());
  // Each sample record is exactly one exported record of the same kind and pupil whose content is
  // equal; the sample's ids map to the hub's.
  std::map<std::string, std::string> hub_id;  // sample id -> hub id
  std::set<size_t> used;
  for (const json& s : sample) {
    std::vector<size_t> found;
    for (size_t i = 0; i < out.size(); ++i)
      if (!used.count(i) && out[i]["kind"] == s["kind"] && UpnOf(out[i]) == UpnOf(s) &&
          Content(out[i]) == Content(s))
        found.push_back(i);
    ASSERT_EQ(found.size(), 1u) << "sample record " << s.dump();
    used.insert(found[0]);
    if (s.contains("id")) hub_id[s["id"].get<std::string>()] = out[found[0]]["id"];
  }
  // References point at the same records as in the sample, now by hub id.
  for (size_t k = 0; k < sample.size(); ++k) {
    auto refs = RefFieldsOf().find(sample[k].value("kind", ""));
    if (refs == RefFieldsOf().end()) continue;
    const json* o = nullptr;
    for (const json& e : out)
      if (e["id"] == hub_id[sample[k].value("id", "")]) o = &e;
    ASSERT_NE(o, nullptr);
    for (const std::string& f : refs->second) {
      if (!sample[k].contains(f)) continue;
      json want = sample[k][f];
      if (want.is_array())
        for (json& v : want) v = hub_id[v.get<std::string>()];
      else
        want = hub_id[want.get<std::string>()];
      EXPECT_EQ((*o)[f], want) << sample[k]["id"] << "." << f;
    }
  }
}

TEST_F(SampleCli, ExportJsonImportedIntoAFreshStoreExportsTheSameLines) {
  const fs::path first = dir_ / "first.jsonl", second = dir_ / "second.jsonl";
  ASSERT_EQ(cli_.Run({"export-json", first.string()}).exit_code, 0);
  TempDir other("fresh");
  Cli fresh(other.path());
  ASSERT_EQ(fresh.Run({"init"}).exit_code, 0);
  ProgramResult imp = fresh.Run({"import-json", first.string()});
  ASSERT_EQ(imp.exit_code, 0) << imp.Describe();
  ASSERT_EQ(fresh.Run({"export-json", second.string()}).exit_code, 0);
  EXPECT_EQ(ReadText(second), ReadText(first));
}

// export-json writes hub ids ("h1"); import-json recognises them as the records they name (same
// pupil by UPN), so a backup applies to the hub it came from: nothing new is created and the hub
// exports the same lines afterwards. (References the first import left pending may be stored
// resolved now, which counts as an update but exports identically.)
TEST_F(SampleCli, ExportJsonImportedBackIntoTheSameHubChangesNothing) {
  const fs::path exported = dir_ / "export.jsonl";
  ASSERT_EQ(cli_.Run({"export-json", exported.string()}).exit_code, 0);
  json rep = cli_.RunJson({"import-json", exported.string()});
  ASSERT_TRUE(rep.is_object());
  EXPECT_EQ(rep.value("created", -1), 0) << rep.dump(2);
  EXPECT_TRUE(rep["errors"].empty()) << rep.dump(2);
  EXPECT_EQ(rep.value("created", 0) + rep.value("updated", 0) + rep.value("unchanged", 0),
            static_cast<int>(ReadJsonLines(exported).size()))
      << rep.dump(2);
  const fs::path again = dir_ / "again.jsonl";
  ASSERT_EQ(cli_.Run({"export-json", again.string()}).exit_code, 0);
  EXPECT_EQ(ReadJsonLines(again), ReadJsonLines(exported));
}

// A backup from another hub names records by that hub's ids; here h1 is another pupil, so the
// backup's h1 must not be taken for it: every record of the backup is new here.
TEST_F(SampleCli, ExportFromAnotherHubIsNotMistakenForThisHubsRecords) {
  const fs::path exported = dir_ / "export.jsonl";
  ASSERT_EQ(cli_.Run({"export-json", exported.string()}).exit_code, 0);
  const fs::path other_dir = dir_.path() / "other-hub";
  fs::create_directories(other_dir);
  Cli other(other_dir);
  ASSERT_EQ(other.Run({"init"}).exit_code, 0);
  // Another pupil, not in the backup, goes in first, so h1 here is someone else.
  std::vector<json> lines = ReadJsonLines(SampleFile());
  const fs::path one = other_dir / "one.jsonl";
  for (const json& j : lines)
    if (j["kind"] == "pupil") {
      json other_pupil = j;
      other_pupil["id"] = "OTHER-1";
      other_pupil["upn"] = "B801200005001";  // a valid UPN no pupil of the sample has
      std::ofstream(one) << other_pupil.dump() << "\n";
      break;
    }
  ASSERT_EQ(other.Run({"import-json", one.string()}).exit_code, 0);
  json rep = other.RunJson({"import-json", exported.string()});
  ASSERT_TRUE(rep.is_object());
  EXPECT_EQ(rep.value("created", 0), static_cast<int>(lines.size())) << rep.dump(2);
  ProgramResult out = other.Run({"export-json"});
  ASSERT_EQ(out.exit_code, 0);
  size_t pupils_with_h1 = 0;
  std::istringstream in(out.out);
  std::string line;
  while (std::getline(in, line)) {
    json j = json::parse(line);
    if (j["kind"] == "pupil" && j["id"] == "h1") {
      ++pupils_with_h1;
      EXPECT_EQ(j["upn"], "B801200005001") << "a pupil of the backup was merged into h1";
    }
  }
  EXPECT_EQ(pupils_with_h1, 1u);
}

TEST_F(SampleCli, ExportJsonToStandardOutputWritesOneRecordPerLine) {
  ProgramResult r = cli_.Run({"export-json"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  size_t lines = 0;
  for (size_t at = 0; (at = r.out.find('\n', at)) != std::string::npos; ++at) ++lines;
  EXPECT_EQ(lines, ReadJsonLines(SampleFile()).size());
}

// A warning on an imported record (here a former UPN equal to the UPN) is shown by import-json,
// and pupil show, the API and its JSON show it on the stored record.
TEST(SampleFileCli, WarningsOnImportedRecordsAreShownByImportAndPupilShow) {
  TempDir dir;
  Cli cli(dir.path());
  ASSERT_EQ(cli.Run({"init"}).exit_code, 0);
  const fs::path file = dir.path() / "warned.jsonl";
  WriteText(file,
            R"({"kind":"pupil","id":"W1","upn":"X820200120015","former_upn":"X820200120015",)"
            R"("legal_surname":"Morgan","legal_forename":"Ella","dob":"2015-03-02","sex":"F",)"
            R"("school_urn":"100001"})"
            "\n");
  json rep = cli.RunJson({"import-json", file.string()});
  ASSERT_EQ(rep.value("written", false), true) << rep.dump(2);
  ASSERT_EQ(rep["warnings"].size(), 1u) << rep.dump(2);
  EXPECT_NE(rep["warnings"][0].get<std::string>().find("line 1: former_upn"), std::string::npos)
      << rep.dump(2);
  EXPECT_NE(rep["warnings"][0].get<std::string>().find("FORMER_UPN_SAME"), std::string::npos);

  ProgramResult text = cli.Run({"import-json", file.string()});
  EXPECT_EQ(text.exit_code, 0) << text.Describe();
  EXPECT_NE(text.err.find("FORMER_UPN_SAME"), std::string::npos) << text.Describe();

  json s = cli.RunJson({"pupil", "show", "X820200120015"});
  ASSERT_EQ(s["warnings"].size(), 1u) << s.dump(2);
  EXPECT_EQ(s["warnings"][0]["code"], "FORMER_UPN_SAME");
  EXPECT_EQ(s["warnings"][0]["record_kind"], "pupil");
  EXPECT_EQ(s["warnings"][0]["path"], "former_upn");
  ProgramResult shown = cli.Run({"pupil", "show", "X820200120015"});
  EXPECT_NE(shown.out.find("warning FORMER_UPN_SAME on the pupil record"), std::string::npos)
      << shown.Describe();
}

}  // namespace
}  // namespace sendsync::e2e
