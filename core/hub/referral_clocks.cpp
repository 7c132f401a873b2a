// Clocks of one pupil as people see them: the domain's clocks plus what only the hub's stored
// records can tell — the information an LA asked the school for while deciding whether to assess
// (the la-portal adapter keeps it in the referral's x_information_requested extension field,
// which the canonical referral has no field for).
#include <algorithm>

#include "core/hub/hub.h"

namespace sendsync::hub {

using nlohmann::json;

namespace {

std::optional<Date> DateField(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return std::nullopt;
  return Date::Parse(j[key].get<std::string>());
}

// The school's step while the LA waits for more information: due by the date the LA gave (or at
// once when it gave none), overdue after it.
std::optional<domain::DueItem> InformationOwed(const store::RecordRow& row, Date as_of) {
  json body = json::parse(row.body, nullptr, false);
  if (!body.is_object() || body.value("status", "") != "more_info_requested") return std::nullopt;
  const json asked = body.value(std::string(kInformationRequestedField), json());
  std::optional<Date> on = DateField(asked, "requested_on");
  if (on && *on > as_of) return std::nullopt;  // not yet asked, as of that date
  std::optional<Date> by = DateField(asked, "respond_by");
  domain::DueItem d;
  d.clock = "la_information_requested";
  d.title = "Send the LA the information it asked for";
  d.owner = "school";
  d.record_kind = "referral";
  d.record_id = HubId(row.id);
  d.due = by ? *by : on ? *on : as_of;
  d.state = as_of > d.due ? "overdue" : "due";
  std::string what;
  if (asked.is_object() && asked.contains("items") && asked["items"].is_array())
    for (const json& i : asked["items"])
      if (i.is_string()) what += (what.empty() ? "" : "; ") + i.get<std::string>();
  d.detail = "the LA asked" + (on ? " on " + on->ToString() : std::string()) +
             (what.empty() ? std::string(" for more information") : " for: " + what) +
             (by ? "" : " (no date given to respond by)") +
             "; the 6-week decision clock keeps running";
  if (d.state == "overdue")
    d.detail += "; " + std::to_string(d.due.DaysUntil(as_of)) + " day(s) overdue";
  return d;
}

}  // namespace

bool RunningStatutoryClock(const domain::DueItem& d) {
  static const char* const kEhc[] = {"ehc_decision_6w",    "ehc_no_plan_16w", "ehc_final_plan_20w",
                                     "draft_comments_15d", "ehc_advice_6w",   "reassessment_14w"};
  const bool ehc = std::find_if(std::begin(kEhc), std::end(kEhc),
                                [&](const char* c) { return d.clock == c; }) != std::end(kEhc);
  return ehc && (d.state == "upcoming" || d.state == "suspended");
}

Result<std::vector<domain::DueItem>> ClocksOf(store::Conn& conn, int64_t pupil_id,
                                              const domain::PupilRecords& recs, Date as_of,
                                              const domain::ClockConfig& cfg) {
  std::vector<domain::DueItem> out = domain::Clocks(recs, as_of, cfg);
  const bool asked =
      std::any_of(recs.referrals.begin(), recs.referrals.end(),
                  [](const records::Referral& r) { return r.status == "more_info_requested"; });
  if (!asked) return out;  // spares a query for every pupil the LA is not waiting on
  auto rows = store::RecordsByPupils(conn, "referral", {pupil_id});
  if (!rows.ok()) return rows.status();
  for (const auto& row : *rows)
    if (auto d = InformationOwed(row, as_of)) out.push_back(std::move(*d));
  std::stable_sort(out.begin(), out.end(), [](const domain::DueItem& a, const domain::DueItem& b) {
    return a.due < b.due;
  });
  return out;
}

}  // namespace sendsync::hub
