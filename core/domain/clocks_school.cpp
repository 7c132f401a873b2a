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

// At least N meetings with parents per school year (1 September - 31 August), expected one per
// term: the k-th meeting is due by the k-th term end that falls after the counting starts.
void ParentMeetings(const PupilRecords& pr, const ClockContext& ctx, std::vector<DueItem>& out) {
  if (!pr.sen) return;
  std::optional<std::string> provision = ProvisionOn(*pr.sen, ctx.as_of);
  if (provision != std::optional<std::string>("K") && provision != std::optional<std::string>("E"))
    return;
  const Date year_start = SchoolYearStart(ctx.as_of);
  const Date year_end = Date(year_start.year() + 1, 8, 31);
  if (pr.pupil.on_roll_to && *pr.pupil.on_roll_to < ctx.as_of) return;
  // Expectations start when the pupil is on roll and on SEN support, if that is later.
  Date from = year_start;
  if (pr.pupil.on_roll_from && *pr.pupil.on_roll_from > from) from = *pr.pupil.on_roll_from;
  if (pr.sen->provision_start && *pr.sen->provision_start > from) from = *pr.sen->provision_start;
  std::vector<Date> ends;
  for (auto [m, d] : ctx.rules.term_ends) {
    Date end(m >= 9 ? year_start.year() : year_start.year() + 1, m, d);
    if (end >= from && end <= year_end) ends.push_back(end);
  }
  int required = std::min<int>(ctx.rules.parent_meetings_per_year, static_cast<int>(ends.size()));
  if (required == 0) return;
  std::vector<Date> met;
  for (const records::Review& r : pr.reviews)
    if (r.parents_met && r.date >= year_start && r.date <= ctx.as_of) met.push_back(r.date);
  std::sort(met.begin(), met.end());
  const int count = static_cast<int>(met.size());
  const std::string year_text =
      std::to_string(year_start.year()) + "/" + std::to_string((year_start.year() + 1) % 100);
  const std::string counted = std::to_string(count) + " of " + std::to_string(required) +
                              " meetings with parents held in school year " + year_text;
  if (count >= required) {
    DueItem item = MakeItem("parent_meetings", "Meet parents at least three times a year",
                            ends[required - 1], "school", "pupil", pr.pupil.id);
    Note(item, counted);
    Settle(item, met[required - 1], ctx);
    out.push_back(std::move(item));
    return;
  }
  DueItem item = MakeItem("parent_meetings", "Meet parents at least three times a year",
                          ends[count], "school", "pupil", pr.pupil.id);
  Note(item, counted);
  Note(item, "meeting " + std::to_string(count + 1) + " is expected by the end of term " +
                 ends[count].ToString());
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
