// The store: where the hub keeps records, links, the queues people work through, the outbox, runs
// and leases — on SQLite (the default, one file) or PostgreSQL (by URL), through Poco::Data.
// The only header of core/store that other folders include.
//
// Everything here works on a Conn so that callers compose several operations into one transaction
// (Tx). Batch operations take and return vectors: per-statement overhead dominates otherwise.
// Times are milliseconds since the Unix epoch (UTC).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/store/conflict_resolution.h"
#include "core/store/db.h"
#include "core/store/outbox_status.h"
#include "core/store/review_status.h"
#include "sendsync/sdk/change_op.h"
#include "sendsync/sdk/status.h"

namespace sendsync::store {

int64_t NowMs();

// ---- opening and migrations ----

struct Migration {
  int version;
  std::string description;
  std::vector<std::string> statements;         // on every backend
  std::vector<std::string> sqlite_statements;  // then on SQLite only
};
const std::vector<Migration>& Migrations();
int LatestSchemaVersion();

class Store {
 public:
  // Opens the store at `url` and brings its schema up to date. A database whose schema is newer
  // than this binary knows is refused (FailedPrecondition) rather than touched. With kMustExist
  // (every command but `sendsync init`) a missing SQLite file, or a database without sendsync's
  // schema (SQLite or PostgreSQL), is NotFound ("no store at …; run sendsync init") and nothing
  // is created or changed; with kCreate the store is created when missing.
  static Result<std::unique_ptr<Store>> Open(const std::string& url, OpenMode mode);
  Db& db() { return *db_; }
  Result<std::unique_ptr<Conn>> Connect() { return db_->Connect(); }
  int schema_version() const { return schema_version_; }
  // How many migrations Open applied (0 when the store was already current).
  int migrations_applied() const { return migrations_applied_; }

 private:
  Store() = default;
  std::unique_ptr<Db> db_;
  int schema_version_ = 0;
  int migrations_applied_ = 0;
};

// Hands out ids in blocks so that bulk inserts need no round trip per row and several hosts
// sharing one PostgreSQL never collide. Runs in its own short transaction when `conn` has none.
Result<int64_t> AllocateIds(Conn& conn, const std::string& sequence, int64_t count);

// ---- hub records ----

struct RecordRow {
  int64_t id = 0;
  std::string kind;
  int64_t pupil_id = 0;                          // 0 for pupils
  std::string upn, former_upn, dob, school_urn;  // pupils only (school_urn: pupils)
  std::string body;  // canonical JSON object of the record's fields (no envelope)
  std::string hash;  // SHA-256 hex of body
  int64_t version = 1;
  bool deleted = false;
  int64_t created_at = 0, updated_at = 0;
};

Result<std::vector<RecordRow>> LoadRecords(Conn& conn, const std::vector<int64_t>& ids);
// A number that moves on whenever hub records, link records or links change, or a token is
// revoked (in the changing transaction), so a reader can tell that what it built from them, or a
// token it found live, is still current.
Result<int64_t> HubGeneration(Conn& conn);
// Live (not deleted) pupils whose UPN or former UPN is one of `upns`.
Result<std::vector<RecordRow>> PupilsByUpn(Conn& conn, const std::vector<std::string>& upns);
// Every live record of one pupil (the pupil itself included), by kind then id.
Result<std::vector<RecordRow>> RecordsOfPupil(Conn& conn, int64_t pupil_id);
// Live pupils, optionally of one school, by id.
Result<std::vector<RecordRow>> ListPupils(Conn& conn, const std::string& school_urn = "");
// Live pupils (optionally of one school) that have at least one other live record: the pupils
// clocks can concern.
Result<std::vector<int64_t>> PupilsWithRecords(Conn& conn, const std::string& school_urn = "");
// Live records of `kind` belonging to any of `pupil_ids`.
Result<std::vector<RecordRow>> RecordsByPupils(Conn& conn, const std::string& kind,
                                               const std::vector<int64_t>& pupil_ids);
// Every live record of every kind in id order, `limit` at a time after `after_id` (for export).
Result<std::vector<RecordRow>> ScanRecords(Conn& conn, int64_t after_id, int64_t limit);

Status InsertRecords(Conn& conn, const std::vector<RecordRow>& rows);
// Replaces records by id with new versions; the versions they replace go to record_history with
// `changed_by`. Each row's version must be the stored version + 1.
Status UpdateRecords(Conn& conn, const std::vector<RecordRow>& rows, const std::string& changed_by);
struct HistoryRow {
  int64_t version;
  std::string body, hash, changed_by;
  bool deleted;
  int64_t changed_at;
};
Result<std::vector<HistoryRow>> RecordHistory(Conn& conn, int64_t record_id);

// ---- links ----

struct Link {
  int64_t id = 0;
  std::string name, school_urn, adapter_id;
  nlohmann::json config;    // adapter configuration, secrets as references (env:NAME, file:PATH)
  nlohmann::json settings;  // per kind: direction, authority, code maps, allow-list (core/sync)
  std::string schedule;     // "manual", "every 15m", "daily 06:30", …
  // The installed adapter version the link is pinned to; "" follows the newest installed version
  // (else the bundled plugin). The previous pin is kept for `sendsync adapters rollback`.
  std::string adapter_version, adapter_previous_version;
  bool enabled = true;
  int64_t created_at = 0;
  std::optional<int64_t> removed_at;
};

Result<int64_t> CreateLink(Conn& conn, const Link& link);
// NotFound when no such link; removed links are found only when `include_removed`.
Result<Link> GetLink(Conn& conn, const std::string& name, bool include_removed = false);
Result<Link> GetLinkById(Conn& conn, int64_t id);
Result<std::vector<Link>> ListLinks(Conn& conn, bool include_removed = false);
Status SetLinkEnabled(Conn& conn, int64_t id, bool enabled);
Status UpdateLinkSettings(Conn& conn, int64_t id, const nlohmann::json& settings);
// Pins the link to `version` ("" follows the newest) and remembers `previous` for a rollback.
Status SetLinkAdapterVersion(Conn& conn, int64_t id, const std::string& version,
                             const std::string& previous);
// Marks removed (history, queues and audit stay); its name becomes free for a new link.
Status RemoveLink(Conn& conn, int64_t id);

Result<std::string> GetCursor(Conn& conn, int64_t link_id, const std::string& kind);
Status SetCursor(Conn& conn, int64_t link_id, const std::string& kind, const std::string& cursor);

// ---- what a link calls a hub record, and the base agreed with it ----

struct LinkRecord {
  int64_t link_id = 0;
  std::string kind, external_id;
  int64_t record_id = 0;
  std::optional<std::string> base;  // JSON fields last agreed with the link; null: none yet
  std::string base_hash;
};

Result<std::vector<LinkRecord>> LinkRecordsByExternal(Conn& conn, int64_t link_id,
                                                      const std::string& kind,
                                                      const std::vector<std::string>& ids);
// Only which hub record each of `ids` (repeats allowed) is, for a caller that needs no base:
// external id -> record id, for the ids the link has. Reads no base text.
Result<std::map<std::string, int64_t>> RecordIdsByExternal(Conn& conn, int64_t link_id,
                                                           const std::string& kind,
                                                           const std::vector<std::string>& ids);
Result<std::vector<LinkRecord>> LinkRecordsByRecord(Conn& conn, int64_t link_id,
                                                    const std::vector<int64_t>& record_ids);
// Every link's id for a record (for `pupil show`): link id -> external id.
Result<std::vector<LinkRecord>> LinkRecordsOf(Conn& conn, int64_t record_id);
// Inserts or replaces by (link, kind, external id).
Status UpsertLinkRecords(Conn& conn, const std::vector<LinkRecord>& rows);
// Replaces the base of link records that exist and keep their hub record (the common re-sync
// case); each row must match one stored row.
Status UpdateLinkBases(Conn& conn, const std::vector<LinkRecord>& rows);
// Forgets one id of a link (when the target renames a record, e.g. hub id -> its own id).
Status DeleteLinkRecord(Conn& conn, int64_t link_id, const std::string& kind,
                        const std::string& external_id);

// ---- queues ----

struct QuarantineItem {
  int64_t id = 0, link_id = 0;
  std::string kind, external_id, upn;
  std::string raw;                            // the payload as received
  nlohmann::json reasons;                     // [{"code","path","message"}]
  ReviewStatus status = ReviewStatus::kOpen;  // open, applied, discarded or superseded
  int64_t run_id = 0, created_at = 0;
  std::optional<int64_t> resolved_at;
  std::string resolved_by, note;
  int64_t times_seen = 1;    // runs (or pages) that refused this same payload for these reasons
  int64_t last_seen_at = 0;  // when it was last refused (ms since the epoch)
};

struct Conflict {
  int64_t id = 0, link_id = 0;
  std::string kind;
  int64_t record_id = 0;
  std::string external_id, field;
  std::optional<std::string> base, ours, theirs;  // JSON values; null = absent
  ReviewStatus status = ReviewStatus::kOpen;      // open or resolved
  int64_t run_id = 0, created_at = 0;
  std::optional<int64_t> resolved_at;
  std::string resolved_by;
  std::optional<ConflictResolution> resolution;  // set once resolved
  std::optional<std::string> resolved_value;
};

struct MatchItem {
  int64_t id = 0, link_id = 0;
  std::string kind, external_id, upn, raw;
  nlohmann::json candidates;  // [{"record_id", "upn", "dob", "why"}]
  std::string reason;
  ReviewStatus status = ReviewStatus::kOpen;  // open or resolved
  int64_t run_id = 0, created_at = 0;
  std::optional<int64_t> resolved_at;
  std::string resolved_by, resolution;  // "record:<id>", "new", "discard"
};

// Filters for list calls. Empty strings and zeros mean "any".
struct QueueFilter {
  std::string status = "open";
  int64_t link_id = 0;
  std::string school_urn;  // via the link
  int64_t after_id = 0;
  int64_t limit = 100;
};

// Adds `items` and assigns their ids. An item whose link, kind, payload and reasons match an open
// item already there is not added again: that item counts it (times_seen, last_seen_at) and
// the item gets its id.
Status InsertQuarantine(Conn& conn, std::vector<QuarantineItem>& items);
Result<std::vector<QuarantineItem>> ListQuarantine(Conn& conn, const QueueFilter& filter);
Result<QuarantineItem> GetQuarantine(Conn& conn, int64_t id);
// Closes an open item as applied, discarded or superseded.
Status ResolveQuarantine(Conn& conn, int64_t id, ReviewStatus status, const std::string& by,
                         const std::string& note);
// Open quarantine items of a link for a record id, to close when a good version arrives.
Result<std::vector<QuarantineItem>> OpenQuarantineFor(Conn& conn, int64_t link_id,
                                                      const std::string& kind,
                                                      const std::vector<std::string>& ids);

Status InsertConflicts(Conn& conn, std::vector<Conflict>& items);
Result<std::vector<Conflict>> ListConflicts(Conn& conn, const QueueFilter& filter);
Result<Conflict> GetConflict(Conn& conn, int64_t id);
// Open conflicts on any of `record_ids` (a field in conflict is held until a person decides).
Result<std::vector<Conflict>> OpenConflictsFor(Conn& conn, const std::vector<int64_t>& record_ids);
Status ResolveConflict(Conn& conn, int64_t id, ConflictResolution resolution,
                       const std::optional<std::string>& value, const std::string& by);

Status InsertMatches(Conn& conn, std::vector<MatchItem>& items);
Result<std::vector<MatchItem>> ListMatches(Conn& conn, const QueueFilter& filter);
Result<MatchItem> GetMatch(Conn& conn, int64_t id);
Status ResolveMatch(Conn& conn, int64_t id, const std::string& resolution, const std::string& by);

// ---- outbox ----

struct OutboxItem {
  int64_t id = 0, link_id = 0;
  std::string kind;
  int64_t record_id = 0;
  ChangeOp op = ChangeOp::kUpsert;
  std::string payload;  // the change as JSON: {"record": …, "context": …}
  std::string idem_key;
  OutboxStatus status = OutboxStatus::kPending;
  int64_t attempts = 0, next_attempt_at = 0;
  std::string last_error, remote_id;
  int64_t created_at = 0;
  std::optional<int64_t> finished_at;
};

// Adds changes; one whose (link, idempotency key) is already there is skipped (a re-run of the
// same commit must not queue a change twice). Assigns ids in order.
Status InsertOutbox(Conn& conn, std::vector<OutboxItem>& items);
// Pending items of a link due by `now`, oldest first.
Result<std::vector<OutboxItem>> DueOutbox(Conn& conn, int64_t link_id, int64_t now, int64_t limit);
// Records with a pending change still waiting (not due by `now`), mapped to the oldest such
// change's id: a later change to the same record must wait behind it (per-record order).
Result<std::map<int64_t, int64_t>> WaitingOutbox(Conn& conn, int64_t link_id, int64_t now);
// Creates not yet known to have reached the link (op upsert, no remote id, pending or dead) of
// one kind, oldest first: what a pull may find at the link under a new id.
Result<std::vector<OutboxItem>> InFlightCreates(Conn& conn, int64_t link_id,
                                                const std::string& kind);
// Upserts to `record_ids` of one kind not known to be delivered (pending or dead) to a link,
// oldest first: what a pull of those records may show the link already holds.
Result<std::vector<OutboxItem>> UndeliveredUpserts(Conn& conn, int64_t link_id,
                                                   const std::string& kind,
                                                   const std::vector<int64_t>& record_ids);
// Counts of outbox items by status (for a link, or all when link_id is 0).
Result<std::map<std::string, int64_t>> OutboxCounts(Conn& conn, int64_t link_id);
Status UpdateOutbox(Conn& conn,
                    const OutboxItem& item);  // status, attempts, times, error, remote id
Result<std::vector<OutboxItem>> ListOutbox(Conn& conn, const QueueFilter& filter);
// Every change queued for any link about one of `record_ids`, whatever its status, oldest first.
Result<std::vector<OutboxItem>> OutboxOfRecords(Conn& conn, const std::vector<int64_t>& record_ids);
Result<OutboxItem> GetOutbox(Conn& conn, int64_t id);

// ---- runs and leases ----

struct Run {
  int64_t id = 0, link_id = 0;
  std::string mode;  // sync, dry-run, push
  int64_t started_at = 0;
  std::optional<int64_t> finished_at;
  std::string status;  // running, ok, needs_person, failed, abandoned
  nlohmann::json summary;
  std::string error, holder;
  // While the run is running: where it has got to, as the engine last saved it
  // (sync::ProgressJson); null when it has saved none yet, and always once it has ended.
  nlohmann::json progress;
};

Result<int64_t> StartRun(Conn& conn, int64_t link_id, const std::string& mode,
                         const std::string& holder);
Status FinishRun(Conn& conn, int64_t run_id, const std::string& status,
                 const nlohmann::json& summary, const std::string& error);
Result<std::vector<Run>> ListRuns(Conn& conn, int64_t link_id, int64_t limit,
                                  int64_t before_id = 0);
Result<Run> GetRun(Conn& conn, int64_t id);
// Marks runs of a link left "running" by a holder that lost its lease as abandoned.
Status AbandonStaleRuns(Conn& conn, int64_t link_id, const std::string& new_holder);
// Saves a running run's counts so far (its summary), so a run that dies still says what it did.
// No effect once the run has finished.
Status RecordRunProgress(Conn& conn, int64_t run_id, const nlohmann::json& summary);
// Saves where a running run has got to (the kind it reads, records done of the total, rate), for
// the API of any host sharing the store. No effect once the run has finished, which clears it.
Status SaveRunLiveProgress(Conn& conn, int64_t run_id, const nlohmann::json& progress);

// Takes the lease on a link for `holder` until now + ttl_ms, if it is free, expired or already
// ours. Returns false when another holder has it.
Result<bool> AcquireLease(Conn& conn, int64_t link_id, const std::string& holder, int64_t ttl_ms);
// Who holds the lease now ("" when nobody).
Result<std::string> LeaseHolder(Conn& conn, int64_t link_id);
// The link's lease row, expired or not (nullopt when there is none): who took it last and until
// when (ms since the epoch). The scheduler waits for expires_at before taking over from a host
// that may have died.
struct Lease {
  std::string holder;
  int64_t expires_at = 0;
};
Result<std::optional<Lease>> GetLease(Conn& conn, int64_t link_id);
// Takes the lease from `old_holder` (known dead) for `holder`; false if it changed hands meanwhile.
Result<bool> TakeOverLease(Conn& conn, int64_t link_id, const std::string& old_holder,
                           const std::string& holder, int64_t ttl_ms);
// Extends our lease; false if we lost it (it expired and someone else took it).
Result<bool> RenewLease(Conn& conn, int64_t link_id, const std::string& holder, int64_t ttl_ms);
Status ReleaseLease(Conn& conn, int64_t link_id, const std::string& holder);

// Holds a link's lease that `holder` has just taken (AcquireLease or TakeOverLease said true) and
// releases it on every path out of the scope that took it: Release() on the normal path, whose
// Status the caller handles, else the destructor (early returns, exceptions), which logs a failed
// release ("lease.release_failed"; the lease then lapses when its time runs out). As Tx is to a
// transaction. `conn` must outlive the guard.
class LeaseGuard {
 public:
  LeaseGuard(Conn& conn, int64_t link_id, std::string holder)
      : conn_(conn), link_id_(link_id), holder_(std::move(holder)) {}
  ~LeaseGuard();
  LeaseGuard(const LeaseGuard&) = delete;
  LeaseGuard& operator=(const LeaseGuard&) = delete;

  // Releases the lease now; a second call does nothing and returns OK.
  Status Release();

 private:
  Conn& conn_;
  int64_t link_id_;
  std::string holder_;
  bool released_ = false;
};

// ---- hosts (several `sendsync serve` on one store) ----

struct Host {
  std::string host_id;
  std::string holder;  // its current process's lease holder name, host_id:pid:n
  std::string listen, version;
  int64_t started_at = 0, heartbeat_at = 0;
  std::vector<std::string> links;  // names of the links whose unexpired leases it holds
};
// Records (or refreshes) a host's heartbeat; the last process to start under a host id wins.
Status HostHeartbeat(Conn& conn, const Host& host);
// Every host seen, by host id, with the links it holds now (ListHosts fills Host::links).
Result<std::vector<Host>> ListHosts(Conn& conn);

// ---- school names (migration 8) ----

struct SchoolName {
  std::string urn, name;
  std::string source;  // "api", "cli" or "import:<file name>"
  int64_t updated_at = 0;
};
// Sets the names of these schools (adding or replacing each), all in one statement per school
// inside the caller's transaction, if any.
Status PutSchoolNames(Conn& conn, const std::vector<SchoolName>& schools);
// Every named school, by URN.
Result<std::vector<SchoolName>> ListSchoolNames(Conn& conn);

// ---- tokens (admin API) ----

struct Token {
  int64_t id = 0;
  std::string name, role, school_urn, token_hash;
  int64_t created_at = 0;
  std::optional<int64_t> last_used_at, revoked_at;
};
Result<int64_t> CreateToken(Conn& conn, const Token& token);
Result<std::optional<Token>> FindTokenByHash(Conn& conn, const std::string& token_hash);
Result<std::vector<Token>> ListTokens(Conn& conn);
Status RevokeToken(Conn& conn, const std::string& name);
Status TouchToken(Conn& conn, int64_t id, int64_t when);

}  // namespace sendsync::store
