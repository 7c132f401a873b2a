// Internal to core/sync: the pieces of the pipeline shared by runs, queue resolutions and imports.
#pragma once

#include <atomic>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/audit/audit.h"
#include "core/store/store.h"
#include "core/sync/sync.h"

namespace sendsync::sync::detail {

// A link as a run sees it.
struct LinkCtx {
  store::Link link;
  LinkSettings settings;
  std::string actor;  // audit actor: "link:<name>"
};

// One record a link sent, on its way through the pipeline.
struct Incoming {
  nlohmann::json raw;  // as received, before code maps
  std::string ext_id;  // the link's id for the record
};

struct Deletion {
  std::string ext_id, upn;
};

struct Reject {
  std::string raw, where, reason, ext_id;
};

// What a batch did (added to a RunSummary).
struct BatchResult {
  int64_t created = 0, updated = 0, deleted = 0, unchanged = 0;
  int64_t quarantined = 0, conflicts = 0, matches = 0;
  nlohmann::json changes = nlohmann::json::array();
  std::vector<std::string> errors;  // per-record problems (for imports)
};

struct BatchOptions {
  int64_t run_id = 0;
  std::string cursor;  // set the link's cursor for the kind to this in the same commit
  bool set_cursor = false;
  bool force_new_pupil = false;     // match queue: "new"
  int64_t force_pupil_id = 0;       // match queue: "record:<id>"
  bool quarantine_failures = true;  // false for imports: report instead
  size_t max_changes = 2000;
  int64_t quarantine_id = 0;  // retrying this quarantine item: close it when applied
  bool dry_run = false;       // rolled back afterwards: need not take turns with other commits
};

// Strips the envelope (kind, id, pupil, updated_at) from a record: the fields the hub merges.
nlohmann::json FieldsOf(const nlohmann::json& record);
// The link's id for a record of `kind`, or "" when it has none.
std::string ExternalIdOf(const std::string& kind, const nlohmann::json& record);
std::string HashOf(const nlohmann::json& fields);
// The string member `k` of `j`, or "" when it is missing or not a string.
std::string Str(const nlohmann::json& j, const char* k);
// One quarantine reason: {code, path, message}.
nlohmann::json Reason(const std::string& code, const std::string& path, const std::string& message);
// The link's settings for `kind` (empty settings when it has none).
const KindSettings& SettingsOf(const LinkCtx& link, const std::string& kind);

// A record that passed the checks that need no store: code maps applied, valid, ids found.
struct CheckedRecord {
  const Incoming* in = nullptr;
  std::string ext, upn, former_upn, dob, pupil_ext, pupil_upn;
  nlohmann::json fields;  // after code maps, without the envelope
  // The canonical body text the hub stores for this record when it is new to the hub and to the
  // link (the merge's "fresh" path: `fields` less explicit nulls, the link's school filled in for a
  // pupil that names none) and its hash, produced here once, off the commit's thread. Empty when
  // that body depends on the store: SEN records (always merged, for their history) and records
  // holding references, which the merge maps to hub ids first.
  std::string fresh_body, fresh_hash;
};

// A record that failed them, on its way to quarantine.
struct FailedRecord {
  std::string raw, ext, upn, where;
  nlohmann::json reasons;
};

// The store-free part of a batch, in the order the records came; where a record comes twice, the
// last version is the one kept.
struct CheckedBatch {
  std::vector<CheckedRecord> ok;
  std::vector<FailedRecord> failed;
};

// map → validate → ids for a batch of one kind. It reads only its arguments, so a run can check
// the next page on another thread while it applies this one. `items` must outlive the result.
CheckedBatch CheckBatch(const LinkCtx& link, const std::string& kind,
                        const std::vector<Incoming>& items);

// Planning a checked batch and committing the plan: plan.h.

// Queues the changes that links which write `kind` need, for the hub records in `record_ids`
// (current versions), comparing each link's base with what the hub now holds — the source link
// included, since the merged result may differ from what it sent. Deleted records get delete
// changes for links that know them. `extra_context` is merged into each change's context.
// The LA a link submits to, when its configuration names one (the la-portal adapter's "la").
std::string LaOfLink(const store::Link& link);

Status FanOut(store::Conn& conn, const std::string& kind, const std::vector<int64_t>& record_ids,
              const nlohmann::json& extra_context = nullptr);

// The record as `link` should receive it: allowed fields only, local codes, the link's ids.
struct Projection {
  nlohmann::json fields;  // canonical, allowed fields (what becomes the link's base)
  nlohmann::json record;  // envelope + fields in the link's codes
  std::string remote_id;  // the link's id for the record, "" if it has none yet
};

// A pulled record the link reports under an id it never reported before, with its hub pupil.
struct InFlightProbe {
  const nlohmann::json* raw = nullptr;  // as the link sent it (its codes and ids)
  int64_t pupil_id = 0;
};

// True when `pulled` (a record as the link reports it) holds every field of `sent` (the record
// as a change sent it: the link's codes and ids) with the same value; a field sent as null must be
// absent or null there. Fields the link was not sent (allow-lists) are not compared.
bool HoldsWhatWasSent(const nlohmann::json& sent, const nlohmann::json& pulled);
// HoldsWhatWasSent for a record of `kind`; a SEN record's history is held when each episode sent
// is in the link's history or is its current status (the form a system may keep it in).
bool LinkHolds(const std::string& kind, const nlohmann::json& sent, const nlohmann::json& pulled);

// Whether a change of `kind` is done once the link holds the record. Not for a referral: its
// evidence pack goes with it in further requests, so a referral found at the LA by a pull is
// linked (its remote id recorded) and its change still sent, to attach what the LA lacks.
bool DeliveredWithTheRecord(const std::string& kind);

// For each probe, the create still in flight to this link (pending or dead, no remote id yet) for
// the same pupil whose record the pulled one holds field for field (or, when both carry one, with
// the same client_reference): the same record come back after its answer was lost. Oldest change
// first; each change matches at most one probe.
Result<std::vector<std::optional<store::OutboxItem>>> MatchInFlight(
    store::Conn& conn, int64_t link_id, const std::string& kind,
    const std::vector<InFlightProbe>& probes);

class ProgressReporter;
// Delivers the link's due outbox changes through `adapter` until none is due or `stop` is set,
// reporting progress after each round.
Status Push(store::Conn& conn, const LinkCtx& link, plugins::Instance& adapter,
            const EngineOptions& opt, const std::atomic<bool>& stop, ProgressReporter& progress,
            RunSummary& sum);

// Crash-test fault points (SENDSYNC_FAULT_POINT=name[:n] kills the process with SIGKILL at the
// n-th time `name` is reached). Compiled in only with SENDSYNC_FAULT_POINTS.
void FaultPoint(const char* name);

// Backoff for the n-th failed delivery (1-based): base·2^(n-1) capped, ±20 % jitter.
int64_t BackoffMs(int attempt, int64_t base_ms, int64_t max_ms);

// Loads a link and parses its settings.
Result<LinkCtx> LoadLink(store::Conn& conn, const std::string& name);
Result<LinkCtx> LoadLinkById(store::Conn& conn, int64_t id);

}  // namespace sendsync::sync::detail
