// The match stages of a batch plan: which hub pupil, and which hub record, each record is — or the
// quarantine or match queue when that cannot be known. They read the store and fill the plan.
#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "core/domain/domain.h"
#include "core/hub/hub.h"
#include "core/sync/plan.h"

namespace sendsync::sync::detail {

using nlohmann::json;

void PlanQuarantine(BatchPlan& plan, const BatchOptions& opt, const std::string& raw,
                    const std::string& ext, const std::string& upn, json reasons,
                    const std::string& where) {
  if (!opt.quarantine_failures) {
    std::string msg = where.empty() ? "" : where + ": ";
    for (size_t i = 0; i < reasons.size(); ++i)
      msg += (i ? "; " : "") + Str(reasons[i], "path") +
             (Str(reasons[i], "path").empty() ? "" : ": ") + Str(reasons[i], "message");
    plan.result.errors.push_back(msg);
    return;
  }
  store::QuarantineItem q;
  q.link_id = plan.link_id;
  q.kind = plan.kind;
  q.external_id = ext;
  q.upn = upn;
  q.raw = raw;
  q.reasons = std::move(reasons);
  q.run_id = opt.run_id;
  plan.quarantine.push_back(std::move(q));
  ++plan.result.quarantined;
  if (plan.Reporting())
    plan.Report(ext, upn, "quarantine", "reasons", plan.quarantine.back().reasons);
}

void PlanMatchQueue(BatchPlan& plan, const BatchOptions& opt, const WorkRecord& w,
                    const std::string& reason, const json& candidates) {
  store::MatchItem m;
  m.link_id = plan.link_id;
  m.kind = plan.kind;
  m.external_id = w.ext;
  m.upn = w.upn;
  m.raw = w.in->raw.dump();
  m.candidates = candidates;
  m.reason = reason;
  m.run_id = opt.run_id;
  plan.matches.push_back(std::move(m));
  ++plan.result.matches;
  if (plan.Reporting()) plan.Report(w.ext, w.upn, "match_queue", "reason", reason);
}

namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

// A school gives a pupil a temporary UPN until the permanent one is known; the record that brings
// the permanent UPN names the temporary one as its former UPN. It is the same pupil, not a
// duplicate UPN (census error 1520), when the hub's pupil holds that temporary UPN with the same
// date of birth and legal name.
bool ReplacesTemporaryUpn(const WorkRecord& w, const store::RecordRow& hub_pupil) {
  using domain::UpnKind;
  if (w.former_upn.empty() || hub_pupil.upn != w.former_upn || hub_pupil.dob != w.dob) return false;
  if (domain::UpnKindOf(hub_pupil.upn) != UpnKind::kTemporary ||
      domain::UpnKindOf(w.upn) != UpnKind::kPermanent)
    return false;
  json body = json::parse(hub_pupil.body, nullptr, false);
  if (!body.is_object()) return false;
  for (const char* name : {"legal_surname", "legal_forename"})
    if (Lower(Str(body, name)) != Lower(Str(w.fields, name)) || Str(body, name).empty())
      return false;
  return true;
}

PupilMatch MatchPupil(const WorkRecord& w, const PupilCandidates& cands, const BatchOptions& opt,
                      std::map<std::string, std::string>& new_in_batch) {
  PupilMatch out;
  if (opt.force_pupil_id) {
    out.outcome = PupilMatch::Outcome::kKnown;
    out.record_id = opt.force_pupil_id;
    return out;
  }
  std::map<int64_t, const store::RecordRow*> found;
  for (const auto& c : cands.pupils)
    if (c.upn == w.upn || c.former_upn == w.upn ||
        (!w.former_upn.empty() && (c.upn == w.former_upn || c.former_upn == w.former_upn)))
      found[c.id] = &c;
  auto linked_as = [&](int64_t id) -> std::string {
    auto it = cands.link_record_of.find(id);
    return it == cands.link_record_of.end() ? "" : it->second.external_id;
  };
  json cj = json::array();
  for (const auto& [id, c] : found)
    cj.push_back(
        {{"record_id", id}, {"upn", c->upn}, {"dob", c->dob}, {"linked_as", linked_as(id)}});
  auto queue = [&](std::string reason, json candidates) {
    out.outcome = PupilMatch::Outcome::kQueue;
    out.reason = std::move(reason);
    out.candidates = std::move(candidates);
    return out;
  };
  if (opt.force_new_pupil || found.empty()) {
    if (!opt.force_new_pupil && new_in_batch.count(w.upn))
      return queue(
          "another record in the same pull has this UPN (duplicate UPN, census error 1520)",
          json::array({{{"external_id", new_in_batch[w.upn]}}}));
    new_in_batch[w.upn] = w.ext;
    out.outcome = PupilMatch::Outcome::kNew;
    return out;
  }
  if (found.size() > 1)
    return queue("the UPN matches " + std::to_string(found.size()) + " pupils in the hub", cj);
  const store::RecordRow& c = *found.begin()->second;
  if (ReplacesTemporaryUpn(w, c)) {
    out.outcome = PupilMatch::Outcome::kKnown;
    out.record_id = c.id;
    out.replaced_temporary_upn = c.upn;
    if (auto it = cands.link_record_of.find(c.id); it != cands.link_record_of.end())
      out.old_link_record = it->second;
    return out;
  }
  const std::string known_as = linked_as(c.id);
  if (!known_as.empty() && known_as != w.ext)
    return queue(
        "this link already has another pupil with this UPN (duplicate UPN, census error 1520)", cj);
  if (c.dob != w.dob) return queue("a pupil with this UPN has a different date of birth", cj);
  out.outcome = PupilMatch::Outcome::kKnown;
  out.record_id = c.id;
  return out;
}

Status MatchPupils(store::Conn& conn, BatchPlan& plan, const BatchOptions& opt,
                   std::vector<WorkRecord>& work,
                   const std::map<std::string, store::LinkRecord>& by_ext,
                   std::vector<WorkRecord*>& resolved) {
  std::vector<std::string> upns;
  for (const WorkRecord& w : work)
    if (!by_ext.count(w.ext)) {
      upns.push_back(w.upn);
      if (!w.former_upn.empty()) upns.push_back(w.former_upn);
    }
  PupilCandidates cands;
  auto found = store::PupilsByUpn(conn, upns);
  if (!found.ok()) return found.status();
  cands.pupils = std::move(*found);
  std::vector<int64_t> cand_ids;
  for (const auto& c : cands.pupils) cand_ids.push_back(c.id);
  auto cand_links = store::LinkRecordsByRecord(conn, plan.link_id, cand_ids);
  if (!cand_links.ok()) return cand_links.status();
  for (const auto& lr : *cand_links)
    if (lr.kind == records::KindName(records::Kind::kPupil))
      cands.link_record_of[lr.record_id] = lr;
  std::map<std::string, std::string> new_in_batch;  // upn -> ext
  for (WorkRecord& w : work) {
    if (auto it = by_ext.find(w.ext); it != by_ext.end()) {
      w.record_id = it->second.record_id;
      resolved.push_back(&w);
      continue;
    }
    PupilMatch m = MatchPupil(w, cands, opt, new_in_batch);
    if (m.outcome == PupilMatch::Outcome::kQueue) {
      PlanMatchQueue(plan, opt, w, m.reason, m.candidates);
      continue;
    }
    w.record_id = m.record_id;  // 0: a new pupil
    w.replaced_temporary_upn = std::move(m.replaced_temporary_upn);
    w.old_link_record = std::move(m.old_link_record);
    resolved.push_back(&w);
  }
  return Status::OK();
}

namespace {

// A record new to this link may be one the hub sent it whose answer never came back (lost, or
// the sender died): it then gets the hub record it came from, not a second one, and the change
// that created it is delivered, confirmed by this read. The link's id takes the base the change
// sent, so what the link did with the record since (an LA receiving a referral) merges as the
// link's change. A referral is linked but its change stays to be sent: the retry attaches the
// evidence pack to the referral the LA holds instead of asking for a second.
Status ClaimInFlight(store::Conn& conn, BatchPlan& plan, std::vector<WorkRecord*>& resolved,
                     std::map<std::string, store::LinkRecord>& by_ext) {
  std::vector<WorkRecord*> fresh;
  std::vector<InFlightProbe> probes;
  for (WorkRecord* w : resolved)
    if (!w->record_id) {
      fresh.push_back(w);
      probes.push_back({&w->in->raw, w->pupil_id});
    }
  auto found = MatchInFlight(conn, plan.link_id, plan.kind, probes);
  if (!found.ok()) return found.status();
  const int64_t now = store::NowMs();
  for (size_t i = 0; i < fresh.size(); ++i) {
    if (!(*found)[i]) continue;
    store::OutboxItem o = *(*found)[i];
    fresh[i]->record_id = o.record_id;
    o.remote_id = fresh[i]->ext;
    const bool done = plan.policy->delivered_with_record;
    if (done) {
      o.status = store::OutboxStatus::kDelivered;
      o.finished_at = now;
    } else if (o.status == store::OutboxStatus::kPending) {
      o.next_attempt_at = std::min(o.next_attempt_at, now);  // finish it in this run's push
    }
    json payload = json::parse(o.payload, nullptr, false);
    json base = payload.is_object() ? payload.value("base", json::object()) : json::object();
    if (!base.is_object()) base = json::object();
    store::LinkRecord lr{plan.link_id, plan.kind,   fresh[i]->ext,
                         o.record_id,  base.dump(), HashOf(base)};
    plan.link_record_drops.push_back(hub::HubId(o.record_id));
    plan.claimed.push_back(lr);
    by_ext[fresh[i]->ext] = std::move(lr);
    plan.Audit(done ? "delivery.applied" : "delivery.found", o.record_id, fresh[i]->pupil_id,
               {{"outbox_id", o.id},
                {"key", o.idem_key},
                {"op", ChangeOpName(o.op)},
                {"remote_id", o.remote_id},
                {"confirmed_by", "pull"}});
    plan.outbox_updates.push_back(std::move(o));
  }
  return Status::OK();
}

// The pupil of each record, by the link's pupil id or a UPN exactly one hub pupil has; the rest
// are quarantined (PUPIL_UNKNOWN) to be retried once the pupil is known.
Status ResolvePupilsOf(store::Conn& conn, BatchPlan& plan, const BatchOptions& opt,
                       std::vector<WorkRecord>& work,
                       const std::map<std::string, store::LinkRecord>& by_ext,
                       std::vector<WorkRecord*>& resolved) {
  std::vector<std::string> pupil_exts;
  for (const WorkRecord& w : work)
    if (!w.pupil_ext.empty()) pupil_exts.push_back(w.pupil_ext);
  auto plinks = store::RecordIdsByExternal(conn, plan.link_id,
                                           records::KindName(records::Kind::kPupil), pupil_exts);
  if (!plinks.ok()) return plinks.status();
  const std::map<std::string, int64_t>& pupil_by_ext = *plinks;
  std::vector<std::string> upns;
  for (const WorkRecord& w : work)
    if (!pupil_by_ext.count(w.pupil_ext) && !w.pupil_upn.empty()) upns.push_back(w.pupil_upn);
  auto byupn = store::PupilsByUpn(conn, upns);
  if (!byupn.ok()) return byupn.status();
  std::map<std::string, std::vector<int64_t>> pupils_by_upn;
  for (const auto& p : *byupn) {
    pupils_by_upn[p.upn].push_back(p.id);
    if (!p.former_upn.empty()) pupils_by_upn[p.former_upn].push_back(p.id);
  }
  for (WorkRecord& w : work) {
    if (auto it = pupil_by_ext.find(w.pupil_ext); it != pupil_by_ext.end()) {
      w.pupil_id = it->second;
    } else if (pupils_by_upn[w.pupil_upn].size() == 1) {
      w.pupil_id = pupils_by_upn[w.pupil_upn][0];
    } else {
      std::string why =
          pupils_by_upn[w.pupil_upn].size() > 1
              ? "the pupil's UPN matches several pupils in the hub; resolve the match queue, "
                "then retry"
              : "no pupil with this id or UPN is in the hub yet (it must arrive with the pupil "
                "roll, or wait in the match queue); retry once it has";
      PlanQuarantine(plan, opt, w.in->raw.dump(), w.ext, w.pupil_upn,
                     json::array({Reason("PUPIL_UNKNOWN", "pupil", why)}), w.ext);
      continue;
    }
    if (auto it = by_ext.find(w.ext); it != by_ext.end()) w.record_id = it->second.record_id;
    resolved.push_back(&w);
  }
  return Status::OK();
}

}  // namespace

Status MatchOwned(store::Conn& conn, BatchPlan& plan, const BatchOptions& opt,
                  std::vector<WorkRecord>& work, std::map<std::string, store::LinkRecord>& by_ext,
                  std::vector<WorkRecord*>& resolved) {
  SENDSYNC_RETURN_IF_ERROR(ResolvePupilsOf(conn, plan, opt, work, by_ext, resolved));
  if (plan.policy->one_per_pupil) {  // one record per pupil, whichever systems report it
    std::vector<int64_t> pids;
    for (WorkRecord* w : resolved)
      if (!w->record_id) pids.push_back(w->pupil_id);
    auto same = store::RecordsByPupils(conn, plan.kind, pids);
    if (!same.ok()) return same.status();
    std::map<int64_t, int64_t> record_of;
    for (const auto& r : *same) record_of[r.pupil_id] = r.id;
    for (WorkRecord* w : resolved)
      if (!w->record_id && record_of.count(w->pupil_id)) w->record_id = record_of[w->pupil_id];
  }
  if (plan.policy->claims_in_flight)
    SENDSYNC_RETURN_IF_ERROR(ClaimInFlight(conn, plan, resolved, by_ext));
  return Status::OK();
}

// A change sent to a record the link already knows, whose outcome is unknown (no answer) or that
// was dead-lettered, is delivered when the link's record now holds what it sent: the pull
// confirms it, so it is not sent again. Older undelivered changes to the record are superseded by
// it (sending them now would undo it). A change the pulled record does not hold stays as it was,
// to be sent (or retried by a person). A change this plan already settled (a claimed create) is
// left to that.
Status ConfirmByPull(store::Conn& conn, BatchPlan& plan, const std::vector<WorkRecord*>& resolved) {
  if (!plan.policy->delivered_with_record) return Status::OK();
  std::map<int64_t, const WorkRecord*> by_record;
  for (const WorkRecord* w : resolved)
    if (w->record_id) by_record[w->record_id] = w;
  if (by_record.empty()) return Status::OK();
  std::vector<int64_t> ids;
  for (const auto& [id, w] : by_record) ids.push_back(id);
  auto open = store::UndeliveredUpserts(conn, plan.link_id, plan.kind, ids);
  if (!open.ok()) return open.status();
  if (open->empty()) return Status::OK();
  std::set<int64_t> settled;
  for (const store::OutboxItem& o : plan.outbox_updates) settled.insert(o.id);
  std::map<int64_t, std::vector<store::OutboxItem>> of_record;  // oldest first
  for (store::OutboxItem& o : *open)
    if (!settled.count(o.id)) of_record[o.record_id].push_back(std::move(o));
  const int64_t now = store::NowMs();
  for (auto& [record_id, list] : of_record) {
    const WorkRecord* w = by_record[record_id];
    // The newest change the link holds: the ones before it are superseded.
    size_t held = list.size();
    for (size_t k = list.size(); k-- > 0;) {
      const store::OutboxItem& o = list[k];
      if (o.status == store::OutboxStatus::kPending && o.attempts == 0)
        continue;  // never sent: nothing to confirm
      if (!o.remote_id.empty() && o.remote_id != w->ext) continue;
      json payload = json::parse(o.payload, nullptr, false);
      if (payload.is_object() &&
          LinkHolds(plan.kind, payload.value("record", json()), w->in->raw)) {
        held = k;
        break;
      }
    }
    if (held == list.size()) continue;
    for (size_t k = 0; k <= held; ++k) {
      store::OutboxItem o = list[k];
      const bool confirmed_one = k == held;
      o.status = confirmed_one ? store::OutboxStatus::kDelivered : store::OutboxStatus::kSuperseded;
      o.finished_at = now;
      if (confirmed_one && o.remote_id.empty()) o.remote_id = w->ext;
      if (confirmed_one) {
        audit::Entry& e = plan.Audit("delivery.applied", o.record_id,
                                     plan.policy->is_pupil ? o.record_id : w->pupil_id,
                                     {{"outbox_id", o.id},
                                      {"key", o.idem_key},
                                      {"op", ChangeOpName(o.op)},
                                      {"remote_id", o.remote_id},
                                      {"confirmed_by", "pull"}});
        if (!list[k].last_error.empty()) e.detail["was"] = store::OutboxStatusName(list[k].status);
      }
      plan.outbox_updates.push_back(std::move(o));
    }
  }
  return Status::OK();
}

}  // namespace sendsync::sync::detail
