// map → validate → match → merge → commit for one batch of one kind from one link.
#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <thread>

#include "core/domain/domain.h"
#include "core/hub/hub.h"
#include "core/sync/internal.h"
#include "sendsync/sdk/date.h"
#include "sendsync/sdk/records.h"

namespace sendsync::sync::detail {

using nlohmann::json;

std::string HashOf(const json& fields) {
  return audit::Sha256Hex(fields.dump());
}

namespace {

// Str, Reason and SettingsOf: core/sync/check.cpp (declared in internal.h).

// The SEN status history the hub keeps: every episode any source reported, plus the current
// status, oldest first, each ended the day before the next begins. One episode per start date: a
// later report of the same start date corrects it (the earlier version stays in record history).
json NormalizeSenHistory(const json& merged, const json* previous, const json& theirs) {
  std::map<std::string, json> episodes;  // start -> episode
  auto add_all = [&](const json* src) {
    if (!src || !src->is_object() || !src->contains("history") || !(*src)["history"].is_array())
      return;
    for (const json& e : (*src)["history"])
      if (e.is_object() && e.contains("start") && e.contains("provision"))
        episodes[Str(e, "start")] = e;
  };
  add_all(previous);
  add_all(&theirs);
  const std::string current = Str(merged, "provision");
  if (!current.empty()) {
    std::string start = Str(merged, "provision_start");
    if (!start.empty()) {
      if (!episodes.count(start) || Str(episodes[start], "provision") != current)
        episodes[start] = {{"provision", current}, {"start", start}};
    } else if (episodes.empty() || Str(std::prev(episodes.end())->second, "provision") != current) {
      start = Today().ToString();
      episodes[start] = {{"provision", current}, {"start", start}};
    }
  }
  // Consecutive episodes of one status are one episode: a later report of the same status with
  // another start date (a corrected date, or two systems that disagreed) does not split it. The
  // current episode starts when the record says it did.
  for (auto it = episodes.begin(); it != episodes.end();) {
    if (it != episodes.begin() &&
        Str(std::prev(it)->second, "provision") == Str(it->second, "provision"))
      it = episodes.erase(it);
    else
      ++it;
  }
  const std::string said_start = Str(merged, "provision_start");
  if (!current.empty() && !said_start.empty() && !episodes.empty()) {
    auto last = std::prev(episodes.end());
    const bool after_previous = last == episodes.begin() || std::prev(last)->first < said_start;
    if (Str(last->second, "provision") == current && last->first != said_start && after_previous) {
      json e = last->second;
      e["start"] = said_start;
      episodes.erase(last);
      episodes[said_start] = std::move(e);
    }
  }
  json out = json::array();
  for (auto it = episodes.begin(); it != episodes.end(); ++it) {
    json e = it->second;
    auto next = std::next(it);
    if (next != episodes.end()) {
      auto d = Date::Parse(next->first);
      if (d) e["end"] = d->AddDays(-1).ToString();
    } else {
      e.erase("end");  // the current episode is open
    }
    out.push_back(std::move(e));
  }
  return out;
}

// A checked record through match and merge; `fields` gain hub ids for references.
struct Work : CheckedRecord {
  explicit Work(CheckedRecord&& c) : CheckedRecord(std::move(c)) {}
  int64_t record_id = 0, pupil_id = 0;
  // A pupil whose temporary UPN this record replaces with the permanent one: the temporary UPN,
  // and this link's record of the pupil under its old id (none when another link brought it).
  std::string replaced_temporary_upn;
  std::optional<store::LinkRecord> old_link_record;
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A school gives a pupil a temporary UPN until the permanent one is known; the record that brings
// the permanent UPN names the temporary one as its former UPN. It is the same pupil, not a
// duplicate UPN (census error 1520), when the hub's pupil holds that temporary UPN with the same
// date of birth and legal name.
bool ReplacesTemporaryUpn(const Work& w, const store::RecordRow& hub_pupil) {
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

// A record new to this link may be one the hub sent it whose answer never came back (lost, or
// the sender died): it then gets the hub record it came from, not a second one, and the change
// that created it is delivered, confirmed by this read. The link's id takes the base the change
// sent, so what the link did with the record since (an LA receiving a referral) merges as the
// link's change. A referral is linked but its change stays to be sent: the retry attaches the
// evidence pack to the referral the LA holds instead of asking for a second.
Status ClaimInFlight(store::Conn& conn, const LinkCtx& link, const std::string& kind,
                     std::vector<Work*>& resolved, std::map<std::string, store::LinkRecord>& by_ext,
                     std::vector<audit::Entry>& audit_entries) {
  std::vector<Work*> fresh;
  std::vector<InFlightProbe> probes;
  for (Work* w : resolved)
    if (!w->record_id) {
      fresh.push_back(w);
      probes.push_back({&w->in->raw, w->pupil_id});
    }
  auto found = MatchInFlight(conn, link.link.id, kind, probes);
  if (!found.ok()) return found.status();
  const int64_t now = store::NowMs();
  for (size_t i = 0; i < fresh.size(); ++i) {
    if (!(*found)[i]) continue;
    store::OutboxItem o = *(*found)[i];
    fresh[i]->record_id = o.record_id;
    o.remote_id = fresh[i]->ext;
    const bool done = DeliveredWithTheRecord(kind);
    if (done) {
      o.status = "delivered";
      o.finished_at = now;
    } else if (o.status == "pending") {
      o.next_attempt_at = std::min(o.next_attempt_at, now);  // finish it in this run's push
    }
    SENDSYNC_RETURN_IF_ERROR(store::UpdateOutbox(conn, o));
    SENDSYNC_RETURN_IF_ERROR(
        store::DeleteLinkRecord(conn, link.link.id, kind, hub::HubId(o.record_id)));
    json payload = json::parse(o.payload, nullptr, false);
    json base = payload.is_object() ? payload.value("base", json::object()) : json::object();
    if (!base.is_object()) base = json::object();
    store::LinkRecord lr{link.link.id, kind, fresh[i]->ext, o.record_id, base.dump(), HashOf(base)};
    SENDSYNC_RETURN_IF_ERROR(store::UpsertLinkRecords(conn, {lr}));
    by_ext[fresh[i]->ext] = std::move(lr);
    audit::Entry e;
    e.actor = link.actor;
    e.action = done ? "delivery.applied" : "delivery.found";
    e.kind = kind;
    e.record_id = o.record_id;
    e.pupil_id = fresh[i]->pupil_id;
    e.detail = {{"outbox_id", o.id},
                {"key", o.idem_key},
                {"op", o.op},
                {"remote_id", o.remote_id},
                {"confirmed_by", "pull"}};
    audit_entries.push_back(std::move(e));
  }
  return Status::OK();
}

// A change sent to a record the link already knows, whose outcome is unknown (no answer) or that
// was dead-lettered, is delivered when the link's record now holds what it sent: the pull
// confirms it, so it is not sent again. Older undelivered changes to the record are superseded by
// it (sending them now would undo it). A change the pulled record does not hold stays as it was,
// to be sent (or retried by a person).
Status ConfirmByPull(store::Conn& conn, const LinkCtx& link, const std::string& kind,
                     const std::vector<Work*>& resolved, std::vector<audit::Entry>& audit_entries) {
  if (!DeliveredWithTheRecord(kind)) return Status::OK();
  std::map<int64_t, const Work*> by_record;
  for (const Work* w : resolved)
    if (w->record_id) by_record[w->record_id] = w;
  if (by_record.empty()) return Status::OK();
  std::vector<int64_t> ids;
  for (const auto& [id, w] : by_record) ids.push_back(id);
  auto open = store::UndeliveredUpserts(conn, link.link.id, kind, ids);
  if (!open.ok()) return open.status();
  if (open->empty()) return Status::OK();
  std::map<int64_t, std::vector<store::OutboxItem>> of_record;  // oldest first
  for (store::OutboxItem& o : *open) of_record[o.record_id].push_back(std::move(o));
  const int64_t now = store::NowMs();
  for (auto& [record_id, list] : of_record) {
    const Work* w = by_record[record_id];
    // The newest change the link holds: the ones before it are superseded.
    size_t held = list.size();
    for (size_t k = list.size(); k-- > 0;) {
      const store::OutboxItem& o = list[k];
      if (o.status == "pending" && o.attempts == 0) continue;  // never sent: nothing to confirm
      if (!o.remote_id.empty() && o.remote_id != w->ext) continue;
      json payload = json::parse(o.payload, nullptr, false);
      if (payload.is_object() && LinkHolds(kind, payload.value("record", json()), w->in->raw)) {
        held = k;
        break;
      }
    }
    if (held == list.size()) continue;
    for (size_t k = 0; k <= held; ++k) {
      store::OutboxItem o = list[k];
      const bool confirmed_one = k == held;
      o.status = confirmed_one ? "delivered" : "superseded";
      o.finished_at = now;
      if (confirmed_one && o.remote_id.empty()) o.remote_id = w->ext;
      SENDSYNC_RETURN_IF_ERROR(store::UpdateOutbox(conn, o));
      if (!confirmed_one) continue;
      audit::Entry e;
      e.actor = link.actor;
      e.action = "delivery.applied";
      e.kind = kind;
      e.record_id = o.record_id;
      e.pupil_id = kind == "pupil" ? o.record_id : w->pupil_id;
      e.detail = {{"outbox_id", o.id},
                  {"key", o.idem_key},
                  {"op", o.op},
                  {"remote_id", o.remote_id},
                  {"confirmed_by", "pull"}};
      if (!list[k].last_error.empty()) e.detail["was"] = list[k].status;
      audit_entries.push_back(std::move(e));
    }
  }
  return Status::OK();
}

}  // namespace

Status ApplyBatch(store::Conn& conn, const LinkCtx& link, const std::string& kind,
                  std::vector<Incoming>& items, const std::vector<Deletion>& deletions,
                  const std::vector<Reject>& rejects, const BatchOptions& opt, BatchResult& res) {
  CheckedBatch checked = CheckBatch(link, kind, items);
  return ApplyChecked(conn, link, kind, checked, deletions, rejects, opt, res);
}

Status ApplyChecked(store::Conn& conn, const LinkCtx& link, const std::string& kind,
                    CheckedBatch& checked, const std::vector<Deletion>& deletions,
                    const std::vector<Reject>& rejects, const BatchOptions& opt, BatchResult& res) {
  // Links run side by side, so pages of two links can commit at once. On PostgreSQL they take
  // turns here, as SQLite's one writer (BEGIN IMMEDIATE) makes them, so that two links never both
  // find a pupil missing and both create it. Held until the caller's transaction ends.
  if (conn.dialect() == store::Dialect::kPostgres && conn.in_transaction() && !opt.dry_run)
    SENDSYNC_RETURN_IF_ERROR(conn.Exec("SELECT pg_advisory_xact_lock(7424012)"));
  const KindSettings& ks = SettingsOf(link, kind);
  const int64_t link_id = link.link.id;
  std::vector<store::QuarantineItem> quarantine;
  std::vector<store::MatchItem> matches;
  std::vector<store::Conflict> conflicts;
  std::vector<audit::Entry> audit_entries;
  std::set<std::string> applied_ext;  // ext ids that went in (to close old quarantine items)

  // What changed, for a dry run's report: built only while there is room for it.
  auto reporting = [&] { return res.changes.size() < opt.max_changes; };
  // One line of that report: which record, and what happened to it (with one more field saying
  // why or which fields, when there is one).
  auto report = [&](const std::string& id, const std::string& upn, const char* action,
                    const char* key = nullptr, json value = nullptr) {
    json change = {{"kind", kind}, {"id", id}, {"upn", upn}, {"action", action}};
    if (key) change[key] = std::move(value);
    res.changes.push_back(std::move(change));
  };
  auto quarantine_one = [&](const std::string& raw, const std::string& ext, const std::string& upn,
                            json reasons, const std::string& where) {
    if (!opt.quarantine_failures) {
      std::string msg = where.empty() ? "" : where + ": ";
      for (size_t i = 0; i < reasons.size(); ++i)
        msg += (i ? "; " : "") + Str(reasons[i], "path") +
               (Str(reasons[i], "path").empty() ? "" : ": ") + Str(reasons[i], "message");
      res.errors.push_back(msg);
      return;
    }
    store::QuarantineItem q;
    q.link_id = link_id;
    q.kind = kind;
    q.external_id = ext;
    q.upn = upn;
    q.raw = raw;
    q.reasons = std::move(reasons);
    q.run_id = opt.run_id;
    quarantine.push_back(std::move(q));
    ++res.quarantined;
    if (reporting()) report(ext, upn, "quarantine", "reasons", quarantine.back().reasons);
  };

  // ---- rejects the adapter could not even turn into records ----
  for (const Reject& r : rejects)
    quarantine_one(r.raw, r.ext_id, "", json::array({Reason("ADAPTER_REJECT", r.where, r.reason)}),
                   r.where);

  // ---- records that failed the store-free checks ----
  for (FailedRecord& f : checked.failed)
    quarantine_one(f.raw, f.ext, f.upn, std::move(f.reasons), f.where);
  std::vector<Work> work;
  work.reserve(checked.ok.size());
  for (CheckedRecord& c : checked.ok) work.emplace_back(std::move(c));

  // ---- what this link already calls each record ----
  std::vector<std::string> exts;
  for (const Work& w : work) exts.push_back(w.ext);
  auto known = store::LinkRecordsByExternal(conn, link_id, kind, exts);
  if (!known.ok()) return known.status();
  std::map<std::string, store::LinkRecord> by_ext;
  for (auto& lr : *known) by_ext[lr.external_id] = lr;

  // ---- match ----
  std::vector<Work*> resolved;
  auto to_match_queue = [&](Work& w, const std::string& reason, const json& candidates) {
    store::MatchItem m;
    m.link_id = link_id;
    m.kind = kind;
    m.external_id = w.ext;
    m.upn = w.upn;
    m.raw = w.in->raw.dump();
    m.candidates = candidates;
    m.reason = reason;
    m.run_id = opt.run_id;
    matches.push_back(std::move(m));
    ++res.matches;
    if (reporting()) report(w.ext, w.upn, "match_queue", "reason", reason);
  };

  if (kind == "pupil") {
    std::vector<std::string> upns;
    for (const Work& w : work)
      if (!by_ext.count(w.ext)) {
        upns.push_back(w.upn);
        if (!w.former_upn.empty()) upns.push_back(w.former_upn);
      }
    auto cands = store::PupilsByUpn(conn, upns);
    if (!cands.ok()) return cands.status();
    std::vector<int64_t> cand_ids;
    for (const auto& c : *cands) cand_ids.push_back(c.id);
    auto cand_links = store::LinkRecordsByRecord(conn, link_id, cand_ids);
    if (!cand_links.ok()) return cand_links.status();
    std::map<int64_t, std::string> linked_as;
    std::map<int64_t, store::LinkRecord> link_record_of;
    for (const auto& lr : *cand_links)
      if (lr.kind == "pupil") {
        linked_as[lr.record_id] = lr.external_id;
        link_record_of[lr.record_id] = lr;
      }
    std::map<std::string, std::string> new_in_batch;  // upn -> ext
    for (Work& w : work) {
      if (auto it = by_ext.find(w.ext); it != by_ext.end()) {
        w.record_id = it->second.record_id;
        resolved.push_back(&w);
        continue;
      }
      if (opt.force_pupil_id) {
        w.record_id = opt.force_pupil_id;
        resolved.push_back(&w);
        continue;
      }
      std::map<int64_t, const store::RecordRow*> found;
      for (const auto& c : *cands)
        if (c.upn == w.upn || c.former_upn == w.upn ||
            (!w.former_upn.empty() && (c.upn == w.former_upn || c.former_upn == w.former_upn)))
          found[c.id] = &c;
      json cj = json::array();
      for (const auto& [id, c] : found)
        cj.push_back({{"record_id", id},
                      {"upn", c->upn},
                      {"dob", c->dob},
                      {"linked_as", linked_as.count(id) ? linked_as[id] : ""}});
      if (opt.force_new_pupil || found.empty()) {
        if (!opt.force_new_pupil && new_in_batch.count(w.upn)) {
          to_match_queue(
              w, "another record in the same pull has this UPN (duplicate UPN, census error 1520)",
              json::array({{{"external_id", new_in_batch[w.upn]}}}));
          continue;
        }
        new_in_batch[w.upn] = w.ext;
        resolved.push_back(&w);  // record_id 0: new pupil
        continue;
      }
      if (found.size() > 1) {
        to_match_queue(w, "the UPN matches " + std::to_string(found.size()) + " pupils in the hub",
                       cj);
        continue;
      }
      const store::RecordRow& c = *found.begin()->second;
      if (ReplacesTemporaryUpn(w, c)) {
        w.record_id = c.id;
        w.replaced_temporary_upn = c.upn;
        if (auto it = link_record_of.find(c.id); it != link_record_of.end())
          w.old_link_record = it->second;
        resolved.push_back(&w);
        continue;
      }
      if (linked_as.count(c.id) && linked_as[c.id] != w.ext) {
        to_match_queue(
            w,
            "this link already has another pupil with this UPN (duplicate UPN, census error 1520)",
            cj);
        continue;
      }
      if (c.dob != w.dob) {
        to_match_queue(w, "a pupil with this UPN has a different date of birth", cj);
        continue;
      }
      w.record_id = c.id;
      resolved.push_back(&w);
    }
  } else {
    // Whose record is it? The link's own pupil id first, then a verified UPN.
    std::vector<std::string> pupil_exts;
    for (const Work& w : work)
      if (!w.pupil_ext.empty()) pupil_exts.push_back(w.pupil_ext);
    auto plinks = store::LinkRecordsByExternal(conn, link_id, "pupil", pupil_exts);
    if (!plinks.ok()) return plinks.status();
    std::map<std::string, int64_t> pupil_by_ext;
    for (const auto& lr : *plinks) pupil_by_ext[lr.external_id] = lr.record_id;
    std::vector<std::string> upns;
    for (const Work& w : work)
      if (!pupil_by_ext.count(w.pupil_ext) && !w.pupil_upn.empty()) upns.push_back(w.pupil_upn);
    auto byupn = store::PupilsByUpn(conn, upns);
    if (!byupn.ok()) return byupn.status();
    std::map<std::string, std::vector<int64_t>> pupils_by_upn;
    for (const auto& p : *byupn) {
      pupils_by_upn[p.upn].push_back(p.id);
      if (!p.former_upn.empty()) pupils_by_upn[p.former_upn].push_back(p.id);
    }
    for (Work& w : work) {
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
        quarantine_one(w.in->raw.dump(), w.ext, w.pupil_upn,
                       json::array({Reason("PUPIL_UNKNOWN", "pupil", why)}), w.ext);
        continue;
      }
      if (auto it = by_ext.find(w.ext); it != by_ext.end()) w.record_id = it->second.record_id;
      resolved.push_back(&w);
    }
    // One SEN record per pupil in the hub, whichever systems report it.
    if (kind == "sen") {
      std::vector<int64_t> pids;
      for (Work* w : resolved)
        if (!w->record_id) pids.push_back(w->pupil_id);
      auto sens = store::RecordsByPupils(conn, "sen", pids);
      if (!sens.ok()) return sens.status();
      std::map<int64_t, int64_t> sen_of;
      for (const auto& r : *sens) sen_of[r.pupil_id] = r.id;
      for (Work* w : resolved)
        if (!w->record_id && sen_of.count(w->pupil_id)) w->record_id = sen_of[w->pupil_id];
    } else {
      SENDSYNC_RETURN_IF_ERROR(ClaimInFlight(conn, link, kind, resolved, by_ext, audit_entries));
    }
  }
  SENDSYNC_RETURN_IF_ERROR(ConfirmByPull(conn, link, kind, resolved, audit_entries));

  // ---- references in the link's id space -> hub ids ----
  {
    std::vector<json*> bodies;
    for (Work* w : resolved) bodies.push_back(&w->fields);
    SENDSYNC_RETURN_IF_ERROR(hub::RefsIn(conn, link_id, kind, bodies));
  }

  // ---- current hub versions and fields a person is deciding ----
  std::vector<int64_t> ids;
  for (Work* w : resolved)
    if (w->record_id) ids.push_back(w->record_id);
  auto rows = store::LoadRecords(conn, ids);
  if (!rows.ok()) return rows.status();
  std::map<int64_t, store::RecordRow> hub_rows;
  for (auto& r : *rows) hub_rows[r.id] = std::move(r);
  auto open = store::OpenConflictsFor(conn, ids);
  if (!open.ok()) return open.status();
  std::map<int64_t, std::set<std::string>> held;
  for (const auto& c : *open) held[c.record_id].insert(c.field);

  int64_t new_count = 0;
  for (Work* w : resolved)
    if (!w->record_id) ++new_count;
  int64_t next_id = 0;
  if (new_count) {
    auto first = store::AllocateIds(conn, "records", new_count);
    if (!first.ok()) return first.status();
    next_id = *first;
  }

  // ---- merge ----
  std::vector<store::RecordRow> inserts, updates;
  std::vector<store::LinkRecord> link_rows, base_rows;
  // This link's ids that a permanent UPN renamed: the pupil's old id, and its SEN record's
  // "upn:" id, move to the new ones so the link keeps one id per record.
  struct Renamed {
    std::string old_ext, new_ext, old_upn, new_upn;
  };
  std::vector<Renamed> renamed;
  std::vector<int64_t> fanout;
  const int64_t now = store::NowMs();
  for (Work* w : resolved) {
    const bool is_new = w->record_id == 0;
    if (is_new) w->record_id = next_id++;
    const store::RecordRow* hub_row = is_new ? nullptr : &hub_rows[w->record_id];
    if (hub_row && hub_row->id == 0) hub_row = nullptr;  // mapped, but the row is gone
    json ours_json, base_json;
    const json* ours = nullptr;
    const json* base = nullptr;
    if (hub_row && !hub_row->deleted) {
      ours_json = json::parse(hub_row->body, nullptr, false);
      if (ours_json.is_discarded())
        return Status::Corruption("stored record " + hub::HubId(hub_row->id) + " is not JSON");
      ours = &ours_json;
    }
    auto lr = by_ext.find(w->ext);
    if (lr != by_ext.end() && lr->second.base) {
      // Usually the link agreed with what the hub holds: the same text, already parsed once.
      const bool same_text = ours && *lr->second.base == hub_row->body;
      base_json = same_text ? ours_json : json::parse(*lr->second.base, nullptr, false);
      if (base_json.is_object()) base = &base_json;
    }
    if (!w->replaced_temporary_upn.empty()) {
      // The link agreed on the pupil under its old id; and whoever brought the temporary UPN, the
      // permanent one replaces it: merged as a change of the link's against the hub's UPN.
      if (!base && w->old_link_record && w->old_link_record->base) {
        base_json = json::parse(*w->old_link_record->base, nullptr, false);
        if (base_json.is_object()) base = &base_json;
      }
      if (!base) base_json = json::object();
      if (ours) {
        base_json["upn"] = (*ours).value("upn", json());
        base_json["former_upn"] = (*ours).value("former_upn", json());
      }
      base = &base_json;
      audit::Entry e;
      e.actor = link.actor;
      e.action = "pupil.temporary_upn_replaced";
      e.kind = kind;
      e.record_id = w->record_id;
      e.pupil_id = w->record_id;
      e.detail = {{"from", w->replaced_temporary_upn}, {"to", w->upn}, {"source_id", w->ext}};
      audit_entries.push_back(std::move(e));
      if (reporting())
        report(w->ext, w->upn, "temporary_upn_replaced", "from", w->replaced_temporary_upn);
      if (w->old_link_record && w->old_link_record->external_id != w->ext)
        renamed.push_back(
            {w->old_link_record->external_id, w->ext, w->replaced_temporary_upn, w->upn});
    }
    json theirs = std::move(w->fields);  // not needed after the merge
    json theirs_history;
    // A pupil's school is the link's school when the system does not say (a school's own MIS or
    // export rarely names itself), so the school's lists and due dates include its pupils.
    if (kind == "pupil" && !link.link.school_urn.empty() &&
        (!theirs.contains("school_urn") || theirs["school_urn"].is_null()))
      theirs["school_urn"] = link.link.school_urn;
    if (kind == "sen") {  // history is kept as a union, not merged field by field
      if (theirs.contains("history")) theirs_history = theirs["history"];
      theirs.erase("history");
      if (base) base_json.erase("history");
    }
    json ours_no_history;  // a SEN record's history is not merged field by field
    const json* ours_fields = ours;
    if (kind == "sen" && ours) {
      ours_no_history = *ours;
      ours_no_history.erase("history");
      ours_fields = &ours_no_history;
    }
    // A record new to the hub and to this link (and no field of it held by a person) is what the
    // link sent less its explicit nulls, and the link agrees with all of it: what Merge would
    // give, without its copies. SEN records always merge, for their history.
    const bool fresh = !ours && !base && kind != "sen" && !held.count(w->record_id);
    MergeOutcome m;
    if (fresh) {
      for (auto it = theirs.begin(); it != theirs.end();)
        it = it->is_null() ? theirs.erase(it) : std::next(it);
      if (reporting() || hub_row)  // a revived record's audit entry names its fields
        for (auto it = theirs.begin(); it != theirs.end(); ++it) m.changed.push_back(it.key());
      m.merged = std::move(theirs);
    } else {
      m = Merge(base, ours_fields, theirs, ks,
                held.count(w->record_id) ? held[w->record_id] : std::set<std::string>());
    }
    if (kind == "sen") {
      json src = json::object();
      if (!theirs_history.is_null()) src["history"] = theirs_history;
      m.merged["history"] = NormalizeSenHistory(m.merged, ours, src);
      // What the link agrees with is its own report, normalised the same way as the hub's (ends
      // filled in, the current episode added): when that is what the hub now holds, the link needs
      // nothing back; it is sent the history only when the hub knows more.
      m.agreed_base["history"] = NormalizeSenHistory(theirs, nullptr, src);
      if (ours && (*ours).value("history", json::array()) != m.merged["history"] &&
          std::find(m.changed.begin(), m.changed.end(), "history") == m.changed.end())
        m.changed.push_back("history");
    }
    const std::string upn = kind == "pupil" ? Str(m.merged, "upn") : w->pupil_upn;
    for (const FieldConflict& c : m.conflicts) {
      store::Conflict row;
      row.link_id = link_id;
      row.kind = kind;
      row.record_id = w->record_id;
      row.external_id = w->ext;
      row.field = c.field;
      if (c.base) row.base = c.base->dump();
      if (c.ours) row.ours = c.ours->dump();
      if (c.theirs) row.theirs = c.theirs->dump();
      row.run_id = opt.run_id;
      conflicts.push_back(std::move(row));
      ++res.conflicts;
      audit::Entry e;
      e.actor = link.actor;
      e.action = "conflict.open";
      e.kind = kind;
      e.record_id = w->record_id;
      e.pupil_id = kind == "pupil" ? w->record_id : w->pupil_id;
      e.detail = {{"field", c.field}};
      audit_entries.push_back(std::move(e));
      if (reporting()) report(w->ext, upn, "conflict", "field", c.field);
    }
    // A fresh record's body and hash were made once by the check stage (CheckedRecord::fresh_body).
    const bool checked_body = fresh && !w->fresh_body.empty();
    std::string body = checked_body ? std::move(w->fresh_body) : m.merged.dump();
    // = HashOf(m.merged), without a second dump
    const std::string hash = checked_body ? w->fresh_hash : audit::Sha256Hex(body);
    const bool revived = hub_row && hub_row->deleted;
    const bool changed = is_new || !hub_row || revived || hash != hub_row->hash;
    store::RecordRow row;
    row.id = w->record_id;
    row.kind = kind;
    row.pupil_id = kind == "pupil" ? 0 : w->pupil_id;
    if (kind == "pupil") {
      row.upn = Str(m.merged, "upn");
      row.former_upn = Str(m.merged, "former_upn");
      row.dob = Str(m.merged, "dob");
      row.school_urn = Str(m.merged, "school_urn");
    }
    row.body = body;
    row.hash = hash;
    row.updated_at = now;
    if (changed) {
      audit::Entry e;
      e.actor = link.actor;
      e.kind = kind;
      e.record_id = w->record_id;
      e.pupil_id = kind == "pupil" ? w->record_id : w->pupil_id;
      if (is_new || !hub_row) {
        row.version = 1;
        row.created_at = now;
        inserts.push_back(std::move(row));
        ++res.created;
        e.action = "record.create";
        e.detail = {{"hash", hash}, {"version", 1}, {"source_id", w->ext}};
        if (reporting()) report(w->ext, upn, "create", "fields", m.changed);
      } else {
        row.version = hub_row->version + 1;
        row.created_at = hub_row->created_at;
        ++res.updated;
        e.action = revived ? "record.restore" : "record.update";
        json fields = json::object();
        for (const std::string& f : m.changed) {
          json old_v = ours && ours->contains(f) ? (*ours)[f] : json();
          json new_v = m.merged.contains(f) ? m.merged[f] : json();
          fields[f] = {{"old", old_v.is_null() ? "" : audit::Sha256Hex(old_v.dump())},
                       {"new", new_v.is_null() ? "" : audit::Sha256Hex(new_v.dump())}};
        }
        e.detail = {{"old_hash", hub_row->hash},
                    {"hash", hash},
                    {"version", row.version},
                    {"fields", fields},
                    {"source_id", w->ext}};
        updates.push_back(std::move(row));
        if (reporting()) report(w->ext, upn, revived ? "restore" : "update", "fields", m.changed);
      }
      audit_entries.push_back(std::move(e));
    } else if (m.conflicts.empty()) {
      ++res.unchanged;
    }
    // The link's base and the hub's view differ when the hub won a field: the link needs it.
    const bool base_is_merged = fresh || m.agreed_base == m.merged;
    if (changed || !base_is_merged) fanout.push_back(w->record_id);
    store::LinkRecord l;
    l.link_id = link_id;
    l.kind = kind;
    l.external_id = w->ext;
    l.record_id = w->record_id;
    if (base_is_merged) {  // the usual case: the link agrees with the hub, so reuse the dump
      l.base = std::move(body);
      l.base_hash = hash;
    } else {
      l.base = m.agreed_base.dump();
      l.base_hash = HashOf(m.agreed_base);
    }
    // A link record that already names this hub record only needs its new base.
    const bool known_here = lr != by_ext.end() && lr->second.record_id == w->record_id;
    (known_here ? base_rows : link_rows).push_back(std::move(l));
    applied_ext.insert(w->ext);
  }

  // ---- deletions ----
  std::vector<std::string> del_exts;
  for (const Deletion& d : deletions) del_exts.push_back(d.ext_id);
  auto del_links = store::LinkRecordsByExternal(conn, link_id, kind, del_exts);
  if (!del_links.ok()) return del_links.status();
  std::vector<int64_t> del_ids;
  for (const auto& lr : *del_links) del_ids.push_back(lr.record_id);
  auto del_rows = store::LoadRecords(conn, del_ids);
  if (!del_rows.ok()) return del_rows.status();
  std::map<int64_t, store::RecordRow> del_hub;
  for (auto& r : *del_rows) del_hub[r.id] = std::move(r);
  for (const auto& lr : *del_links) {
    auto it = del_hub.find(lr.record_id);
    if (it == del_hub.end() || it->second.deleted) continue;
    store::RecordRow& r = it->second;
    const int64_t pupil = r.kind == "pupil" ? r.id : r.pupil_id;
    if (r.hash == lr.base_hash) {
      r.version += 1;
      r.deleted = true;
      r.updated_at = now;
      updates.push_back(r);
      ++res.deleted;
      fanout.push_back(r.id);
      audit::Entry e;
      e.actor = link.actor;
      e.action = "record.delete";
      e.kind = kind;
      e.record_id = r.id;
      e.pupil_id = pupil;
      e.detail = {{"old_hash", r.hash}, {"version", r.version}, {"source_id", lr.external_id}};
      audit_entries.push_back(std::move(e));
      if (reporting()) report(lr.external_id, r.upn, "delete");
    } else {
      // The hub holds changes this link never agreed to: deleting would lose them.
      store::Conflict c;
      c.link_id = link_id;
      c.kind = kind;
      c.record_id = r.id;
      c.external_id = lr.external_id;
      c.field = "(deleted)";
      c.base = lr.base;
      c.ours = r.body;
      c.run_id = opt.run_id;
      conflicts.push_back(std::move(c));
      ++res.conflicts;
      audit::Entry e;
      e.actor = link.actor;
      e.action = "conflict.open";
      e.kind = kind;
      e.record_id = r.id;
      e.pupil_id = pupil;
      e.detail = {{"field", "(deleted)"}};
      audit_entries.push_back(std::move(e));
      if (reporting()) report(lr.external_id, r.upn, "conflict", "field", "(deleted)");
    }
  }

  // ---- write it all ----
  // The audit entries so far are hashed on a thread of their own while the records are written
  // (hashing touches no store); the entries the writes themselves produce follow them.
  auto appender = audit::Appender::Begin(conn);
  if (!appender.ok()) return appender.status();
  std::vector<audit::Entry> later;
  Status chained;
  std::jthread hasher([&] { chained = appender->Chain(audit_entries); });
  FaultPoint("commit.before_records");
  SENDSYNC_RETURN_IF_ERROR(store::InsertRecords(conn, inserts));
  SENDSYNC_RETURN_IF_ERROR(store::UpdateRecords(conn, updates, link.actor));
  for (const Renamed& r : renamed) {
    SENDSYNC_RETURN_IF_ERROR(store::DeleteLinkRecord(conn, link_id, kind, r.old_ext));
    auto sen = store::LinkRecordsByExternal(conn, link_id, "sen", {"upn:" + r.old_upn});
    if (!sen.ok()) return sen.status();
    for (store::LinkRecord l : *sen) {
      SENDSYNC_RETURN_IF_ERROR(store::DeleteLinkRecord(conn, link_id, "sen", l.external_id));
      l.external_id = "upn:" + r.new_upn;
      SENDSYNC_RETURN_IF_ERROR(store::UpsertLinkRecords(conn, {l}));
    }
  }
  SENDSYNC_RETURN_IF_ERROR(store::UpsertLinkRecords(conn, link_rows));
  SENDSYNC_RETURN_IF_ERROR(store::UpdateLinkBases(conn, base_rows));
  FaultPoint("commit.after_records");
  SENDSYNC_RETURN_IF_ERROR(store::InsertConflicts(conn, conflicts));
  SENDSYNC_RETURN_IF_ERROR(store::InsertMatches(conn, matches));
  SENDSYNC_RETURN_IF_ERROR(store::InsertQuarantine(conn, quarantine));
  for (const auto& m : matches) {
    audit::Entry e;
    e.actor = link.actor;
    e.action = "match.queued";
    e.kind = kind;
    e.detail = {{"match_id", m.id}, {"source_id", m.external_id}};
    later.push_back(std::move(e));
  }
  for (const auto& q : quarantine) {
    audit::Entry e;
    e.actor = link.actor;
    // Refused again, identically, while its item is open: counted on that item, not added.
    e.action = q.created_at == q.last_seen_at ? "quarantine.add" : "quarantine.repeat";
    e.kind = kind;
    json codes = json::array();
    for (const json& r : q.reasons) codes.push_back(Str(r, "code"));
    e.detail = {{"quarantine_id", q.id},
                {"codes", codes},
                {"raw_hash", audit::Sha256Hex(q.raw)},
                {"times_seen", q.times_seen}};
    later.push_back(std::move(e));
  }
  // A good version supersedes what was quarantined for the same record.
  if (!applied_ext.empty()) {
    auto old = store::OpenQuarantineFor(
        conn, link_id, kind, std::vector<std::string>(applied_ext.begin(), applied_ext.end()));
    if (!old.ok()) return old.status();
    for (const auto& q : *old) {
      if (q.id == opt.quarantine_id) continue;
      SENDSYNC_RETURN_IF_ERROR(store::ResolveQuarantine(conn, q.id, "superseded", link.actor,
                                                        "a valid version of the record arrived"));
      audit::Entry e;
      e.actor = link.actor;
      e.action = "quarantine.superseded";
      e.kind = kind;
      e.detail = {{"quarantine_id", q.id}};
      later.push_back(std::move(e));
    }
  }
  FaultPoint("commit.before_outbox");
  SENDSYNC_RETURN_IF_ERROR(FanOut(conn, kind, fanout));
  FaultPoint("commit.after_outbox");
  hasher.join();
  SENDSYNC_RETURN_IF_ERROR(chained);
  SENDSYNC_RETURN_IF_ERROR(appender->Chain(later));
  SENDSYNC_RETURN_IF_ERROR(appender->Finish(conn));
  if (opt.set_cursor) {
    FaultPoint("commit.before_cursor");
    SENDSYNC_RETURN_IF_ERROR(store::SetCursor(conn, link_id, kind, opt.cursor));
  }
  return Status::OK();
}

}  // namespace sendsync::sync::detail
