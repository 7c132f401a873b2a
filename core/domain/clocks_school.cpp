// School-side clocks: reviews of SEN support plans, and meetings with parents (Code of Practice
// 6.48, 6.65; reference section 7).
#include <algorithm>

#include "core/domain/clocks_internal.h"
#include "core/domain/school_year.h"

namespace sendsync::domain::detail {

namespace {

std::string DateText(Date d) {
  return d.ToString();
}

// Due date of a cycle's review and where it came from.
Date CycleReviewDue(const records::Cycle& c, const ClockContext& ctx, std::string& why) {
  if (c.review_date) return *c.review_date;
  if (c.stage_model && c.stage)
    if (const StageModel* m = ctx.models.Find(*c.stage_model))
      if (const Stage* s = m->FindStage(*c.stage); s && s->review_period_days > 0) {
        why = "no review date recorded: stage \"" + s->name + "\" is reviewed after " +
              std::to_string(s->review_period_days) + " days";
        return c.start.AddDays(s->review_period_days);
      }
  why = "no review date recorded: SEN support is reviewed at least termly (" +
        std::to_string(ctx.rules.sen_support_review_days) + " days)";
  return c.start.AddDays(ctx.rules.sen_support_review_days);
}

void CycleReviews(const PupilRecords& pr, const ClockContext& ctx, std::vector<DueItem>& out) {
  for (const records::Cycle& c : pr.cycles) {
    if (c.status == "cancelled" || c.start > ctx.as_of) continue;
    std::string why;
    Date due = CycleReviewDue(c, ctx, why);
    DueItem item =
        MakeItem("review_overdue", "Review the SEN support plan", due, "school", "cycle", c.id);
    Note(item, why);
    std::optional<Date> event;
    for (const records::Review& r : pr.reviews)
      if (r.cycle_id == c.id && (!event || r.date < *event)) event = r.date;
    if (!event && c.status == "completed" && c.completed) {
      event = c.completed;
      Note(item, "no review record is linked; the cycle's completion date is taken as its review");
    }
    Settle(item, event, ctx);
    out.push_back(std::move(item));
  }
}

// A pupil on SEN support with no open plan still needs reviewing at least termly.
void SenSupportWithoutPlan(const PupilRecords& pr, const ClockContext& ctx,
                           std::vector<DueItem>& out) {
  if (!pr.sen || ProvisionOn(*pr.sen, ctx.as_of) != std::optional<std::string>("K")) return;
  for (const records::Cycle& c : pr.cycles)
    if (c.status == "open" && c.start <= ctx.as_of) return;
  std::optional<Date> last;
  auto consider = [&](std::optional<Date> d) {
    if (d && *d <= ctx.as_of && (!last || *d > *last)) last = d;
  };
  consider(pr.sen->provision_start);
  for (const records::Review& r : pr.reviews)
    if (r.review_kind != "ehc_annual") consider(r.date);
  for (const records::Cycle& c : pr.cycles) consider(c.completed);
  if (!last) return;
  DueItem item =
      MakeItem("review_overdue", "Review SEN support (no open plan)",
               last->AddDays(ctx.rules.sen_support_review_days), "school", "sen", pr.pupil.id);
  Note(item, "on SEN support with no open plan; last review or plan activity " + DateText(*last));
  Settle(item, std::nullopt, ctx);
  out.push_back(std::move(item));
}

// The first day of the unbroken run of SEN support or EHC plan (K or E) that covers `on`: a
// pupil moving from K to E mid-year is still owed the school year's meetings from when K began.
std::optional<Date> SenRunStart(const records::Sen& sen, Date on) {
  auto is_sen = [](const std::string& p) { return p == "K" || p == "E"; };
  const auto& h = sen.history;
  size_t i = h.size();
  for (size_t k = 0; k < h.size(); ++k)
    if (h[k].start <= on && (!h[k].end || on <= *h[k].end)) i = k;
  if (i == h.size() || !is_sen(h[i].provision)) return sen.provision_start;
  // Episodes are inclusive of their end: the run goes on while the one before ends the day before.
  while (i > 0 && is_sen(h[i - 1].provision) && h[i - 1].end &&
         h[i - 1].end->AddDays(1) >= h[i].start)
    --i;
  return h[i].start;
}

// At least N meetings with parents per school year (1 September - 31 August), read as one a term
// (Code of Practice 6.65): each term is met by a meeting within it, so three meetings in one term
// are one term met, and each expected term without one is named. The item is due at the end of
// the first expected term with no meeting.
void ParentMeetings(const PupilRecords& pr, const ClockContext& ctx, std::vector<DueItem>& out) {
  if (!pr.sen) return;
  std::optional<std::string> provision = ProvisionOn(*pr.sen, ctx.as_of);
  if (provision != std::optional<std::string>("K") && provision != std::optional<std::string>("E"))
    return;
  const Date year_start = SchoolYearStart(ctx.as_of);
  const Date year_end = Date(year_start.year() + 1, 8, 31);
  if (pr.pupil.on_roll_to && *pr.pupil.on_roll_to < ctx.as_of) return;
  // Expectations start when the pupil is on roll and on SEN support (K or E), if that is later.
  Date from = year_start;
  if (pr.pupil.on_roll_from && *pr.pupil.on_roll_from > from) from = *pr.pupil.on_roll_from;
  if (auto run = SenRunStart(*pr.sen, ctx.as_of); run && *run > from) from = *run;
  struct Term {
    Date start, end;
    std::optional<Date> met;  // the first meeting with parents within it
  };
  std::vector<Term> terms;
  Date term_start = year_start;
  for (auto [m, d] : ctx.rules.term_ends) {
    Date end(m >= 9 ? year_start.year() : year_start.year() + 1, m, d);
    if (end >= from && end <= year_end) terms.push_back({std::max(term_start, from), end, {}});
    term_start = end.AddDays(1);
  }
  if (static_cast<int>(terms.size()) > ctx.rules.parent_meetings_per_year)
    terms.erase(terms.begin() + ctx.rules.parent_meetings_per_year, terms.end());
  const int required = static_cast<int>(terms.size());
  if (required == 0) return;
  for (const records::Review& r : pr.reviews) {
    if (!r.parents_met || r.date > ctx.as_of) continue;
    for (Term& t : terms)
      if (r.date >= t.start && r.date <= t.end && (!t.met || r.date < *t.met)) t.met = r.date;
  }
  int count = 0;
  const Term* first_gap = nullptr;
  std::vector<const Term*> missed;
  for (const Term& t : terms) {
    if (t.met) {
      ++count;
      continue;
    }
    if (!first_gap) first_gap = &t;
    if (t.end < ctx.as_of) missed.push_back(&t);
  }
  const std::string year_text =
      std::to_string(year_start.year()) + "/" + std::to_string((year_start.year() + 1) % 100);
  const std::string counted = std::to_string(count) + " of " + std::to_string(required) +
                              " termly meetings with parents held in school year " + year_text;
  const char* title = "Meet parents at least three times a year (once a term)";
  if (!first_gap) {
    DueItem item =
        MakeItem("parent_meetings", title, terms.back().end, "school", "pupil", pr.pupil.id);
    Note(item, counted);
    Settle(item, terms.back().met, ctx);
    out.push_back(std::move(item));
    return;
  }
  DueItem item = MakeItem("parent_meetings", title, first_gap->end, "school", "pupil", pr.pupil.id);
  Note(item, counted);
  for (const Term* t : missed)
    Note(item,
         "no meeting with parents in the term " + t->start.ToString() + " to " + t->end.ToString());
  if (missed.empty())
    Note(item, "a meeting is expected in the term ending " + first_gap->end.ToString());
  Settle(item, std::nullopt, ctx);
  out.push_back(std::move(item));
}

// ---- A stage model's rhythm (docs/domain.md, "Stage models: rhythm and calendar") ----------

// Whether a review holds a rhythm's meeting for `cycle` (nullptr: any cycle of the pupil).
bool Holds(const records::Review& r, std::string_view met_by, const records::Cycle* cycle) {
  if (met_by == kMetByParentMeeting) return r.parents_met;
  return r.review_kind != "ehc_annual" && (!cycle || !r.cycle_id || *r.cycle_id == cycle->id);
}

// The first review on or before as_of in [from, to] that holds the meeting.
std::optional<Date> HeldIn(const PupilRecords& pr, std::string_view met_by,
                           const records::Cycle* cycle, Date from, Date to,
                           const ClockContext& ctx) {
  std::optional<Date> first;
  for (const records::Review& r : pr.reviews)
    if (r.date >= from && r.date <= to && r.date <= ctx.as_of && Holds(r, met_by, cycle) &&
        (!first || r.date < *first))
      first = r.date;
  return first;
}

struct StageOf {
  const StageModel* model = nullptr;
  const Stage* stage = nullptr;
  size_t index = 0;
};

StageOf FindStageOf(const records::Cycle& c, const ClockContext& ctx) {
  StageOf out;
  if (!c.stage_model || !c.stage) return out;
  out.model = ctx.models.Find(*c.stage_model);
  if (!out.model) return out;
  for (size_t i = 0; i < out.model->stages.size(); ++i)
    if (out.model->stages[i].id == *c.stage) {
      out.stage = &out.model->stages[i];
      out.index = i;
    }
  return out;
}

// Each rhythm of the stage of every cycle running on as_of (open, or completed after as_of): one
// item per period that has begun, met by a meeting within that period (after the one before fell
// due, on or before its own due date), so two meetings in one period do not cover the next. A
// cycle completed by as_of is history and owes nothing more: its stage's successor has its own.
void StageRhythms(const PupilRecords& pr, const ClockContext& ctx, std::vector<DueItem>& out) {
  constexpr int kMaxPeriods = 400;  // bounds a cycle left open for years
  for (const records::Cycle& c : pr.cycles) {
    if (c.status == "cancelled" || c.start > ctx.as_of) continue;
    if (c.status == "completed" && (!c.completed || *c.completed <= ctx.as_of)) continue;
    const StageOf at = FindStageOf(c, ctx);
    if (!at.stage) continue;
    for (const StageRhythm& rh : at.stage->rhythm) {
      Date from = c.start;
      for (int k = 1; k <= kMaxPeriods && from <= ctx.as_of; ++k) {
        const Date due = c.start.AddDays(static_cast<long>(k) * rh.every_days);
        std::optional<Date> held = HeldIn(pr, rh.met_by, &c, from, due, ctx);
        DueItem item = MakeItem("stage_" + rh.id, rh.title, due, "school", "cycle", c.id);
        Note(item, "stage \"" + at.stage->name + "\" of " + at.model->id + ": " +
                       (rh.repeat ? "every " : "once, ") + std::to_string(rh.every_days) +
                       " days after the cycle's start " + c.start.ToString());
        if (!held && due < ctx.as_of)
          Note(item,
               std::string(rh.met_by == kMetByParentMeeting ? "no meeting with parents recorded"
                                                            : "no review recorded") +
                   " from " + from.ToString() + " to " + due.ToString());
        Settle(item, held, ctx);
        out.push_back(std::move(item));
        if (!rh.repeat) break;
        from = due.AddDays(1);
      }
    }
  }
}

// The school-wide meetings of the model the pupil's open cycle names, in the school year of
// as_of: each month's meeting is due by the month's last day and met by a meeting within it.
void CalendarMeetings(const PupilRecords& pr, const ClockContext& ctx, std::vector<DueItem>& out) {
  const records::Cycle* open = nullptr;
  StageOf at;
  for (const records::Cycle& c : pr.cycles) {
    const bool running =
        c.status == "open" || (c.status == "completed" && c.completed && *c.completed > ctx.as_of);
    if (!running || c.start > ctx.as_of) continue;
    StageOf s = FindStageOf(c, ctx);
    if (s.stage && (!open || c.start >= open->start)) {
      open = &c;
      at = s;
    }
  }
  if (!open || at.model->calendar.empty()) return;
  if (pr.pupil.on_roll_to && *pr.pupil.on_roll_to < ctx.as_of) return;
  const Date year_start = SchoolYearStart(ctx.as_of);
  for (const CalendarMeeting& cm : at.model->calendar) {
    auto applies = [&](const std::string& stage) {
      return cm.stages.empty() ||
             std::find(cm.stages.begin(), cm.stages.end(), stage) != cm.stages.end();
    };
    if (!applies(*open->stage)) continue;
    // From the start of the first cycle of this model at a stage the meeting applies to.
    Date from = open->start;
    for (const records::Cycle& c : pr.cycles)
      if (c.status != "cancelled" && c.stage_model == open->stage_model && c.stage &&
          applies(*c.stage) && c.start < from)
        from = c.start;
    for (int month : cm.months) {
      const Date first(month >= 9 ? year_start.year() : year_start.year() + 1, month, 1);
      const Date last = first.AddMonths(1).AddDays(-1);
      if (last < from) continue;
      std::optional<Date> held = HeldIn(pr, cm.met_by, nullptr, first, last, ctx);
      DueItem item = MakeItem("calendar_" + cm.id, cm.title, last, "school", "cycle", open->id);
      Note(item, "school-wide in " + first.ToString().substr(0, 7) + " (" + at.model->id + ")");
      if (!held && last < ctx.as_of)
        Note(item, std::string(cm.met_by == kMetByParentMeeting ? "no meeting with parents recorded"
                                                                : "no review recorded") +
                       " in that month");
      Settle(item, held, ctx);
      out.push_back(std::move(item));
    }
  }
}

// A review deciding to escalate (escalate, request_ehc_assessment) prompts a cycle at the model's
// next stage; one deciding to step down (end_sen_support) prompts the stage before. Met by a
// cycle of the model at that stage starting on or after the review.
void NextStage(const PupilRecords& pr, const ClockContext& ctx, std::vector<DueItem>& out) {
  for (const records::Review& r : pr.reviews) {
    if (r.date > ctx.as_of || !r.decision || !r.cycle_id) continue;
    const bool up = *r.decision == "escalate" || *r.decision == "request_ehc_assessment";
    const bool down = *r.decision == "end_sen_support";
    if (!up && !down) continue;
    const records::Cycle* cycle = nullptr;
    for (const records::Cycle& c : pr.cycles)
      if (c.id == *r.cycle_id) cycle = &c;
    if (!cycle) continue;
    const StageOf at = FindStageOf(*cycle, ctx);
    if (!at.stage) continue;
    if (up && at.index + 1 >= at.model->stages.size()) continue;
    if (down && at.index == 0) continue;
    const Stage& next = at.model->stages[up ? at.index + 1 : at.index - 1];
    std::optional<Date> started;
    for (const records::Cycle& c : pr.cycles)
      if (c.status != "cancelled" && c.stage_model == cycle->stage_model &&
          c.stage == std::optional<std::string>(next.id) && c.start >= r.date &&
          c.start <= ctx.as_of && (!started || c.start < *started))
        started = c.start;
    DueItem item = MakeItem("stage_next", "Start the next stage: " + next.name,
                            r.date.AddDays(at.model->next_stage_days), "school", "review", r.id);
    Note(item, "the review on " + r.date.ToString() + " decided " + *r.decision + " at stage \"" +
                   at.stage->name + "\"; " + (up ? "escalate to" : "step down to") + " \"" +
                   next.name + "\"");
    if (!started) Note(item, "no cycle at that stage has started since");
    Settle(item, started, ctx);
    out.push_back(std::move(item));
  }
}

// The stage model a provision's letter is owed under: its own cycle's model, else the model of the
// pupil's newest cycle (not cancelled) that has started and names a known model.
const StageModel* LetterModel(const records::Provision& p, const PupilRecords& pr,
                              const ClockContext& ctx) {
  const records::Cycle* newest = nullptr;
  const StageModel* model = nullptr;
  for (const records::Cycle& c : pr.cycles) {
    if (!c.stage_model) continue;
    const StageModel* m = ctx.models.Find(*c.stage_model);
    if (!m) continue;
    if (p.cycle_id && c.id == *p.cycle_id) return m;
    if (c.status != "cancelled" && c.start <= ctx.as_of && (!newest || c.start >= newest->start)) {
      newest = &c;
      model = m;
    }
  }
  return model;
}

// Seed 004: "intervention letter goes to all parents of children receiving any intervention". For
// each provision running on as_of (started, not yet ended) under a model that asks for the
// letter: due on the provision's start, met by its parents_letter date. A provision that ended by
// as_of is history and owes nothing more.
void InterventionLetters(const PupilRecords& pr, const ClockContext& ctx,
                         std::vector<DueItem>& out) {
  for (const records::Provision& p : pr.provision) {
    if (p.start > ctx.as_of || (p.end && *p.end < ctx.as_of)) continue;
    const StageModel* m = LetterModel(p, pr, ctx);
    if (!m || !m->intervention_letter) continue;
    DueItem item = MakeItem("intervention_letter", m->intervention_letter->title, p.start, "school",
                            "provision", p.id);
    Note(item, "intervention \"" + p.intervention + "\" started " + p.start.ToString() + " (" +
                   m->id + ")");
    if (!p.parents_letter || *p.parents_letter > ctx.as_of)
      Note(item, "no letter to the parents recorded (parents_letter)");
    Settle(item, p.parents_letter, ctx);
    out.push_back(std::move(item));
  }
}

}  // namespace

void SchoolClocks(const PupilRecords& pr, const ClockContext& ctx, std::vector<DueItem>& out) {
  CycleReviews(pr, ctx, out);
  SenSupportWithoutPlan(pr, ctx, out);
  ParentMeetings(pr, ctx, out);
  StageRhythms(pr, ctx, out);
  CalendarMeetings(pr, ctx, out);
  NextStage(pr, ctx, out);
  InterventionLetters(pr, ctx, out);
}

}  // namespace sendsync::domain::detail
