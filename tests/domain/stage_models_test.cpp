// Stage models are data: the two shipped models, and an LA's own files loaded from a folder with
// clear errors that name the file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "tests/domain/fixtures.h"

using namespace sendsync;
using namespace sendsync::domain;
namespace fs = std::filesystem;

namespace {

// A fresh folder under the system temp directory, removed afterwards.
class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = fs::temp_directory_path() /
            ("sendsync-domain-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string Write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
    return (path_ / name).string();
  }
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

const char* kTiers = R"({
  "id": "county-tiers",
  "name": "County tiers 1-3",
  "source": "County SEN support plan guidance",
  "stages": [
    {"id": "tier1", "name": "Tier 1 universal", "review_period_days": 0, "census_provision": "N"},
    {"id": "tier2", "name": "Tier 2 early support", "review_period_days": 91, "census_provision": "K"},
    {"id": "tier3", "name": "Tier 3 targeted continuing support", "review_period_days": 91,
     "census_provision": "K", "x_form": "SSP-3"}
  ]
})";

}  // namespace

TEST(StageModels, BuiltinFourPartCycle) {
  const StageModel* m = StageModels::Builtin().Find("four-part-cycle");
  ASSERT_TRUE(m);
  std::vector<std::string> ids;
  for (const Stage& s : m->stages) ids.push_back(s.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"assess", "plan", "do", "review"}));
}

TEST(StageModels, BuiltinSixStageSchoolModelWithReviewPeriods) {
  const StageModel* m = StageModels::Builtin().Find("six-stage-school");
  ASSERT_TRUE(m);
  struct Expect {
    const char* id;
    int days;
    const char* census;
  };
  const Expect expected[] = {{"cause_for_concern", 42, "N"},     {"initial_concern", 91, "N"},
                             {"sen_support", 182, "K"},          {"sen_support_external", 91, "K"},
                             {"statutory_assessment", 140, "K"}, {"ehc_plan", 365, "E"}};
  ASSERT_EQ(m->stages.size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(m->stages[i].id, expected[i].id);
    EXPECT_EQ(m->stages[i].review_period_days, expected[i].days) << expected[i].id;
    EXPECT_EQ(m->stages[i].census_provision, std::optional<std::string>(expected[i].census));
  }
}

TEST(StageModels, AnLasOwnFileIsAddedToTheBuiltins) {
  TempDir dir;
  dir.Write("county.json", kTiers);
  dir.Write("README.txt", "not a model");
  auto models = StageModels::LoadDir(dir.path());
  ASSERT_TRUE(models.ok()) << models.status().ToString();
  EXPECT_EQ(models->all().size(), 3u);
  const StageModel* m = models->Find("county-tiers");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->FindStage("tier2")->review_period_days, 91);
  EXPECT_TRUE(models->Find("six-stage-school"));
  EXPECT_FALSE(StageModels::Builtin().Find("county-tiers")) << "the built-ins are not changed";
}

TEST(StageModels, AnLaModelDrivesTheReviewClock) {
  TempDir dir;
  dir.Write("county.json", kTiers);
  auto models = StageModels::LoadDir(dir.path());
  ASSERT_TRUE(models.ok());
  PupilRecords pr;
  pr.pupil = sendsync::domain::testing::MakePupil();
  auto c = sendsync::domain::testing::MakeCycle();
  c.review_date.reset();
  c.stage_model = "county-tiers";
  c.stage = "tier2";
  pr.cycles = {c};
  ClockConfig config;
  config.stage_models = &*models;
  auto items = sendsync::domain::testing::ClocksNamed(
      Clocks(pr, sendsync::domain::testing::D("2024-10-01"), config), "review_overdue");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_NE(items[0].detail.find("Tier 2 early support"), std::string::npos) << items[0].detail;
}

TEST(StageModels, BadFilesAreRefusedNamingTheFileAndField) {
  struct Case {
    const char* name;
    std::string text;
    const char* expect;
  };
  std::string tiers = kTiers;
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = tiers;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  std::vector<Case> cases = {
      {"not json", "{ \"id\": ", "is not valid JSON"},
      {"not an object", "[1, 2]", "expected a JSON object"},
      {"negative period",
       replace("\"review_period_days\": 91, \"census_provision\": \"K\"}",
               "\"review_period_days\": -5, \"census_provision\": \"K\"}"),
       "stages[1].review_period_days"},
      {"missing name", replace("\"name\": \"County tiers 1-3\",", ""), "name: is required"},
      {"no stages", R"({"id": "x", "name": "X", "stages": []})",
       "stages: expected a non-empty array"},
      {"bad id", replace("\"county-tiers\"", "\"County Tiers\""), "id: use lower-case"},
      {"stage twice", replace("\"tier3\"", "\"tier2\""),
       "stages[2].id: \"tier2\" is used by an earlier stage"},
      {"unknown field", replace("\"source\"", "\"sauce\""), "sauce: is not a known field"},
      {"legacy census code", replace("\"census_provision\": \"N\"", "\"census_provision\": \"S\""),
       "stages[0].census_provision"},
      {"built-in id", replace("\"county-tiers\"", "\"six-stage-school\""),
       "is already used by built-in stage_models/six_stage_school.json"},
  };
  for (const Case& c : cases) {
    TempDir dir;
    std::string file = dir.Write("bad.json", c.text);
    auto models = StageModels::LoadDir(dir.path());
    ASSERT_FALSE(models.ok()) << c.name;
    const std::string msg = models.status().message();
    EXPECT_NE(msg.find(file), std::string::npos) << c.name << ": " << msg;
    EXPECT_NE(msg.find(c.expect), std::string::npos) << c.name << ": " << msg;
  }
}

TEST(StageModels, TwoFilesWithTheSameIdNameBoth) {
  TempDir dir;
  std::string a = dir.Write("a.json", kTiers);
  std::string b = dir.Write("b.json", kTiers);
  auto models = StageModels::LoadDir(dir.path());
  ASSERT_FALSE(models.ok());
  EXPECT_NE(models.status().message().find(a), std::string::npos) << models.status().message();
  EXPECT_NE(models.status().message().find(b), std::string::npos) << models.status().message();
}

TEST(StageModels, MissingFolderIsNotFound) {
  auto models = StageModels::LoadDir("/nonexistent/sendsync/stage-models");
  ASSERT_FALSE(models.ok());
  EXPECT_EQ(models.status().code(), Status::Code::kNotFound);
  EXPECT_NE(models.status().message().find("/nonexistent/sendsync/stage-models"),
            std::string::npos);
}

TEST(StageModels, AnEmptyFolderLeavesTheBuiltins) {
  TempDir dir;
  auto models = StageModels::LoadDir(dir.path());
  ASSERT_TRUE(models.ok());
  EXPECT_EQ(models->all().size(), 2u);
}

TEST(StageModels, ShippedFilesMatchTheCompiledInCopies) {
  for (const char* file : {"four_part_cycle.json", "six_stage_school.json"}) {
    std::ifstream in(std::string(DOMAIN_DATA_DIR) + "/stage_models/" + file);
    auto m = StageModels::Parse(nlohmann::json::parse(in), file);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    const StageModel* builtin = StageModels::Builtin().Find(m->id);
    ASSERT_TRUE(builtin) << file;
    EXPECT_EQ(builtin->stages.size(), m->stages.size());
  }
}

// The six-stage school model's rhythm is data a school can change: each stage's meetings, the
// school-wide calendar and how soon a review's escalation should start the next stage.
TEST(StageModelRhythm, TheSixStageModelCarriesTheSeedsRhythm) {
  const StageModel* m = StageModels::Builtin().Find("six-stage-school");
  ASSERT_NE(m, nullptr);
  auto rhythm = [&](const char* stage) {
    std::vector<std::string> out;
    for (const StageRhythm& r : m->FindStage(stage)->rhythm)
      out.push_back(r.id + "/" + std::to_string(r.every_days) + (r.repeat ? "" : "/once") + "/" +
                    r.met_by);
    return out;
  };
  EXPECT_EQ(rhythm("initial_concern"),
            (std::vector<std::string>{"in_school_review_6w/42/review",
                                      "parent_review_after_term/91/once/parent_meeting"}));
  EXPECT_EQ(rhythm("sen_support"),
            (std::vector<std::string>{"progress_review_half_termly/45/review",
                                      "parent_meeting_termly/91/parent_meeting"}));
  EXPECT_EQ(rhythm("sen_support_external"),
            (std::vector<std::string>{"target_meeting_termly/91/review",
                                      "progress_meeting_half_termly/45/review"}));
  EXPECT_TRUE(rhythm("cause_for_concern").empty());
  ASSERT_EQ(m->calendar.size(), 2u);
  EXPECT_EQ(m->calendar[0].id, "targets_provision_map_review");
  EXPECT_EQ(m->calendar[0].months, (std::vector<int>{10, 2, 7}));
  EXPECT_EQ(m->calendar[0].met_by, "parent_meeting");
  EXPECT_EQ(m->calendar[1].id, "transition_target_meeting");
  EXPECT_EQ(m->calendar[1].months, std::vector<int>{7});
  EXPECT_TRUE(m->calendar[1].stages.empty());
  EXPECT_EQ(m->next_stage_days, 14);
  ASSERT_TRUE(m->intervention_letter);
  EXPECT_NE(m->intervention_letter->source.find("seed 004"), std::string::npos);
  EXPECT_FALSE(StageModels::Builtin().Find("four-part-cycle")->intervention_letter);
  for (const Stage& s : m->stages)
    for (const StageRhythm& r : s.rhythm) EXPECT_NE(r.source.find("seed 004"), std::string::npos);
}

TEST(StageModelRhythm, BadRhythmOrCalendarIsRefusedNamingTheField) {
  const std::string head = R"({"id": "x", "name": "X", "stages": [{"id": "a", "name": "A",
      "review_period_days": 42, "rhythm": [)";
  const std::string ok_rhythm =
      R"({"id": "r1", "title": "R", "every_days": 42, "met_by": "review"})";
  struct Case {
    std::string text;
    const char* expect;
  };
  std::vector<Case> cases = {
      {head + R"({"id": "r1", "title": "R", "every_days": 0, "met_by": "review"}]}]})",
       "stages[0].rhythm[0].every_days: must be between 1 and 366"},
      {head + R"({"id": "r1", "title": "R", "every_days": 42, "met_by": "lunch"}]}]})",
       "stages[0].rhythm[0].met_by: \"lunch\" is not"},
      {head +
           R"({"id": "r1", "title": "R", "every_days": 42, "met_by": "review", "repeat": 1}]}]})",
       "stages[0].rhythm[0].repeat: expected true or false"},
      {head + R"({"id": "r1", "every_days": 42, "met_by": "review"}]}]})",
       "stages[0].rhythm[0].title: is required"},
      {head + ok_rhythm + "," + ok_rhythm + "]}]}",
       "stages[0].rhythm[1].id: \"r1\" is used by an earlier rhythm"},
      {head + ok_rhythm +
           R"(]}], "calendar": [{"id": "c", "title": "C", "months": [10, 13], "met_by": "review"}]})",
       "calendar[0].months[1]: expected a month 1-12"},
      {head + ok_rhythm +
           R"(]}], "calendar": [{"id": "c", "title": "C", "months": [7, 7], "met_by": "review"}]})",
       "calendar[0].months[1]: month 7 is given twice"},
      {head + ok_rhythm +
           R"(]}], "calendar": [{"id": "c", "title": "C", "months": [7], "stages": ["b"], "met_by": "review"}]})",
       "calendar[0].stages[0]: \"b\" is not a stage of this model"},
      {head + ok_rhythm + R"(]}], "calendar": [{"id": "c", "title": "C", "met_by": "review"}]})",
       "calendar[0].months: expected a non-empty array"},
      {head + ok_rhythm + R"(]}], "intervention_letter": true})",
       "intervention_letter: expected an object"},
      {head + ok_rhythm + R"(]}], "intervention_letter": {"source": "s"}})",
       "intervention_letter.title: is required"},
      {head + ok_rhythm + R"(]}], "intervention_letter": {"title": "T", "due": 3}})",
       "intervention_letter.due: is not a known field"},
  };
  for (const Case& c : cases) {
    auto doc = nlohmann::json::parse(c.text);
    auto m = StageModels::Parse(doc, "school.json");
    ASSERT_FALSE(m.ok()) << c.expect;
    const std::string msg = m.status().message();
    EXPECT_NE(msg.find("school.json: "), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.expect), std::string::npos) << msg;
  }
  auto good = StageModels::Parse(nlohmann::json::parse(head + ok_rhythm + "]}]}"), "school.json");
  ASSERT_TRUE(good.ok()) << good.status().message();
  EXPECT_EQ(good->stages[0].rhythm.size(), 1u);
}

namespace dt = sendsync::domain::testing;

TEST(StageModelRhythm, ASchoolsOwnRhythmDrivesTheClocks) {
  TempDir dir;
  dir.Write("our.json", R"({"id": "our-school", "name": "Ours",
      "stages": [{"id": "support", "name": "Support", "review_period_days": 91,
                  "rhythm": [{"id": "check_in", "title": "Fortnightly check-in",
                              "every_days": 14, "met_by": "review"}]}],
      "calendar": [{"id": "spring_review", "title": "Spring review", "months": [3],
                    "met_by": "parent_meeting"}]})");
  auto models = StageModels::LoadDir(dir.path());
  ASSERT_TRUE(models.ok()) << models.status().message();
  PupilRecords pr;
  pr.pupil = dt::MakePupil();
  pr.sen = dt::MakeSen("K");
  auto c = dt::MakeCycle("C1", "2025-01-06", "2025-03-31");
  c.stage_model = "our-school";
  c.stage = "support";
  pr.cycles = {c};
  ClockConfig cfg;
  cfg.stage_models = &*models;
  auto items = Clocks(pr, dt::D("2025-02-01"), cfg);
  auto check_in = dt::ClocksNamed(items, "stage_check_in");
  ASSERT_EQ(check_in.size(), 2u) << dt::Describe(items);
  EXPECT_EQ(check_in[0].due, dt::D("2025-01-20"));
  EXPECT_EQ(check_in[1].due, dt::D("2025-02-03"));
  auto spring = dt::ClocksNamed(items, "calendar_spring_review");
  ASSERT_EQ(spring.size(), 1u);
  EXPECT_EQ(spring[0].due, dt::D("2025-03-31"));
}
