#include "core/hub/hub.h"

#include <map>

namespace sendsync::hub {

using nlohmann::json;

std::string HubId(int64_t id) {
  return "h" + std::to_string(id);
}

int64_t ParseHubId(const std::string& text) {
  std::string digits = !text.empty() && text[0] == 'h' ? text.substr(1) : text;
  if (digits.empty() || digits.size() > 18) return 0;
  for (char c : digits)
    if (c < '0' || c > '9') return 0;
  return std::stoll(digits);
}

json Canonical(const store::RecordRow& row, const std::string& pupil_upn) {
  json j = json::parse(row.body, nullptr, false);
  if (!j.is_object()) j = json::object();
  j["kind"] = row.kind;
  j["id"] = HubId(row.id);
  if (row.kind != "pupil") j["pupil"] = {{"id", HubId(row.pupil_id)}, {"upn", pupil_upn}};
  return j;
}

Result<domain::PupilRecords> LoadPupilRecords(store::Conn& conn, int64_t pupil_id) {
  auto rows = store::RecordsOfPupil(conn, pupil_id);
  if (!rows.ok()) return rows.status();
  domain::PupilRecords out;
  std::string upn;
  bool have_pupil = false;
  for (const auto& r : *rows)
    if (r.kind == "pupil") upn = r.upn;
  std::vector<json> all;
  all.reserve(rows->size());
  for (const auto& r : *rows) all.push_back(Canonical(r, upn));
  // References still pending when stored may have arrived since.
  for (auto kind : records::AllKinds()) {
    std::vector<json*> of_kind;
    for (size_t i = 0; i < rows->size(); ++i)
      if ((*rows)[i].kind == records::KindName(kind)) of_kind.push_back(&all[i]);
    SENDSYNC_RETURN_IF_ERROR(ResolvePending(conn, records::KindName(kind), of_kind));
  }
  for (size_t i = 0; i < rows->size(); ++i) {
    const auto& r = (*rows)[i];
    const json& j = all[i];
    records::Problems problems;
    bool ok = true;
    if (r.kind == "pupil") {
      ok = records::FromJson(j, out.pupil, problems);
      have_pupil = true;
      // updated_at is in milliseconds since the epoch (UTC): the day the record last changed.
      if (r.updated_at > 0) out.pupil_recorded_on = Date::FromDays(r.updated_at / 86'400'000);
    } else if (r.kind == "sen") {
      records::Sen s;
      ok = records::FromJson(j, s, problems);
      out.sen = std::move(s);
    } else if (r.kind == "cycle") {
      ok = records::FromJson(j, out.cycles.emplace_back(), problems);
    } else if (r.kind == "provision") {
      ok = records::FromJson(j, out.provision.emplace_back(), problems);
    } else if (r.kind == "review") {
      ok = records::FromJson(j, out.reviews.emplace_back(), problems);
    } else if (r.kind == "referral") {
      ok = records::FromJson(j, out.referrals.emplace_back(), problems);
    } else if (r.kind == "ehc_plan") {
      ok = records::FromJson(j, out.plans.emplace_back(), problems);
    }
    if (!ok)
      return Status::Corruption(
          "stored " + r.kind + " record " + HubId(r.id) + " no longer parses: " +
          (problems.empty() ? "" : problems[0].path + ": " + problems[0].message));
  }
  if (!have_pupil) return Status::NotFound("no pupil " + HubId(pupil_id));
  // The annual review's follow-up steps, as recorded on the ehc_annual review itself.
  for (const records::Review& r : out.reviews) {
    if (r.review_kind != "ehc_annual") continue;
    if (!(r.notice_sent || r.report_sent || r.la_decision_date || r.la_decision ||
          r.proposals_sent || r.amended_plan_issued))
      continue;
    domain::AnnualReviewSteps s;
    s.meeting = r.date;
    s.notice_sent = r.notice_sent;
    s.report_sent = r.report_sent;
    s.decision = r.la_decision_date;
    s.outcome = r.la_decision;
    s.proposals_sent = r.proposals_sent;
    s.amended_plan_issued = r.amended_plan_issued;
    out.annual_review_steps.push_back(std::move(s));
  }
  return out;
}

Result<store::RecordRow> FindPupil(store::Conn& conn, const std::string& upn) {
  auto rows = store::PupilsByUpn(conn, {upn});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return Status::NotFound("no pupil with UPN " + upn + " in the hub");
  if (rows->size() > 1)
    return Status::FailedPrecondition("UPN " + upn + " is held by " + std::to_string(rows->size()) +
                                      " pupils; resolve them in the match queue first");
  return rows->front();
}

}  // namespace sendsync::hub
