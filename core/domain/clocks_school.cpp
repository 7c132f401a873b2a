// School-side clocks: reviews of SEN support plans, and meetings with parents (Code of Practice
// 6.48, 6.65; reference section 7).
#include <algorithm>

#include "core/domain/clocks_internal.h"

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

}  // namespace

void SchoolClocks(const PupilRecords& pr, const ClockContext& ctx, std::vector<DueItem>& out) {
  CycleReviews(pr, ctx, out);
  SenSupportWithoutPlan(pr, ctx, out);
  ParentMeetings(pr, ctx, out);
}

}  // namespace sendsync::domain::detail
