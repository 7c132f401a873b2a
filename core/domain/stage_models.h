// Stage models: the stages of a school's graduated approach, the meetings each stage asks for and
// the school calendar, built in or read from an LA's folder. For clocks, validation and the CLI.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/domain/issues.h"
#include "sendsync/sdk/records.h"
#include "sendsync/sdk/status.h"

namespace sendsync::domain {

// What holds a rhythm's meeting: "review" is a review of the pupil's cycle at the stage (or a
// review naming no cycle); "parent_meeting" is a review of the pupil recorded with parents_met.
inline constexpr std::string_view kMetByReview = "review";
inline constexpr std::string_view kMetByParentMeeting = "parent_meeting";

// A meeting a school holds while a pupil is at a stage (the stage's `rhythm`): one due every
// `every_days` from the cycle's start while the cycle runs, or only once, `every_days` after the
// start, when `repeat` is false. Each is met by a meeting after the one before fell due and on or
// before its own due date. Its clock id is "stage_" + id.
struct StageRhythm {
  std::string id, title;
  int every_days = 0;
  bool repeat = true;
  std::string met_by;  // kMetByReview or kMetByParentMeeting
  std::string source;
};
// A school-wide meeting in fixed months of the school year (the model's `calendar`), due by the
// last day of each month, for pupils whose open cycle names the model and one of `stages` (empty:
// every stage). Its clock id is "calendar_" + id.
struct CalendarMeeting {
  std::string id, title;
  std::vector<int> months;  // 1-12, in school-year order as written
  std::vector<std::string> stages;
  std::string met_by;
  std::string source;
};
// The model's `intervention_letter`: the school writes to the parents of every pupil receiving an
// intervention (seed 004). Clock "intervention_letter", one per provision that has started, due on
// its start and met by the provision's `parents_letter` date.
struct InterventionLetter {
  std::string title;
  std::string source;
};
struct Stage {
  std::string id, name;
  int review_period_days = 0;  // 0: no fixed period
  std::string description;
  std::optional<std::string> census_provision;  // the census code pupils at this stage carry
  std::vector<StageRhythm> rhythm;
};
struct StageModel {
  std::string id, name, source;
  std::vector<Stage> stages;
  std::vector<CalendarMeeting> calendar;
  std::optional<InterventionLetter> intervention_letter;  // absent: the model asks for no letter
  // A review deciding to escalate (escalate, request_ehc_assessment) or step down
  // (end_sen_support) prompts a cycle at the next or the previous stage, due this many days after
  // the review unless the review records its next review date (clock "stage_next").
  int next_stage_days = 14;
  const Stage* FindStage(std::string_view id) const;
};

class StageModels {
 public:
  // The four-part cycle and the six-stage school model (core/domain/data/stage_models/).
  static const StageModels& Builtin();
  // The built-in models plus an LA's own *.json files in `dir` (not recursive, read in name order).
  // Errors name the file and the JSON path; an id already taken is refused.
  Result<StageModels> WithDir(const std::string& dir) const;
  static Result<StageModels> LoadDir(const std::string& dir) { return Builtin().WithDir(dir); }
  // One model document; `origin` names it in errors (a file name).
  static Result<StageModel> Parse(const nlohmann::json& doc, const std::string& origin);

  const StageModel* Find(std::string_view id) const;
  const std::vector<StageModel>& all() const { return models_; }

 private:
  Status Add(StageModel model, const std::string& origin);
  std::vector<StageModel> models_;
  std::vector<std::string> origins_;
};

// Warns when a cycle names a stage model or stage that `models` does not know.
std::optional<Issue> CheckStage(const records::Cycle& cycle, const StageModels& models);

}  // namespace sendsync::domain
