// Validation of the school-side records: Assess/Plan/Do/Review cycles, provision and reviews
// (reference section 7).
#include <cmath>
#include <set>

#include "core/domain/internal.h"
#include "core/domain/stage_models.h"
#include "core/domain/validation.h"

namespace sendsync::domain {

using detail::Add;
using detail::CheckCode;
using detail::CheckContributions;
using detail::CheckOrder;
using detail::Index;
using detail::Join;

std::vector<Issue> Validate(const records::Cycle& c, const CodeSets& sets, const Rules& rules) {
  std::vector<Issue> out;
  const Date on = c.start;
  CheckCode(out, sets, sets::kCycleStatus, c.status, on, "CYCLE_STATUS_CODE", "status", "status");
  CheckOrder(out, c.start, "start", c.review_date, "review_date", "review_date");
  CheckOrder(out, c.start, "start", c.completed, "completed", "completed");
  if (c.status == "completed" && !c.completed)
    Add(out, "CYCLE_COMPLETED_NO_DATE", "completed", "a completed cycle should say when");
  if (c.status == "open" && !c.review_date)
    Add(out, "CYCLE_NO_REVIEW_DATE", "review_date",
        "the plan should set a clear date for review (Code of Practice 6.48)");
  if (c.review_date && c.start.DaysUntil(*c.review_date) > rules.sen_support_review_days)
    Add(out, "CYCLE_REVIEW_BEYOND_TERM", "review_date",
        "review date is " + std::to_string(c.start.DaysUntil(*c.review_date)) +
            " days after the start; SEN support is normally reviewed at least termly (" +
            std::to_string(rules.sen_support_review_days) + " days)");
  CheckContributions(out, sets, c.assessment_sources, "assessment_sources", on);
  // An unknown stage model would silently fall back to the default review interval: refuse it.
  if (auto stage = CheckStage(c, StageModels::Builtin())) out.push_back(std::move(*stage));
  if (c.outcomes.empty() && c.status != "cancelled")
    Add(out, "CYCLE_NO_OUTCOMES", "outcomes", "the plan records no outcomes sought");
  std::set<std::string_view> outcome_ids, target_ids;
  for (size_t i = 0; i < c.outcomes.size(); ++i) {
    const records::Outcome& o = c.outcomes[i];
    std::string opath = Index("outcomes", i);
    if (!outcome_ids.insert(o.id).second)
      Add(out, "OUTCOME_ID_DUPLICATE", Join(opath, "id"),
          "outcome id " + o.id + " is used twice in this cycle");
    for (size_t k = 0; k < o.targets.size(); ++k) {
      const records::Target& t = o.targets[k];
      std::string tpath = Index(Join(opath, "targets"), k);
      if (!target_ids.insert(t.id).second)
        Add(out, "TARGET_ID_DUPLICATE", Join(tpath, "id"),
            "target id " + t.id + " is used twice in this cycle");
      if (t.success_criteria.find_first_not_of(" \t\r\n") == std::string::npos)
        Add(out, "TARGET_NO_CRITERIA", Join(tpath, "success_criteria"),
            "a SMART target needs success criteria: how everyone will know it is met");
      if (!t.due) Add(out, "TARGET_NO_DUE_DATE", Join(tpath, "due"), "a SMART target needs a date");
      CheckOrder(out, c.start, "the cycle's start", t.due, "due", Join(tpath, "due"));
      CheckCode(out, sets, sets::kTargetProgress, t.progress, on, "TARGET_PROGRESS_CODE",
                Join(tpath, "progress"), "progress");
    }
  }
  return out;
}

std::vector<Issue> Validate(const records::Provision& p, const CodeSets& sets) {
  std::vector<Issue> out;
  const Date on = p.start;
  CheckCode(out, sets, sets::kBroadArea, p.area, on, "PROVISION_AREA_CODE", "area", "broad area");
  CheckCode(out, sets, sets::kProvisionWave, std::to_string(p.wave), on, "PROVISION_WAVE_CODE",
            "wave", "wave");
  if (p.group_size < 1)
    Add(out, "PROVISION_GROUP_SIZE", "group_size",
        "group size must be at least 1 (1 for one-to-one), got " + std::to_string(p.group_size));
  if (p.delivery)
    CheckCode(out, sets, sets::kProvisionDelivery, *p.delivery, on, "PROVISION_DELIVERY_CODE",
              "delivery", "delivery");
  struct Amount {
    const char* field;
    double value;
  };
  for (const Amount& a :
       {Amount{"sessions_per_week", p.sessions_per_week},
        Amount{"minutes_per_session", double(p.minutes_per_session)},
        Amount{"hourly_rate", p.hourly_rate}, Amount{"resources_cost", p.resources_cost}})
    if (!std::isfinite(a.value) || a.value < 0)
      Add(out, "PROVISION_NEGATIVE", a.field, std::string(a.field) + " must not be negative");
  bool has_time = p.sessions_per_week > 0 && p.minutes_per_session > 0;
  if (!has_time && p.resources_cost <= 0)
    Add(out, "PROVISION_NOT_QUANTIFIED", "sessions_per_week",
        "provision should be quantified: sessions per week and minutes per session");
  if (has_time && p.hourly_rate <= 0)
    Add(out, "PROVISION_NOT_COSTED", "hourly_rate",
        "staff time is recorded without an hourly rate, so the provision cannot be costed");
  CheckOrder(out, p.start, "start", p.end, "end", "end");
  // A letter before the start is the school telling parents in advance; one after the end is late.
  if (p.parents_letter && p.end && *p.parents_letter > *p.end)
    Add(out, "PROVISION_LETTER_AFTER_END", "parents_letter",
        "the intervention letter to the parents (" + p.parents_letter->ToString() +
            ") is dated after the provision ended on " + p.end->ToString());
  if (p.baseline && p.exit)
    CheckOrder(out, p.baseline->date, "baseline date", p.exit->date, "exit date", "exit.date");
  return out;
}

std::vector<Issue> Validate(const records::Review& r, const CodeSets& sets) {
  std::vector<Issue> out;
  const Date on = r.date;
  CheckCode(out, sets, sets::kReviewKind, r.review_kind, on, "REVIEW_KIND_CODE", "review_kind",
            "review kind");
  if (r.decision)
    CheckCode(out, sets, sets::kReviewDecision, *r.decision, on, "REVIEW_DECISION_CODE", "decision",
              "decision");
  CheckContributions(out, sets, r.attendees, "attendees", on);
  std::set<std::string_view> seen;
  for (size_t i = 0; i < r.progress.size(); ++i) {
    std::string path = Index("progress", i);
    CheckCode(out, sets, sets::kTargetProgress, r.progress[i].progress, on, "TARGET_PROGRESS_CODE",
              Join(path, "progress"), "progress");
    if (!seen.insert(r.progress[i].target_id).second)
      Add(out, "REVIEW_PROGRESS_DUPLICATE", Join(path, "target_id"),
          "progress for target " + r.progress[i].target_id + " is recorded twice");
  }
  if (r.la_decision)
    CheckCode(out, sets, sets::kReviewOutcome, *r.la_decision, r.la_decision_date.value_or(on),
              "REVIEW_OUTCOME_CODE", "la_decision", "LA decision");
  if (r.review_kind != "ehc_annual" && (r.notice_sent || r.report_sent || r.la_decision_date ||
                                        r.la_decision || r.proposals_sent || r.amended_plan_issued))
    Add(out, "REVIEW_STEPS_NOT_ANNUAL", "review_kind",
        "annual review steps (notice, report, LA decision, proposals, amended plan) are recorded "
        "on a " +
            r.review_kind + " review; they belong to an ehc_annual review");
  if (r.review_kind == "sen_support" && (!r.cycle_id || r.cycle_id->empty()))
    Add(out, "REVIEW_NO_CYCLE", "cycle_id",
        "a SEN support review should name the cycle it reviews");
  if (r.next_review && *r.next_review <= r.date)
    Add(out, "DATES_OUT_OF_ORDER", "next_review",
        "next_review " + r.next_review->ToString() + " is not after the review date " +
            r.date.ToString());
  return out;
}

}  // namespace sendsync::domain
