// The EHC needs-assessment timeline: 6, 16 and 20 weeks from the request's received date, with
// the statutory exceptions, and the family's 15 days to comment on a draft plan (reference
// section 6; SEND Regulations 2014).
#include <algorithm>
#include <functional>

#include "core/domain/clocks_internal.h"

namespace sendsync::domain::detail {

namespace {

// One recorded exception as the clocks see it: [from, to) after the regulation's shift.
struct Window {
  Date from, to;
  bool open = false;  // no end recorded: runs to as_of
  const ExceptionRule* rule = nullptr;
  const records::ClockException* recorded = nullptr;
};

std::string Describe(const Window& w) {
  std::string s = w.recorded->reason + " from " + w.recorded->from.ToString();
  s += w.recorded->to ? " to " + w.recorded->to->ToString() : " (no end recorded)";
  return s;
}

std::vector<Window> Windows(const records::Referral& r, const ClockContext& ctx) {
  std::vector<Window> out;
  for (const records::ClockException& e : r.clock_exceptions) {
    const ExceptionRule* rule = ctx.rules.FindException(e.reason);
    if (!rule || e.from > ctx.as_of) continue;  // unknown reasons are validation errors
    if (e.to && *e.to < e.from) continue;
    // A finished period shorter than the regulation's minimum does not qualify.
    if (rule->suspends && e.to && e.from.DaysUntil(*e.to) < rule->min_days) continue;
    Window w;
    w.rule = rule;
    w.recorded = &e;
    w.from = e.from.AddDays(rule->window_shift_days);
    w.open = !e.to;
    w.to = e.to ? e.to->AddDays(rule->window_shift_days) : ctx.as_of.AddDays(1);
    out.push_back(w);
  }
  std::sort(out.begin(), out.end(),
            [](const Window& a, const Window& b) { return a.from < b.from; });
  return out;
}

// A deadline `limit` days after `start`, counting no day inside a suspending window.
void RunClock(DueItem& item, Date start, int limit, std::optional<Date> event,
              const std::vector<Window>& windows, const ClockContext& ctx) {
  long remaining = limit;
  Date cursor = start;
  const std::optional<Date> happened = event && *event <= ctx.as_of ? event : std::nullopt;
  const Window* running_pause = nullptr;
  for (const Window& w : windows) {
    if (!w.rule->suspends || w.to <= cursor) continue;
    Date from = std::max(w.from, cursor);
    if (from >= cursor.AddDays(remaining)) break;  // starts after the deadline
    if (happened && from > *happened) break;       // the step was done before it began
    remaining -= cursor.DaysUntil(from);
    cursor = w.to;
    Note(item, "paused " + std::to_string(from.DaysUntil(w.to)) + " day(s): " + Describe(w));
    if (ctx.as_of >= from && ctx.as_of < w.to) running_pause = &w;
  }
  item.due = cursor.AddDays(remaining);
  Settle(item, event, ctx);
  const bool done = item.state == "met" || item.state == "met_late";
  if (running_pause && !done) {
    item.state = "suspended";
    if (running_pause->open) Note(item, "the due date moves on while the exception lasts");
    return;
  }
  if (item.state != "overdue" && item.state != "met_late") return;
  for (const Window& w : windows) {
    if (w.rule->suspends) continue;
    if (w.from <= item.due && (w.open || w.to >= start)) {
      item.state = "excused";
      Note(item, "limit excused: " + Describe(w));
      return;
    }
  }
}

bool Withdrawn(const records::Referral& r) {
  return r.status == "withdrawn" || r.request_outcome == "W" || r.assessment_outcome == "W";
}

std::optional<Date> Until(const std::optional<Date>& d, Date as_of) {
  return d && *d <= as_of ? d : std::nullopt;
}

// A request received while the pupil has an EHC plan in force (issued before it, not ceased, and
// not the plan this request led to) asks for a re-assessment.
const records::EhcPlan* PlanInForce(const PupilRecords& pr, const records::Referral& r) {
  for (const records::EhcPlan& p : pr.plans)
    if (p.issued < *r.received_date && (!p.ceased || *p.ceased >= *r.received_date) &&
        p.referral_id != std::optional<std::string>(r.id))
      return &p;
  return nullptr;
}

// Professionals' advice (reference section 6 [S]): within 6 weeks of being asked. The records hold
// no date for when the LA asked; it seeks advice once it has decided to assess (SEND Regulations
// 2014, reg 6), so the decision date stands in for it: the earliest day the advice can have been
// asked for. Advice given is the request's `external_advice` (parents' and the pupil's own views
// are not professionals' advice) dated on or after the decision.
// The statutory exceptions pause and excuse it as they do the 6-, 16- and 20-week limits.
void AdviceClock(const records::Referral& r, Date decided, std::optional<Date> closed,
                 const std::vector<Window>& windows, const ClockContext& ctx,
                 const std::function<void(DueItem)>& emit) {
  std::optional<Date> latest;
  int given = 0;
  for (const records::Contribution& c : r.external_advice) {
    if (c.role == "parent" || c.role == "pupil") continue;
    if (!c.date || *c.date < decided || *c.date > ctx.as_of) continue;
    ++given;
    if (!latest || *c.date > *latest) latest = c.date;
  }
  // Once the plan (or the decision not to issue one) is out, a clock with no advice recorded says
  // nothing useful: the advice was given but not recorded here.
  if (given == 0 && closed) return;
  DueItem item = MakeItem("ehc_advice_6w", "Professionals' advice given (6 weeks)", decided, "la",
                          "referral", r.id);
  Note(item, "no date is recorded for when advice was asked for: the decision to assess on " +
                 decided.ToString() + " is taken as that day");
  if (given > 0)
    Note(item, std::to_string(given) +
                   " piece(s) of advice recorded since the decision, the latest " +
                   latest->ToString());
  else
    Note(item, "no advice dated on or after the decision is recorded");
  RunClock(item, decided, ctx.rules.advice_days, latest, windows, ctx);
  emit(std::move(item));
}

void OneReferral(const PupilRecords& pr, const records::Referral& r, const ClockContext& ctx,
                 std::vector<DueItem>& out) {
  if (!r.received_date || *r.received_date > ctx.as_of) return;
  const Date start = *r.received_date;
  const std::vector<Window> windows = Windows(r, ctx);
  const bool withdrawn = Withdrawn(r);
  auto emit = [&](DueItem item) {
    // A withdrawn request keeps only the steps that happened.
    if (withdrawn && item.state != "met" && item.state != "met_late" && item.state != "excused")
      return;
    out.push_back(std::move(item));
  };
  const std::optional<Date> decided = Until(r.decision_date, ctx.as_of);
  {
    DueItem item = MakeItem("ehc_decision_6w", "LA decides whether to assess (6 weeks)", start,
                            "la", "referral", r.id);
    RunClock(item, start, ctx.rules.decide_to_assess_days, r.decision_date, windows, ctx);
    emit(std::move(item));
  }
  const std::optional<Date> draft = Until(r.draft_plan_date, ctx.as_of);
  const std::optional<Date> final_plan = Until(r.final_plan_date, ctx.as_of);
  const std::optional<Date> no_plan = Until(r.no_plan_date, ctx.as_of);
  const bool assessing =
      ((r.decision == "assess" || r.request_outcome == "Y") && (decided || !r.decision_date)) ||
      draft || final_plan || no_plan;
  // The 20-week limit runs from the day the LA receives the request (docs/referrals.md), so it is
  // shown before the LA decides and stays shown when the 6-week decision is late; only a decision
  // not to assess, or one not to issue a plan, takes it away.
  const bool refused =
      (decided && r.decision == "not_assess") || (r.request_outcome == "N" && !assessing);
  if (!no_plan && !refused) {
    DueItem item = MakeItem("ehc_final_plan_20w", "Final EHC plan issued (20 weeks)", start, "la",
                            "referral", r.id);
    RunClock(item, start, ctx.rules.final_plan_days, final_plan, windows, ctx);
    if (!decided) Note(item, "the LA has not yet decided whether to assess");
    emit(std::move(item));
  }
  if (!assessing) return;
  if (decided && r.decision == "assess") {
    std::optional<Date> closed = final_plan ? final_plan : no_plan;
    AdviceClock(r, *decided, closed, windows, ctx, emit);
    // Re-assessment (reference section 6 [V]): the final plan within 14 weeks of the decision to
    // re-assess. The 6-, 16- and 20-week clocks above still run from the request.
    if (const records::EhcPlan* plan = PlanInForce(pr, r); plan && !no_plan) {
      DueItem item = MakeItem("reassessment_14w", "Final plan after a re-assessment (14 weeks)",
                              *decided, "la", "referral", r.id);
      Note(item, "requested while plan " + plan->id + " (issued " + plan->issued.ToString() +
                     ") was in force: a re-assessment, decided on " + decided->ToString());
      // The statutory exceptions pause and excuse it as they do the 20-week limit.
      RunClock(item, *decided, ctx.rules.reassessment_days, final_plan, windows, ctx);
      emit(std::move(item));
    }
  }
  if (no_plan || !(draft || final_plan)) {
    // The 16-week limit is for telling the family there will be no plan; once the LA issues a
    // draft or final plan it does not apply.
    DueItem item =
        MakeItem("ehc_no_plan_16w", "LA tells the family if it will not issue a plan (16 weeks)",
                 start, "la", "referral", r.id);
    RunClock(item, start, ctx.rules.no_plan_days, no_plan, windows, ctx);
    emit(std::move(item));
  }
  if (draft) {
    // A minimum period, not a deadline: the family has until `due` to comment and the final plan
    // must not be issued before it.
    DueItem item =
        MakeItem("draft_comments_15d", "Family comments on the draft plan (15 days)",
                 draft->AddDays(ctx.rules.draft_comment_days), "family", "referral", r.id);
    if (final_plan && *final_plan < item.due) {
      item.state = "breached";
      item.done = final_plan;
      Note(item, "final plan issued " + std::to_string(draft->DaysUntil(*final_plan)) +
                     " day(s) after the draft, inside the comment period");
    } else if (final_plan || ctx.as_of >= item.due) {
      item.state = "met";
      item.done = final_plan;
      Note(item, "the comment period was given in full");
    } else {
      Settle(item, std::nullopt, ctx);
    }
    emit(std::move(item));
  }
}

}  // namespace

void AssessmentClocks(const PupilRecords& pr, const ClockContext& ctx, std::vector<DueItem>& out) {
  for (const records::Referral& r : pr.referrals) OneReferral(pr, r, ctx, out);
}

}  // namespace sendsync::domain::detail
