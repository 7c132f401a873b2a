// Views of the hub for people: a pupil's summary, the due list, readiness.
#include <algorithm>
#include <cmath>
#include <map>

#include "core/hub/hub.h"

namespace sendsync::hub {

using nlohmann::json;

json DueItemJson(const domain::DueItem& d) {
  json j = {{"clock", d.clock},        {"title", d.title}, {"due", d.due.ToString()},
            {"state", d.state},        {"owner", d.owner}, {"record_kind", d.record_kind},
            {"record_id", d.record_id}};
  if (!d.detail.empty()) j["detail"] = d.detail;
  if (d.done) j["done"] = d.done->ToString();
  return j;
}

namespace {

json CostJson(const domain::ProvisionCost& c) {
  auto r = [](double v) { return std::round(v * 100) / 100; };
  return {{"per_week", r(c.per_week)},
          {"per_term", r(c.per_term)},
          {"per_year", r(c.per_year)},
          {"staff_hours_per_week", r(c.staff_hours_per_week)}};
}

// `evidence` holds machine references (kind:hub id); `evidence_names` the same records as a
// SENCO knows them, for anything a person reads.
json ReadinessJson(const domain::Readiness& ready, const domain::PupilRecords& pr) {
  json items = json::array();
  for (const auto& i : ready.items) {
    json names = json::array();
    for (const auto& e : i.evidence) names.push_back(domain::EvidenceName(pr, e));
    items.push_back({{"id", i.id},
                     {"label", i.label},
                     {"met", i.met},
                     {"evidence", i.evidence},
                     {"evidence_names", names},
                     {"missing", i.missing}});
  }
  return {{"ready", ready.ready},
          {"gate", ready.gate},
          {"requested_by", ready.requested_by},
          {"advice", ready.advice},
          {"items", items}};
}

}  // namespace

Result<json> PupilSummary(store::Conn& conn, int64_t pupil_id, Date as_of) {
  auto recs = LoadPupilRecords(conn, pupil_id);
  if (!recs.ok()) return recs.status();
  auto rows = store::RecordsOfPupil(conn, pupil_id);
  if (!rows.ok()) return rows.status();
  std::string upn;
  for (const auto& r : *rows)
    if (r.kind == "pupil") upn = r.upn;
  json out;
  json cycles = json::array(), provision = json::array(), reviews = json::array(),
       referrals = json::array(), plans = json::array();
  double total = 0;
  json warnings = json::array();
  for (const auto& r : *rows) {
    json c = Canonical(r, upn);
    std::vector<json*> one = {&c};
    SENDSYNC_RETURN_IF_ERROR(ResolvePending(conn, r.kind, one));
    // Records with errors never reach the hub; their warnings were kept and are shown here.
    for (const domain::Issue& i : domain::ValidateJson(c))
      if (i.severity == domain::Severity::kWarning)
        warnings.push_back({{"record_kind", r.kind},
                            {"record_id", HubId(r.id)},
                            {"code", i.code},
                            {"path", i.path},
                            {"message", i.message}});
    if (r.kind == "pupil") out["pupil"] = c;
    if (r.kind == "sen") out["sen"] = c;
    if (r.kind == "cycle") cycles.push_back(c);
    if (r.kind == "review") reviews.push_back(c);
    if (r.kind == "referral") {
      // What happened to the request, beyond the hub's "submitted": still queued, delivered (the
      // LA holds it, under its id), or acknowledged (the LA sent its reference or a decision).
      auto held = store::LinkRecordsOf(conn, r.id);
      if (!held.ok()) return held.status();
      std::string la_id;
      for (const auto& lr : *held) {
        if (lr.kind != "referral" || !lr.base) continue;
        // Only a link to an LA (its config names the LA, as the sync's LaOfLink reads it): the
        // link the request came in through (an import, a SEND tool) holds it too.
        auto l = store::GetLinkById(conn, lr.link_id);
        if (l.ok() && l->config.is_object() && l->config.contains("la") &&
            l->config["la"].is_string())
          la_id = lr.external_id;
      }
      const std::string status = c.value("status", "draft");
      if (status == "draft")
        c["delivery"] = "draft";
      else if (status != "submitted" || c.contains("la_reference"))
        c["delivery"] = "acknowledged";
      else
        c["delivery"] = la_id.empty() ? "queued" : "delivered";
      if (!la_id.empty()) c["la_id"] = la_id;
      referrals.push_back(c);
    }
    if (r.kind == "ehc_plan") plans.push_back(c);
    if (r.kind == "provision") {
      for (const auto& p : recs->provision)
        if (p.id == HubId(r.id)) {
          domain::ProvisionCost cost = domain::Cost(p);
          c["cost"] = CostJson(cost);
          total += cost.per_year;
        }
      provision.push_back(c);
    }
  }
  if (!out.contains("sen")) out["sen"] = nullptr;
  out["cycles"] = cycles;
  out["provision"] = provision;
  out["provision_cost_per_year"] = std::round(total * 100) / 100;
  out["reviews"] = reviews;
  out["plans"] = plans;

  json ids = json::array();
  auto links = store::LinkRecordsOf(conn, pupil_id);
  if (!links.ok()) return links.status();
  out["referrals"] = referrals;
  for (const auto& lr : *links) {
    auto l = store::GetLinkById(conn, lr.link_id);
    ids.push_back({{"link", l.ok() ? l->name.substr(0, l->name.find("#removed-")) : "?"},
                   {"id", lr.external_id}});
  }
  out["system_ids"] = ids;
  json clocks = json::array();
  auto all_clocks = ClocksOf(conn, pupil_id, *recs, as_of);
  if (!all_clocks.ok()) return all_clocks.status();
  for (const auto& d : *all_clocks) clocks.push_back(DueItemJson(d));
  out["clocks"] = clocks;
  out["as_of"] = as_of.ToString();
  json issues = json::array();
  for (const auto& i : domain::CheckConsistency(*recs))
    issues.push_back({{"code", i.code},
                      {"path", i.path},
                      {"message", i.message},
                      {"severity", domain::SeverityName(i.severity)}});
  out["consistency"] = issues;
  out["warnings"] = warnings;
  return out;
}

Result<std::vector<DueEntry>> DueEntries(store::Conn& conn, Date as_of, const std::string& school,
                                         int upcoming_days) {
  auto ids = store::PupilsWithRecords(conn, school);
  if (!ids.ok()) return ids.status();
  std::vector<DueEntry> items;
  domain::ClockConfig cfg;
  if (upcoming_days > 0) cfg.due_soon_days = upcoming_days;
  for (int64_t id : *ids) {
    auto recs = LoadPupilRecords(conn, id);
    if (!recs.ok()) return recs.status();
    auto clocks = ClocksOf(conn, id, *recs, as_of, cfg);
    if (!clocks.ok()) return clocks.status();
    for (auto& d : *clocks) {
      if (d.state != "due" && d.state != "overdue" && !RunningStatutoryClock(d)) continue;
      items.push_back({std::move(d), id, recs->pupil.upn,
                       recs->pupil.legal_forename + " " + recs->pupil.legal_surname,
                       recs->pupil.school_urn.value_or("")});
    }
  }
  std::stable_sort(items.begin(), items.end(),
                   [](const auto& a, const auto& b) { return a.item.due < b.item.due; });
  return items;
}

json DueEntryJson(const DueEntry& e) {
  json j = DueItemJson(e.item);
  j["pupil_id"] = HubId(e.pupil_id);
  j["upn"] = e.upn;
  j["name"] = e.name;
  j["school_urn"] = e.school_urn;
  return j;
}

Result<json> DueList(store::Conn& conn, Date as_of, const std::string& school, int upcoming_days) {
  auto entries = DueEntries(conn, as_of, school, upcoming_days);
  if (!entries.ok()) return entries.status();
  json out = json::array();
  for (const auto& e : *entries) out.push_back(DueEntryJson(e));
  return out;
}

Result<json> ReadinessOf(store::Conn& conn, int64_t pupil_id, Date as_of) {
  auto recs = LoadPupilRecords(conn, pupil_id);
  if (!recs.ok()) return recs.status();
  return ReadinessJson(domain::CheckReadiness(*recs, as_of), *recs);
}

}  // namespace sendsync::hub
