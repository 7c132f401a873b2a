// Plan, then commit: the stages that turn a checked batch of one kind from one link into a typed
// batch plan (every row to write, every queue item, every audit entry, the cursor), and the one
// function that writes a plan. docs/architecture.md draws the flow.
//
//   CheckBatch (check.cpp, store-free)
//     → PlanBatch: quarantine → load what the link knows → MatchPupils | MatchOwned
//                  → ConfirmByPull → references → load hub rows → MergeOne per record
//                  → PlanDeletions                                  (reads only, fills the plan)
//     → CommitPlan: one transaction's writes, with every commit fault point
//
// The decisions are pure functions of what was read (MatchPupil, MergeOne, PlanDeletion,
// NormalizeSenHistory), so each has tests of its own (tests/sync/plan_test.cpp).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/audit/audit.h"
#include "core/store/store.h"
#include "core/sync/internal.h"
#include "core/sync/kind_policy.h"

namespace sendsync::sync::detail {

// A permanent UPN renamed this link's ids of a pupil: the pupil's old id, and its SEN record's
// "upn:" id, move to the new ones so the link keeps one id per record.
struct Renamed {
  std::string old_ext, new_ext, old_upn, new_upn;
};

// Everything one batch changes, in the order CommitPlan writes it.
struct BatchPlan {
  std::string kind;
  const KindPolicy* policy = nullptr;
  int64_t link_id = 0;
  int64_t run_id = 0;  // the run whose queue items these are (0: none)
  std::string actor;   // audit actor of the entries the commit adds

  // Changes a pull settled (claimed in-flight creates; changes confirmed or superseded).
  std::vector<store::OutboxItem> outbox_updates;
  // This link's ids of the kind to forget before `claimed` are written (a claimed record's
  // placeholder link record under its hub id).
  std::vector<std::string> link_record_drops;
  std::vector<store::LinkRecord> claimed;  // link records of claimed in-flight creates
  std::vector<store::RecordRow> inserts, updates;
  std::vector<Renamed> renamed;
  std::vector<store::LinkRecord> link_rows;  // new link records (or ones that name another record)
  std::vector<store::LinkRecord> base_rows;  // known link records: only the base changes
  std::vector<store::Conflict> conflicts;
  std::vector<store::MatchItem> matches;
  std::vector<store::QuarantineItem> quarantine;
  // Ids of records that went in: open quarantine items for them are superseded, except
  // `keep_quarantine_id` (the item being retried, which its caller closes).
  std::set<std::string> applied_ext;
  int64_t keep_quarantine_id = 0;
  std::vector<int64_t> fanout;        // hub records whose changes go out to the links that write
  std::vector<audit::Entry> audit;    // entries known before the writes (in order)
  std::optional<std::string> cursor;  // the link's cursor for the kind, moved in the same commit
  BatchResult result;                 // counts, the report of changes, per-record errors

  // Room left in the report of changes.
  size_t max_changes = 2000;
  bool Reporting() const { return result.changes.size() < max_changes; }
  // One line of the report: which record and what happened to it (with one more field saying why
  // or which fields, when there is one).
  void Report(const std::string& id, const std::string& upn, const char* action,
              const char* key = nullptr, nlohmann::json value = nullptr);
  // An audit entry by the link about a record of the batch's kind.
  audit::Entry& Audit(const std::string& action, int64_t record_id, int64_t pupil_id,
                      nlohmann::json detail);
};

// A checked record on its way through match and merge; `fields` gain hub ids for references.
struct WorkRecord : CheckedRecord {
  explicit WorkRecord(CheckedRecord&& c) : CheckedRecord(std::move(c)) {}
  int64_t record_id = 0, pupil_id = 0;
  // A pupil whose temporary UPN this record replaces with the permanent one: the temporary UPN,
  // and this link's record of the pupil under its old id (none when another link brought it).
  std::string replaced_temporary_upn;
  std::optional<store::LinkRecord> old_link_record;
};

// ---- stage: quarantine -------------------------------------------------------------------------

// A record that cannot go in: an open quarantine item (or, when the options say so, a reported
// error: imports and retries refuse instead of quarantining).
void PlanQuarantine(BatchPlan& plan, const BatchOptions& opt, const std::string& raw,
                    const std::string& ext, const std::string& upn, nlohmann::json reasons,
                    const std::string& where);
// A record whose pupil a person must choose: a match queue item.
void PlanMatchQueue(BatchPlan& plan, const BatchOptions& opt, const WorkRecord& w,
                    const std::string& reason, const nlohmann::json& candidates);

// ---- stage: match pupils -----------------------------------------------------------------------

// What the hub holds for a batch of pupils the link does not know yet: the live pupils with one of
// their UPNs (current or former), and which of them this link already knows under which id.
struct PupilCandidates {
  std::vector<store::RecordRow> pupils;
  std::map<int64_t, store::LinkRecord> link_record_of;  // pupil id -> this link's record of it
};

// The outcome of matching one pupil.
struct PupilMatch {
  enum class Outcome { kKnown, kNew, kQueue } outcome = Outcome::kNew;
  int64_t record_id = 0;               // kKnown: the hub pupil
  std::string reason;                  // kQueue: why a person must decide
  nlohmann::json candidates;           // kQueue: the pupils it could be
  std::string replaced_temporary_upn;  // kKnown: the temporary UPN this record replaces
  std::optional<store::LinkRecord> old_link_record;
};

// Matches one pupil the link does not know: a forced choice (the match queue's resolution), else
// by UPN (or former UPN) and date of birth. Two new pupils of one batch with one UPN, several hub
// pupils with the UPN, one this link knows under another id, or another date of birth go to the
// match queue. `new_in_batch` (UPN -> link id) collects the batch's new pupils.
PupilMatch MatchPupil(const WorkRecord& w, const PupilCandidates& cands, const BatchOptions& opt,
                      std::map<std::string, std::string>& new_in_batch);
// True when `w` brings the permanent UPN of `hub_pupil`, which holds the temporary one `w` names
// as its former UPN, with the same date of birth and legal name: the same pupil.
bool ReplacesTemporaryUpn(const WorkRecord& w, const store::RecordRow& hub_pupil);

// Resolves the hub pupil of each record of a pupil batch (into `resolved`), or queues it.
Status MatchPupils(store::Conn& conn, BatchPlan& plan, const BatchOptions& opt,
                   std::vector<WorkRecord>& work,
                   const std::map<std::string, store::LinkRecord>& by_ext,
                   std::vector<WorkRecord*>& resolved);

// ---- stage: match owned records ----------------------------------------------------------------

// Resolves the pupil of each record of a kind a pupil owns (the link's pupil id, else a UPN one
// hub pupil has), and the hub record when there is one (this link's id for it; the pupil's one
// record of a one-per-pupil kind; a create in flight to this link); quarantines the rest.
Status MatchOwned(store::Conn& conn, BatchPlan& plan, const BatchOptions& opt,
                  std::vector<WorkRecord>& work, std::map<std::string, store::LinkRecord>& by_ext,
                  std::vector<WorkRecord*>& resolved);

// Changes to records the batch brings that the pull shows delivered (or superseded).
Status ConfirmByPull(store::Conn& conn, BatchPlan& plan, const std::vector<WorkRecord*>& resolved);

// ---- stage: merge one record -------------------------------------------------------------------

// The SEN status history the hub keeps: every episode any source reported, plus the current
// status, oldest first, each ended the day before the next begins.
nlohmann::json NormalizeSenHistory(const nlohmann::json& merged, const nlohmann::json* previous,
                                   const nlohmann::json& theirs);

// What merging one record reads.
struct MergeInput {
  WorkRecord* work = nullptr;  // record_id set (a new record's allocated id); fields are consumed
  const store::RecordRow* hub_row = nullptr;       // the hub's row (nullptr: a new record, or gone)
  const store::LinkRecord* link_record = nullptr;  // this link's record of it, when known
  const std::set<std::string>* held = nullptr;     // fields open conflicts hold (nullptr: none)
  const KindSettings* settings = nullptr;
  std::string link_school_urn;
  int64_t now = 0;
};

// Merges one record into the plan: its row (insert or update, with its audit entry), conflicts,
// the link's new base, whether it fans out. Pure: reads only `in`, writes only `plan`.
Status MergeOne(const MergeInput& in, BatchPlan& plan);

// ---- stage: plan deletions ---------------------------------------------------------------------

// A record the link deleted: deleted in the hub when the hub holds what the link last agreed,
// else a "(deleted)" conflict (deleting would lose changes the link never saw). Pure.
void PlanDeletion(const store::LinkRecord& lr, store::RecordRow row, int64_t now, int64_t run_id,
                  BatchPlan& plan);
Status PlanDeletions(store::Conn& conn, BatchPlan& plan, const std::vector<Deletion>& deletions,
                     const BatchOptions& opt);

// ---- the whole plan, and the commit ------------------------------------------------------------

// On PostgreSQL, inside a transaction: waits for this connection's turn to commit hub changes
// (an advisory lock held until the transaction ends; SQLite's one writer gives the same). Take it
// before the transaction's first write: a transaction that writes (say, appends to the audit log)
// and then waits for the turn deadlocks with a page that has the turn and waits for that row.
// PlanBatch takes it; so must a caller that writes before calling PlanBatch. No-op otherwise.
Status TakeCommitTurn(store::Conn& conn);

// Runs the stages on a checked batch of one kind. Reads the store (and allocates ids for new
// records) but writes nothing else: the plan says what to write.
Result<BatchPlan> PlanBatch(store::Conn& conn, const LinkCtx& link, const std::string& kind,
                            CheckedBatch& checked, const std::vector<Deletion>& deletions,
                            const std::vector<Reject>& rejects, const BatchOptions& options);
// PlanBatch on records not yet checked (CheckBatch first).
Result<BatchPlan> PlanBatch(store::Conn& conn, const LinkCtx& link, const std::string& kind,
                            std::vector<Incoming>& items, const BatchOptions& options);

// Writes a plan on `conn`, which must be inside a transaction the caller commits: records, link
// records, queues, superseded quarantine items, the outbox (fan-out is planned here, against the
// rows just written), the audit log and the cursor. The crash fault points of a commit are all
// here: commit.before_records, commit.after_records, commit.before_outbox, commit.after_outbox,
// commit.before_cursor (the caller's transaction adds commit.begin and commit.after_commit).
// With `dry_run` (a rolled-back transaction) only what later batches of the run read is written:
// hub records and link records; queues, outbox, audit and cursor are left out.
Status CommitPlan(store::Conn& conn, BatchPlan& plan, bool dry_run);

}  // namespace sendsync::sync::detail
