// Plan, then commit (plan.h): PlanBatch runs the stages that fill a batch plan for one batch of
// one kind from one link.
#include <map>
#include <set>

#include "core/hub/hub.h"
#include "core/sync/plan.h"

namespace sendsync::sync::detail {

using nlohmann::json;

std::string HashOf(const json& fields) {
  return audit::Sha256Hex(fields.dump());
}

void BatchPlan::Report(const std::string& id, const std::string& upn, const char* action,
                       const char* key, json value) {
  json change = {{"kind", kind}, {"id", id}, {"upn", upn}, {"action", action}};
  if (key) change[key] = std::move(value);
  result.changes.push_back(std::move(change));
}

audit::Entry& BatchPlan::Audit(const std::string& action, int64_t record_id, int64_t pupil_id,
                               json detail) {
  audit::Entry e;
  e.actor = actor;
  e.action = action;
  e.kind = kind;
  e.record_id = record_id;
  e.pupil_id = pupil_id;
  e.detail = std::move(detail);
  audit.push_back(std::move(e));
  return audit.back();
}

namespace {

// The current hub rows of the resolved records, and the fields people are deciding (open
// conflicts) of each.
struct HubState {
  std::map<int64_t, store::RecordRow> rows;
  std::map<int64_t, std::set<std::string>> held;
};

Result<HubState> LoadHubState(store::Conn& conn, const std::vector<WorkRecord*>& resolved) {
  HubState hs;
  std::vector<int64_t> ids;
  for (WorkRecord* w : resolved)
    if (w->record_id) ids.push_back(w->record_id);
  auto rows = store::LoadRecords(conn, ids);
  if (!rows.ok()) return rows.status();
  for (auto& r : *rows) hs.rows[r.id] = std::move(r);
  auto open = store::OpenConflictsFor(conn, ids);
  if (!open.ok()) return open.status();
  for (const auto& c : *open) hs.held[c.record_id].insert(c.field);
  return hs;
}

// Gives the records new to the hub their ids.
Status AllocateNew(store::Conn& conn, std::vector<WorkRecord*>& fresh) {
  if (fresh.empty()) return Status::OK();
  auto first = store::AllocateIds(conn, "records", static_cast<int64_t>(fresh.size()));
  if (!first.ok()) return first.status();
  int64_t next_id = *first;
  for (WorkRecord* w : fresh) w->record_id = next_id++;
  return Status::OK();
}

// Match, references, merge: the records the link sent.
Status PlanRecords(store::Conn& conn, const LinkCtx& link, const BatchOptions& opt,
                   std::vector<WorkRecord>& work, BatchPlan& plan) {
  // What this link already calls each record.
  std::vector<std::string> exts;
  for (const WorkRecord& w : work) exts.push_back(w.ext);
  auto known = store::LinkRecordsByExternal(conn, plan.link_id, plan.kind, exts);
  if (!known.ok()) return known.status();
  std::map<std::string, store::LinkRecord> by_ext;
  for (auto& lr : *known) by_ext[lr.external_id] = std::move(lr);  // bases are long

  std::vector<WorkRecord*> resolved;
  if (plan.policy->is_pupil)
    SENDSYNC_RETURN_IF_ERROR(MatchPupils(conn, plan, opt, work, by_ext, resolved));
  else
    SENDSYNC_RETURN_IF_ERROR(MatchOwned(conn, plan, opt, work, by_ext, resolved));
  SENDSYNC_RETURN_IF_ERROR(ConfirmByPull(conn, plan, resolved));

  // References in the link's id space -> hub ids.
  std::vector<json*> bodies;
  for (WorkRecord* w : resolved) bodies.push_back(&w->fields);
  SENDSYNC_RETURN_IF_ERROR(hub::RefsIn(conn, plan.link_id, plan.kind, bodies));

  auto hs = LoadHubState(conn, resolved);
  if (!hs.ok()) return hs.status();
  std::vector<WorkRecord*> fresh;
  for (WorkRecord* w : resolved)
    if (!w->record_id) fresh.push_back(w);
  SENDSYNC_RETURN_IF_ERROR(AllocateNew(conn, fresh));
  const std::set<WorkRecord*> is_new(fresh.begin(), fresh.end());

  MergeInput in;
  in.settings = &SettingsOf(link, plan.kind);
  in.link_school_urn = link.link.school_urn;
  in.now = store::NowMs();
  for (WorkRecord* w : resolved) {
    in.work = w;
    in.hub_row = nullptr;
    if (!is_new.count(w)) {
      auto row = hs->rows.find(w->record_id);
      if (row != hs->rows.end() && row->second.id != 0) in.hub_row = &row->second;
    }
    auto lr = by_ext.find(w->ext);
    in.link_record = lr == by_ext.end() ? nullptr : &lr->second;
    auto held = hs->held.find(w->record_id);
    in.held = held == hs->held.end() ? nullptr : &held->second;
    SENDSYNC_RETURN_IF_ERROR(MergeOne(in, plan));
  }
  return Status::OK();
}

}  // namespace

Status TakeCommitTurn(store::Conn& conn) {
  if (conn.dialect() != store::Dialect::kPostgres || !conn.in_transaction()) return Status::OK();
  return conn.Exec("SELECT pg_advisory_xact_lock(7424012)");  // again in one transaction: no wait
}

Result<BatchPlan> PlanBatch(store::Conn& conn, const LinkCtx& link, const std::string& kind,
                            CheckedBatch& checked, const std::vector<Deletion>& deletions,
                            const std::vector<Reject>& rejects, const BatchOptions& opt) {
  // Links run side by side, so pages of two links can commit at once. On PostgreSQL they take
  // turns here, as SQLite's one writer (BEGIN IMMEDIATE) makes them, so that two links never both
  // find a pupil missing and both create it. Held until the caller's transaction ends.
  if (!opt.dry_run) SENDSYNC_RETURN_IF_ERROR(TakeCommitTurn(conn));
  BatchPlan plan;
  plan.kind = kind;
  plan.policy = PolicyOf(kind);
  if (!plan.policy) return Status::InvalidArgument("unknown record kind '" + kind + "'");
  plan.link_id = link.link.id;
  plan.run_id = opt.run_id;
  plan.actor = link.actor;
  plan.max_changes = opt.max_changes;
  plan.keep_quarantine_id = opt.quarantine_id;
  if (opt.set_cursor) plan.cursor = opt.cursor;

  // Rejects the adapter could not even turn into records, and records that failed the checks.
  for (const Reject& r : rejects)
    PlanQuarantine(plan, opt, r.raw, r.ext_id, "",
                   json::array({Reason("ADAPTER_REJECT", r.where, r.reason)}), r.where);
  for (FailedRecord& f : checked.failed)
    PlanQuarantine(plan, opt, f.raw, f.ext, f.upn, std::move(f.reasons), f.where);
  std::vector<WorkRecord> work;
  work.reserve(checked.ok.size());
  for (CheckedRecord& c : checked.ok) work.emplace_back(std::move(c));

  SENDSYNC_RETURN_IF_ERROR(PlanRecords(conn, link, opt, work, plan));
  SENDSYNC_RETURN_IF_ERROR(PlanDeletions(conn, plan, deletions, opt));
  return plan;
}

Result<BatchPlan> PlanBatch(store::Conn& conn, const LinkCtx& link, const std::string& kind,
                            std::vector<Incoming>& items, const BatchOptions& opt) {
  CheckedBatch checked = CheckBatch(link, kind, items);
  return PlanBatch(conn, link, kind, checked, {}, {}, opt);
}

}  // namespace sendsync::sync::detail
