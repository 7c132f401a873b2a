// Clocks: every statutory and school deadline for one pupil as of a date, with its state.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/domain/pupil_records.h"
#include "core/domain/rules.h"
#include "core/domain/stage_models.h"
#include "sendsync/sdk/date.h"

namespace sendsync::domain {

struct DueItem {
  // Stable ids: review_overdue, parent_meetings, ehc_decision_6w, ehc_no_plan_16w,
  // ehc_final_plan_20w, draft_comments_15d, annual_review_12m, annual_review_notice_2w,
  // annual_review_report_2w, annual_review_decision_4w, amended_plan_8w, amendment_12w,
  // phase_transfer, ehc_advice_6w, reassessment_14w; and from a stage model's rhythm
  // stage_<rhythm id>, calendar_<calendar id>, stage_next and intervention_letter
  // (docs/domain.md).
  std::string clock;
  std::string title;  // for people
  Date due;
  // upcoming, due (within the warning window), overdue, met, met_late, suspended, excused, and
  // breached (a minimum period cut short: a final plan issued inside the 15-day comment period)
  std::string state;
  std::string owner;  // who must act: school, la, family
  std::string record_kind, record_id;
  std::string detail;        // which exception applied, how many days late, …
  std::optional<Date> done;  // when the event happened, for met / met_late / breached
};

struct ClockConfig {
  int due_soon_days = 14;
  const Rules* rules = nullptr;               // nullptr: Rules::Builtin()
  const StageModels* stage_models = nullptr;  // nullptr: StageModels::Builtin()
};

// Every clock for one pupil as of a date, history included (met items), ordered by due date.
// Events recorded after `as_of` are treated as not yet happened.
std::vector<DueItem> Clocks(const PupilRecords&, Date as_of, const ClockConfig& = {});

}  // namespace sendsync::domain
