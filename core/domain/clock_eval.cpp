// Clocks(): runs every clock family and orders the result; the shared deadline evaluation.
#include <algorithm>

#include "core/domain/clocks_internal.h"
#include "core/domain/school_year.h"

namespace sendsync::domain {

namespace detail {

void Note(DueItem& item, const std::string& text) {
  if (text.empty()) return;
  if (!item.detail.empty()) item.detail += "; ";
  item.detail += text;
}

DueItem MakeItem(std::string clock, std::string title, Date due, std::string owner,
                 std::string record_kind, std::string record_id) {
  DueItem item;
  item.clock = std::move(clock);
  item.title = std::move(title);
  item.due = due;
  item.owner = std::move(owner);
  item.record_kind = std::move(record_kind);
  item.record_id = std::move(record_id);
  return item;
}

void Settle(DueItem& item, std::optional<Date> event, const ClockContext& ctx) {
  if (event && *event <= ctx.as_of) {
    item.done = event;
    long late = item.due.DaysUntil(*event);
    if (late <= 0) {
      item.state = "met";
    } else {
      item.state = "met_late";
      Note(item, "done " + std::to_string(late) + " day(s) after the deadline");
    }
    return;
  }
  long left = ctx.as_of.DaysUntil(item.due);
  if (left < 0) {
    item.state = "overdue";
    Note(item, std::to_string(-left) + " day(s) overdue");
  } else if (left <= ctx.due_soon_days) {
    item.state = "due";
  } else {
    item.state = "upcoming";
  }
}

}  // namespace detail

Date SchoolYearStart(Date on) {
  return Date(on.month() >= 9 ? on.year() : on.year() - 1, 9, 1);
}

std::string ChronologicalNcYear(Date dob, Date on) {
  // A child is in Reception in the school year that starts after their fourth birthday's
  // school year: cohort = the school year the child was born in.
  int cohort = dob.month() >= 9 ? dob.year() : dob.year() - 1;
  int k = SchoolYearStart(on).year() - cohort - 5;
  if (k >= 1 && k <= 14) return std::to_string(k);
  if (k == 0) return "R";
  if (k == -1) return "N2";
  if (k == -2) return "N1";
  return "";
}

std::string NcYearOn(const std::string& recorded, Date recorded_on, Date on) {
  int k;
  if (recorded == "N1")
    k = -2;
  else if (recorded == "N2")
    k = -1;
  else if (recorded == "R")
    k = 0;
  else if (!recorded.empty() && recorded.size() <= 2 &&
           recorded.find_first_not_of("0123456789") == std::string::npos)
    k = std::stoi(recorded);
  else
    return recorded;  // X (not following the NC) and anything else: no progression
  k += SchoolYearStart(on).year() - SchoolYearStart(recorded_on).year();
  if (k >= 1 && k <= 14) return std::to_string(k);
  if (k == 0) return "R";
  if (k == -1) return "N2";
  if (k == -2) return "N1";
  return "";
}

std::vector<DueItem> Clocks(const PupilRecords& pr, Date as_of, const ClockConfig& config) {
  const detail::ClockContext ctx{
      as_of, config.due_soon_days, config.rules ? *config.rules : Rules::Builtin(),
      config.stage_models ? *config.stage_models : StageModels::Builtin()};
  std::vector<DueItem> out;
  detail::SchoolClocks(pr, ctx, out);
  detail::AssessmentClocks(pr, ctx, out);
  detail::AnnualReviewClocks(pr, ctx, out);
  detail::PhaseTransferClock(pr, ctx, out);
  std::stable_sort(out.begin(), out.end(), [](const DueItem& a, const DueItem& b) {
    if (a.due != b.due) return a.due < b.due;
    if (a.clock != b.clock) return a.clock < b.clock;
    return a.record_id < b.record_id;
  });
  return out;
}

}  // namespace sendsync::domain
