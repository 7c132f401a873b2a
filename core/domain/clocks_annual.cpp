// EHC plan clocks after the plan is issued: annual reviews and their follow-ups, and phase
// transfers (reference section 6).
#include <algorithm>
#include <map>

#include "core/domain/clocks_internal.h"
#include "core/domain/internal.h"
#include "core/domain/school_year.h"

namespace sendsync::domain::detail {

namespace {

bool ActiveOn(const records::EhcPlan& p, Date on) {
  return p.issued <= on && (!p.ceased || *p.ceased > on);
}

const AnnualReviewSteps* StepsFor(const PupilRecords& pr, Date meeting) {
  for (const AnnualReviewSteps& s : pr.annual_review_steps)
    if (s.meeting == meeting) return &s;
  return nullptr;
}

struct Meeting {
  Date date;
  std::string kind, id;  // the review record, or the plan when only last_annual_review says so
};

std::vector<Meeting> Meetings(const PupilRecords& pr, const records::EhcPlan& p, Date as_of) {
  std::map<long, Meeting> by_day;
  auto in_plan = [&](Date d) {
    return d >= p.issued && d <= as_of && (!p.ceased || d < *p.ceased);
  };
  for (const records::Review& r : pr.reviews)
    if (r.review_kind == "ehc_annual" && in_plan(r.date))
      by_day.emplace(r.date.days(), Meeting{r.date, "review", r.id});
  if (p.last_annual_review && in_plan(*p.last_annual_review))
    by_day.emplace(p.last_annual_review->days(), Meeting{*p.last_annual_review, "ehc_plan", p.id});
  std::vector<Meeting> out;
  for (auto& [day, m] : by_day) out.push_back(m);
  return out;
}

void FollowUps(const Meeting& m, const AnnualReviewSteps* steps, const ClockContext& ctx,
               std::vector<DueItem>& out) {
  const Rules& rules = ctx.rules;
  auto item = [&](const char* clock, const char* title, Date due, const char* owner,
                  std::optional<Date> event) {
    DueItem it = MakeItem(clock, title, due, owner, m.kind, m.id);
    Note(it, "annual review meeting " + m.date.ToString());
    if (!event && !steps) Note(it, "no date for this step is recorded");
    Settle(it, event, ctx);
    out.push_back(std::move(it));
  };
  if (steps && steps->notice_sent)
    item("annual_review_notice_2w", "Invitations to the annual review sent (2 weeks' notice)",
         m.date.AddDays(-rules.review_notice_days), "school", steps->notice_sent);
  item("annual_review_report_2w", "Annual review report sent (2 weeks)",
       m.date.AddDays(rules.review_report_days), "school",
       steps ? steps->report_sent : std::nullopt);
  item("annual_review_decision_4w", "LA decides to maintain, amend or cease (4 weeks)",
       m.date.AddDays(rules.review_decision_days), "la", steps ? steps->decision : std::nullopt);
  if (!steps || !(steps->outcome == std::optional<std::string>("A") || steps->proposals_sent))
    return;
  std::optional<Date> proposals = steps->proposals_sent ? steps->proposals_sent : steps->decision;
  if (proposals)
    item("amended_plan_8w", "Final amended plan issued (8 weeks from the proposals)",
         proposals->AddDays(rules.amended_plan_days), "la", steps->amended_plan_issued);
  item("amendment_12w", "Amendment finished (12 weeks from the meeting)",
       m.date.AddDays(rules.amendment_whole_days), "la", steps->amended_plan_issued);
}

void OnePlan(const PupilRecords& pr, const records::EhcPlan& p, const ClockContext& ctx,
             std::vector<DueItem>& out) {
  if (p.issued > ctx.as_of) return;
  const std::vector<Meeting> meetings = Meetings(pr, p, ctx.as_of);
  Date base = p.issued;
  std::string since = "the plan was issued on " + p.issued.ToString();
  for (const Meeting& m : meetings) {
    DueItem it = MakeItem("annual_review_12m", "EHC plan annual review (12 months)",
                          AnnualReviewDue(base, ctx.rules), "la", m.kind, m.id);
    Note(it, "within 12 months of " + since);
    Settle(it, m.date, ctx);
    out.push_back(std::move(it));
    base = m.date;
    since = "the annual review on " + m.date.ToString();
  }
  for (size_t i = 0; i < meetings.size(); ++i) {
    const AnnualReviewSteps* steps = StepsFor(pr, meetings[i].date);
    if (steps || i + 1 == meetings.size()) FollowUps(meetings[i], steps, ctx, out);
  }
  if (!ActiveOn(p, ctx.as_of)) return;
  const Date due = AnnualReviewDue(base, ctx.rules);
  DueItem next = MakeItem("annual_review_12m", "EHC plan annual review (12 months)", due, "la",
                          "ehc_plan", p.id);
  Note(next, "within 12 months of " + since);
  Date meeting = due;
  if (p.next_annual_review && *p.next_annual_review > base) {
    meeting = *p.next_annual_review;
    Note(next, "meeting planned for " + meeting.ToString() +
                   (meeting > due ? ", after the deadline" : ""));
  }
  Settle(next, std::nullopt, ctx);
  out.push_back(std::move(next));
  if (meeting <= ctx.as_of) return;
  const AnnualReviewSteps* steps = StepsFor(pr, meeting);
  DueItem notice =
      MakeItem("annual_review_notice_2w", "Invitations to the annual review sent (2 weeks' notice)",
               meeting.AddDays(-ctx.rules.review_notice_days), "school", "ehc_plan", p.id);
  Note(notice, "for the meeting on " + meeting.ToString());
  Settle(notice, steps ? steps->notice_sent : std::nullopt, ctx);
  out.push_back(std::move(notice));
}

}  // namespace

void AnnualReviewClocks(const PupilRecords& pr, const ClockContext& ctx,
                        std::vector<DueItem>& out) {
  for (const records::EhcPlan& p : pr.plans) OnePlan(pr, p, ctx, out);
}

// The plan must name the next setting by the phase-transfer deadline of the school year in which
// the pupil is in a transfer year (Year 6 → secondary by 15 February, Year 11 → post-16 by 31
// March, …). The records carry no date for "the plan names the new setting", so an amended or new
// plan issued during that school year is taken as the event.
void PhaseTransferClock(const PupilRecords& pr, const ClockContext& ctx,
                        std::vector<DueItem>& out) {
  const records::EhcPlan* active = nullptr;
  for (const records::EhcPlan& p : pr.plans)
    if (ActiveOn(p, ctx.as_of)) active = &p;
  bool e_status = pr.sen && ProvisionOn(*pr.sen, ctx.as_of) == std::optional<std::string>("E");
  if (!active && !e_status) return;
  std::string nc = pr.pupil.nc_year.value_or("");
  // The stored year is the pupil's year when the record was received; on a later date it has
  // moved on by the school years between.
  if (!nc.empty() && pr.pupil_recorded_on) nc = NcYearOn(nc, *pr.pupil_recorded_on, ctx.as_of);
  bool by_age = nc.empty() && !pr.pupil.nc_year;
  if (by_age) nc = ChronologicalNcYear(pr.pupil.dob, ctx.as_of);
  const PhaseTransfer* transfer = nullptr;
  for (const PhaseTransfer& t : ctx.rules.phase_transfers)
    if (t.nc_year == nc) transfer = &t;
  if (!transfer) return;
  const Date year_start = SchoolYearStart(ctx.as_of);
  const Date deadline(transfer->month >= 9 ? year_start.year() : year_start.year() + 1,
                      transfer->month, transfer->day);
  DueItem item =
      MakeItem("phase_transfer", "Plan names the " + transfer->to_phase + " setting", deadline,
               "la", active ? "ehc_plan" : "pupil", active ? active->id : pr.pupil.id);
  std::string how = by_age ? " (by age: no year recorded)" : "";
  if (!by_age && pr.pupil.nc_year && *pr.pupil.nc_year != nc)
    how =
        " (recorded as year " + *pr.pupil.nc_year + " on " + pr.pupil_recorded_on->ToString() + ")";
  Note(item, std::string("year ") + nc + how + ": phase transfer to " + transfer->to_phase);
  std::optional<Date> event;
  auto consider = [&](std::optional<Date> d) {
    if (d && *d >= year_start && *d <= ctx.as_of && (!event || *d < *event)) event = d;
  };
  for (const records::EhcPlan& p : pr.plans) consider(p.issued);
  for (const AnnualReviewSteps& s : pr.annual_review_steps) consider(s.amended_plan_issued);
  if (!event) Note(item, "no amended or new plan issued this school year");
  Settle(item, event, ctx);
  out.push_back(std::move(item));
}

}  // namespace sendsync::domain::detail
