// Plan, then commit (plan.h): CommitPlan writes a batch plan inside the caller's transaction. The
// crash fault points of a commit are all here, so a crash test that kills the process at each of
// them shows the commit all-or-nothing.
#include <thread>

#include "core/sync/plan.h"

namespace sendsync::sync::detail {

using nlohmann::json;

namespace {

// Settles the changes a pull confirmed or claimed, and moves claimed creates' link records from
// their placeholder ids to the link's ids.
Status WriteSettled(store::Conn& conn, const BatchPlan& plan) {
  for (const store::OutboxItem& o : plan.outbox_updates)
    SENDSYNC_RETURN_IF_ERROR(store::UpdateOutbox(conn, o));
  for (const std::string& ext : plan.link_record_drops)
    SENDSYNC_RETURN_IF_ERROR(store::DeleteLinkRecord(conn, plan.link_id, plan.kind, ext));
  return store::UpsertLinkRecords(conn, plan.claimed);
}

// Hub records and this link's records of them (renamed ids first).
Status WriteRecords(store::Conn& conn, const BatchPlan& plan) {
  SENDSYNC_RETURN_IF_ERROR(store::InsertRecords(conn, plan.inserts));
  SENDSYNC_RETURN_IF_ERROR(store::UpdateRecords(conn, plan.updates, plan.actor));
  const std::string sen = records::KindName(records::Kind::kSen);
  for (const Renamed& r : plan.renamed) {
    SENDSYNC_RETURN_IF_ERROR(store::DeleteLinkRecord(conn, plan.link_id, plan.kind, r.old_ext));
    auto sens = store::LinkRecordsByExternal(conn, plan.link_id, sen, {"upn:" + r.old_upn});
    if (!sens.ok()) return sens.status();
    for (store::LinkRecord l : *sens) {
      SENDSYNC_RETURN_IF_ERROR(store::DeleteLinkRecord(conn, plan.link_id, sen, l.external_id));
      l.external_id = "upn:" + r.new_upn;
      SENDSYNC_RETURN_IF_ERROR(store::UpsertLinkRecords(conn, {l}));
    }
  }
  SENDSYNC_RETURN_IF_ERROR(store::UpsertLinkRecords(conn, plan.link_rows));
  return store::UpdateLinkBases(conn, plan.base_rows);
}

// Conflicts, the match queue and quarantine, and their audit entries (which name the items' ids,
// known once they are written); then open quarantine items of records that went in are
// superseded by them.
Status WriteQueues(store::Conn& conn, BatchPlan& plan, std::vector<audit::Entry>& later) {
  SENDSYNC_RETURN_IF_ERROR(store::InsertConflicts(conn, plan.conflicts));
  SENDSYNC_RETURN_IF_ERROR(store::InsertMatches(conn, plan.matches));
  SENDSYNC_RETURN_IF_ERROR(store::InsertQuarantine(conn, plan.quarantine));
  auto entry = [&](const char* action, json detail) {
    audit::Entry e;
    e.actor = plan.actor;
    e.action = action;
    e.kind = plan.kind;
    e.detail = std::move(detail);
    later.push_back(std::move(e));
  };
  for (const auto& m : plan.matches)
    entry("match.queued", {{"match_id", m.id}, {"source_id", m.external_id}});
  for (const auto& q : plan.quarantine) {
    json codes = json::array();
    for (const json& r : q.reasons) codes.push_back(Str(r, "code"));
    // Refused again, identically, while its item is open: counted on that item, not added.
    entry(q.created_at == q.last_seen_at ? "quarantine.add" : "quarantine.repeat",
          {{"quarantine_id", q.id},
           {"codes", codes},
           {"raw_hash", audit::Sha256Hex(q.raw)},
           {"times_seen", q.times_seen}});
  }
  if (plan.applied_ext.empty()) return Status::OK();
  auto old = store::OpenQuarantineFor(
      conn, plan.link_id, plan.kind,
      std::vector<std::string>(plan.applied_ext.begin(), plan.applied_ext.end()));
  if (!old.ok()) return old.status();
  for (const auto& q : *old) {
    if (q.id == plan.keep_quarantine_id) continue;
    SENDSYNC_RETURN_IF_ERROR(store::ResolveQuarantine(conn, q.id, store::ReviewStatus::kSuperseded,
                                                      plan.actor,
                                                      "a valid version of the record arrived"));
    entry("quarantine.superseded", {{"quarantine_id", q.id}});
  }
  return Status::OK();
}

}  // namespace

Status CommitPlan(store::Conn& conn, BatchPlan& plan, bool dry_run) {
  if (dry_run) {  // later batches of the run read the records and the link's ids of them
    SENDSYNC_RETURN_IF_ERROR(WriteSettled(conn, plan));
    return WriteRecords(conn, plan);
  }
  // The audit entries of the plan are hashed on a thread of their own while the records are
  // written (hashing touches no store); the entries the writes themselves produce follow them.
  auto appender = audit::Appender::Begin(conn);
  if (!appender.ok()) return appender.status();
  std::vector<audit::Entry> later;
  Status chained;
  std::jthread hasher([&] { chained = appender->Chain(plan.audit); });
  FaultPoint("commit.before_records");
  SENDSYNC_RETURN_IF_ERROR(WriteSettled(conn, plan));
  SENDSYNC_RETURN_IF_ERROR(WriteRecords(conn, plan));
  FaultPoint("commit.after_records");
  SENDSYNC_RETURN_IF_ERROR(WriteQueues(conn, plan, later));
  FaultPoint("commit.before_outbox");
  SENDSYNC_RETURN_IF_ERROR(FanOut(conn, plan.kind, plan.fanout));
  FaultPoint("commit.after_outbox");
  hasher.join();
  SENDSYNC_RETURN_IF_ERROR(chained);
  SENDSYNC_RETURN_IF_ERROR(appender->Chain(later));
  SENDSYNC_RETURN_IF_ERROR(appender->Finish(conn));
  if (plan.cursor) {
    FaultPoint("commit.before_cursor");
    SENDSYNC_RETURN_IF_ERROR(store::SetCursor(conn, plan.link_id, plan.kind, *plan.cursor));
  }
  return Status::OK();
}

}  // namespace sendsync::sync::detail
