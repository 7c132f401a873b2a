// The merge and deletion stages of a batch plan: one record's new hub row, conflicts, audit entry
// and link base; one deletion's row or conflict. Pure: they read their input and fill the plan.
#include <algorithm>
#include <map>

#include "core/hub/hub.h"
#include "core/sync/plan.h"
#include "sendsync/sdk/date.h"

namespace sendsync::sync::detail {

using nlohmann::json;

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

namespace {

// The hub's fields (`ours`) and what the link last agreed (`base`) for one record.
struct Sides {
  json ours_json, base_json;
  const json* ours = nullptr;
  const json* base = nullptr;
};

Status ReadSides(const MergeInput& in, Sides& s) {
  if (in.hub_row && !in.hub_row->deleted) {
    s.ours_json = json::parse(in.hub_row->body, nullptr, false);
    if (s.ours_json.is_discarded())
      return Status::Corruption("stored record " + hub::HubId(in.hub_row->id) + " is not JSON");
    s.ours = &s.ours_json;
  }
  if (in.link_record && in.link_record->base) {
    // Usually the link agreed with what the hub holds: the same text, already parsed once.
    const bool same_text = s.ours && *in.link_record->base == in.hub_row->body;
    s.base_json = same_text ? s.ours_json : json::parse(*in.link_record->base, nullptr, false);
    if (s.base_json.is_object()) s.base = &s.base_json;
  }
  return Status::OK();
}

// The link agreed on the pupil under its old id; and whoever brought the temporary UPN, the
// permanent one replaces it: merged as a change of the link's against the hub's UPN.
void ReplaceTemporaryUpn(const WorkRecord& w, Sides& s, BatchPlan& plan) {
  if (!s.base && w.old_link_record && w.old_link_record->base) {
    s.base_json = json::parse(*w.old_link_record->base, nullptr, false);
    if (s.base_json.is_object()) s.base = &s.base_json;
  }
  if (!s.base) s.base_json = json::object();
  if (s.ours) {
    s.base_json["upn"] = s.ours->value("upn", json());
    s.base_json["former_upn"] = s.ours->value("former_upn", json());
  }
  s.base = &s.base_json;
  plan.Audit("pupil.temporary_upn_replaced", w.record_id, w.record_id,
             {{"from", w.replaced_temporary_upn}, {"to", w.upn}, {"source_id", w.ext}});
  if (plan.Reporting())
    plan.Report(w.ext, w.upn, "temporary_upn_replaced", "from", w.replaced_temporary_upn);
  if (w.old_link_record && w.old_link_record->external_id != w.ext)
    plan.renamed.push_back(
        {w.old_link_record->external_id, w.ext, w.replaced_temporary_upn, w.upn});
}

// Merges the link's fields into the hub's. A record new to the hub and to this link (and no field
// of it held by a person) is what the link sent less its explicit nulls, and the link agrees with
// all of it: what Merge would give, without its copies. A history kept as a union always merges.
MergeOutcome MergeFields(const MergeInput& in, Sides& s, BatchPlan& plan, bool& fresh) {
  const KindPolicy& policy = *plan.policy;
  json theirs = std::move(in.work->fields);  // not needed after the merge
  if (policy.school_from_link && !in.link_school_urn.empty() &&
      (!theirs.contains("school_urn") || theirs["school_urn"].is_null()))
    theirs["school_urn"] = in.link_school_urn;
  json theirs_history, ours_no_history;
  const json* ours_fields = s.ours;
  if (policy.history_union) {  // the history is kept as a union, not merged field by field
    if (theirs.contains("history")) theirs_history = theirs["history"];
    theirs.erase("history");
    if (s.base) s.base_json.erase("history");
    if (s.ours) {
      ours_no_history = *s.ours;
      ours_no_history.erase("history");
      ours_fields = &ours_no_history;
    }
  }
  fresh = !s.ours && !s.base && !policy.history_union && !in.held;
  MergeOutcome m;
  if (fresh) {
    for (auto it = theirs.begin(); it != theirs.end();)
      it = it->is_null() ? theirs.erase(it) : std::next(it);
    if (plan.Reporting() || in.hub_row)  // a revived record's audit entry names its fields
      for (auto it = theirs.begin(); it != theirs.end(); ++it) m.changed.push_back(it.key());
    m.merged = std::move(theirs);
    return m;
  }
  static const std::set<std::string> kNoneHeld;
  m = Merge(s.base, ours_fields, theirs, *in.settings, in.held ? *in.held : kNoneHeld);
  if (policy.history_union) {
    json src = json::object();
    if (!theirs_history.is_null()) src["history"] = theirs_history;
    m.merged["history"] = NormalizeSenHistory(m.merged, s.ours, src);
    // What the link agrees with is its own report, normalised the same way as the hub's (ends
    // filled in, the current episode added): when that is what the hub now holds, the link needs
    // nothing back; it is sent the history only when the hub knows more.
    m.agreed_base["history"] = NormalizeSenHistory(theirs, nullptr, src);
    if (s.ours && s.ours->value("history", json::array()) != m.merged["history"] &&
        std::find(m.changed.begin(), m.changed.end(), "history") == m.changed.end())
      m.changed.push_back("history");
  }
  return m;
}

void PlanConflicts(const MergeInput& in, const MergeOutcome& m, const std::string& upn,
                   int64_t run_id, BatchPlan& plan) {
  const WorkRecord& w = *in.work;
  for (const FieldConflict& c : m.conflicts) {
    store::Conflict row;
    row.link_id = plan.link_id;
    row.kind = plan.kind;
    row.record_id = w.record_id;
    row.external_id = w.ext;
    row.field = c.field;
    if (c.base) row.base = c.base->dump();
    if (c.ours) row.ours = c.ours->dump();
    if (c.theirs) row.theirs = c.theirs->dump();
    row.run_id = run_id;
    plan.conflicts.push_back(std::move(row));
    ++plan.result.conflicts;
    plan.Audit("conflict.open", w.record_id, plan.policy->is_pupil ? w.record_id : w.pupil_id,
               {{"field", c.field}});
    if (plan.Reporting()) plan.Report(w.ext, upn, "conflict", "field", c.field);
  }
}

// The record's new row, when the merge changed it (an insert, an update or a restore), with its
// audit entry. Returns whether it changed.
bool PlanRow(const MergeInput& in, const MergeOutcome& m, const json* ours, const std::string& upn,
             const std::string& body, const std::string& hash, BatchPlan& plan) {
  const WorkRecord& w = *in.work;
  const store::RecordRow* hub_row = in.hub_row;
  const bool revived = hub_row && hub_row->deleted;
  const bool changed = !hub_row || revived || hash != hub_row->hash;
  if (!changed) {
    if (m.conflicts.empty()) ++plan.result.unchanged;
    return false;
  }
  const bool is_pupil = plan.policy->is_pupil;
  store::RecordRow row;
  row.id = w.record_id;
  row.kind = plan.kind;
  row.pupil_id = is_pupil ? 0 : w.pupil_id;
  if (is_pupil) {
    row.upn = Str(m.merged, "upn");
    row.former_upn = Str(m.merged, "former_upn");
    row.dob = Str(m.merged, "dob");
    row.school_urn = Str(m.merged, "school_urn");
  }
  row.body = body;
  row.hash = hash;
  row.updated_at = in.now;
  const int64_t pupil_id = is_pupil ? w.record_id : w.pupil_id;
  if (!hub_row) {
    row.version = 1;
    row.created_at = in.now;
    plan.inserts.push_back(std::move(row));
    ++plan.result.created;
    json detail = json::object();  // key by key: a braced list of pairs costs three times this
    detail["hash"] = hash;
    detail["version"] = 1;
    detail["source_id"] = w.ext;
    plan.Audit("record.create", w.record_id, pupil_id, std::move(detail));
    if (plan.Reporting()) plan.Report(w.ext, upn, "create", "fields", m.changed);
    return true;
  }
  row.version = hub_row->version + 1;
  row.created_at = hub_row->created_at;
  ++plan.result.updated;
  json fields = json::object();
  for (const std::string& f : m.changed) {
    json old_v = ours && ours->contains(f) ? (*ours)[f] : json();
    json new_v = m.merged.contains(f) ? m.merged[f] : json();
    json& hashes = fields[f] = json::object();
    hashes["old"] = old_v.is_null() ? "" : audit::Sha256Hex(old_v.dump());
    hashes["new"] = new_v.is_null() ? "" : audit::Sha256Hex(new_v.dump());
  }
  json detail = json::object();
  detail["old_hash"] = hub_row->hash;
  detail["hash"] = hash;
  detail["version"] = row.version;
  detail["fields"] = std::move(fields);
  detail["source_id"] = w.ext;
  plan.Audit(revived ? "record.restore" : "record.update", w.record_id, pupil_id,
             std::move(detail));
  plan.updates.push_back(std::move(row));
  if (plan.Reporting())
    plan.Report(w.ext, upn, revived ? "restore" : "update", "fields", m.changed);
  return true;
}

}  // namespace

Status MergeOne(const MergeInput& in, BatchPlan& plan) {
  WorkRecord& w = *in.work;
  Sides s;
  SENDSYNC_RETURN_IF_ERROR(ReadSides(in, s));
  if (!w.replaced_temporary_upn.empty()) ReplaceTemporaryUpn(w, s, plan);
  bool fresh = false;
  MergeOutcome m = MergeFields(in, s, plan, fresh);
  const std::string upn = plan.policy->is_pupil ? Str(m.merged, "upn") : w.pupil_upn;
  PlanConflicts(in, m, upn, plan.run_id, plan);
  // A fresh record's body and hash were made once by the check stage (CheckedRecord::fresh_body).
  const bool checked_body = fresh && !w.fresh_body.empty();
  std::string body = checked_body ? std::move(w.fresh_body) : m.merged.dump();
  // = HashOf(m.merged), without a second dump
  const std::string hash = checked_body ? w.fresh_hash : audit::Sha256Hex(body);
  const bool changed = PlanRow(in, m, s.ours, upn, body, hash, plan);
  // The link's base and the hub's view differ when the hub won a field: the link needs it.
  const bool base_is_merged = fresh || m.agreed_base == m.merged;
  if (changed || !base_is_merged) plan.fanout.push_back(w.record_id);
  store::LinkRecord l;
  l.link_id = plan.link_id;
  l.kind = plan.kind;
  l.external_id = w.ext;
  l.record_id = w.record_id;
  if (base_is_merged) {  // the usual case: the link agrees with the hub, so reuse the dump
    l.base = std::move(body);
    l.base_hash = hash;
  } else {
    l.base = m.agreed_base.dump();
    l.base_hash = HashOf(m.agreed_base);
  }
  // A link record that already names this hub record only needs its new base.
  const bool known_here = in.link_record && in.link_record->record_id == w.record_id;
  (known_here ? plan.base_rows : plan.link_rows).push_back(std::move(l));
  plan.applied_ext.insert(w.ext);
  return Status::OK();
}

void PlanDeletion(const store::LinkRecord& lr, store::RecordRow r, int64_t now, int64_t run_id,
                  BatchPlan& plan) {
  const int64_t pupil = plan.policy->is_pupil ? r.id : r.pupil_id;
  if (r.hash == lr.base_hash) {
    r.version += 1;
    r.deleted = true;
    r.updated_at = now;
    ++plan.result.deleted;
    plan.fanout.push_back(r.id);
    plan.Audit("record.delete", r.id, pupil,
               {{"old_hash", r.hash}, {"version", r.version}, {"source_id", lr.external_id}});
    if (plan.Reporting()) plan.Report(lr.external_id, r.upn, "delete");
    plan.updates.push_back(std::move(r));
    return;
  }
  // The hub holds changes this link never agreed to: deleting would lose them.
  store::Conflict c;
  c.link_id = plan.link_id;
  c.kind = plan.kind;
  c.record_id = r.id;
  c.external_id = lr.external_id;
  c.field = "(deleted)";
  c.base = lr.base;
  c.ours = r.body;
  c.run_id = run_id;
  plan.conflicts.push_back(std::move(c));
  ++plan.result.conflicts;
  plan.Audit("conflict.open", r.id, pupil, {{"field", "(deleted)"}});
  if (plan.Reporting()) plan.Report(lr.external_id, r.upn, "conflict", "field", "(deleted)");
}

Status PlanDeletions(store::Conn& conn, BatchPlan& plan, const std::vector<Deletion>& deletions,
                     const BatchOptions& opt) {
  std::vector<std::string> del_exts;
  for (const Deletion& d : deletions) del_exts.push_back(d.ext_id);
  auto del_links = store::LinkRecordsByExternal(conn, plan.link_id, plan.kind, del_exts);
  if (!del_links.ok()) return del_links.status();
  std::vector<int64_t> del_ids;
  for (const auto& lr : *del_links) del_ids.push_back(lr.record_id);
  auto del_rows = store::LoadRecords(conn, del_ids);
  if (!del_rows.ok()) return del_rows.status();
  std::map<int64_t, store::RecordRow> del_hub;
  for (auto& r : *del_rows) del_hub[r.id] = std::move(r);
  const int64_t now = store::NowMs();
  for (const auto& lr : *del_links) {
    auto it = del_hub.find(lr.record_id);
    if (it == del_hub.end() || it->second.deleted) continue;
    PlanDeletion(lr, it->second, now, opt.run_id, plan);
  }
  return Status::OK();
}

}  // namespace sendsync::sync::detail
