// The sync engine: per link and record kind, pull → map → validate → match → merge → commit →
// push, with conflicts, quarantine and the match queue for people, an outbox delivered with
// idempotency keys, the audit log, leases, dry runs and crash safety. The only header of core/sync
// other folders include. docs/sync.md describes the model.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/store/conflict_resolution.h"
#include "core/sync/field_authority.h"
#include "plugins/plugins.h"
#include "sendsync/sdk/status.h"

namespace sendsync::store {
class Store;
struct Link;
}  // namespace sendsync::store

namespace sendsync::sync {

// The adapter id of the built-in link that admin imports (import-json) go through, and its name.
// It belongs to no school (its school_urn is a placeholder, 000000): views of schools leave it out.
inline constexpr const char* kImportAdapter = "builtin-import";
inline constexpr const char* kImportLink = "admin-import";

// ---- link settings --------------------------------------------------------------------------

// How one link treats one record kind.
struct KindSettings {
  bool read = false;   // pull this kind from the link
  bool write = false;  // push hub changes of this kind to the link
  // Who wins a field both sides changed: kLink (this link owns it), kHub (the hub's value is
  // kept), absent = nobody: a conflict for a person. "*" sets the default for other fields.
  std::map<std::string, FieldAuthority> authority;
  // Local code -> canonical code, per field path ("provision", "needs.type", "history.provision").
  // When a field has a map, a value missing from it is a validation failure, never a guess.
  std::map<std::string, std::map<std::string, std::string>> code_maps;
  // Fields allowed to leave the hub through this link. {"*"} allows all.
  std::vector<std::string> allow;

  // Who wins `field`; nullopt when nobody does.
  std::optional<FieldAuthority> AuthorityFor(const std::string& field) const;
  bool Allows(const std::string& field) const;
};

struct LinkSettings {
  std::map<std::string, KindSettings> kinds;

  // Parses the settings JSON: {"kinds": {"sen": {"direction": "read|write|both", "authority":
  // {...}, "code_maps": {...}, "allow": [...]}}}. Errors name the key. With a manifest, a kind the
  // adapter cannot read or write is refused.
  static Result<LinkSettings> Parse(const nlohmann::json& j, const plugins::Manifest* manifest);
  nlohmann::json ToJson() const;
  // Every kind the adapter supports, in the directions it supports, with no authority, no code maps
  // and the default allow-lists.
  static LinkSettings Defaults(const plugins::Manifest& manifest);
  const KindSettings* Find(const std::string& kind) const;
};

// The fields of `kind` that may leave the hub when a link says nothing (data minimisation).
const std::vector<std::string>& DefaultAllow(const std::string& kind);

// ---- the three-way merge (pure) ---------------------------------------------------------------

struct FieldConflict {
  std::string field;
  std::optional<nlohmann::json> base, ours, theirs;  // nullopt = the field is absent
};

struct MergeOutcome {
  nlohmann::json merged;             // the hub's fields after the merge
  nlohmann::json agreed_base;        // what the link and the hub now agree on (the link's new base)
  std::vector<std::string> changed;  // hub fields that changed
  std::vector<FieldConflict> conflicts;
};

// Merges `theirs` (the fields a link sent) into `ours` (the hub's fields; null when the hub has no
// such record) against `base` (what this link last agreed; null when never). A field absent from
// `theirs` means the link has no opinion on it; an explicit null clears it. Fields in `held` (open
// conflicts) are left alone. Authority settles fields both sides changed.
MergeOutcome Merge(const nlohmann::json* base, const nlohmann::json* ours,
                   const nlohmann::json& theirs, const KindSettings& settings,
                   const std::set<std::string>& held);

// Applies the link's code maps to a record in place; returns a problem per unmapped value.
std::vector<std::string> ApplyCodeMaps(nlohmann::json& record, const KindSettings& settings);
// Maps canonical codes back to the link's local codes (where several local codes map to one
// canonical code, the alphabetically first is used).
void ReverseCodeMaps(nlohmann::json& record, const KindSettings& settings);

// ---- runs -----------------------------------------------------------------------------------

enum class RunMode { kSync, kDryRun, kPushOnly, kPullOnly };
const char* RunModeName(RunMode mode);

// What a run did, per link.
struct RunSummary {
  std::string link;
  int64_t run_id = 0;
  std::string mode;
  int64_t pulled = 0, created = 0, updated = 0, deleted = 0, unchanged = 0;
  int64_t quarantined = 0, conflicts = 0, matches = 0;
  int64_t pushed = 0, retried = 0, dead_lettered = 0, rejected = 0;
  int64_t duration_ms = 0;
  std::string status;  // ok, needs_person, failed
  std::string error;
  // The two directions fail independently: why the pull failed, why the push failed ("" when it
  // did not). `error` says both.
  std::string pull_error, push_error;
  // Dry runs: what would change, per pupil and field (also filled for real runs, capped).
  nlohmann::json changes = nlohmann::json::array();

  bool NeedsPerson() const {
    return quarantined + conflicts + matches + dead_lettered + rejected > 0;
  }
  nlohmann::json ToJson() const;
};

struct Progress {
  std::string link, kind, phase;  // phase: pull, push
  int64_t records = 0;
  double rate = 0;         // records per second so far
  int64_t remaining = -1;  // the adapter's estimate of what is left, -1 when unknown
};

struct EngineOptions {
  plugins::RuntimeOptions runtime;
  std::string plugin_dir;  // empty: plugins::DefaultPluginDir()
  size_t page_size = 1000;
  size_t push_batch = 200;
  int max_attempts = 8;            // deliveries before a change is dead-lettered
  int64_t backoff_base_ms = 2000;  // first retry delay; doubles, with ±20 % jitter
  int64_t backoff_max_ms = 3600 * 1000;
  int64_t lease_ttl_ms = 120000;       // renewed every third of it while a run lasts
  std::string host_id;                 // this host's name in leases and runs; empty: hostname
  std::string holder;                  // lease holder name; empty: host_id:pid:random
  std::string actor_prefix = "link:";  // audit actor for link runs
  std::function<void(const Progress&)> on_progress;
  size_t max_reported_changes = 2000;  // cap on RunSummary::changes
  int max_parallel_links = 2;          // links RunAll runs at the same time
};

class Engine {
 public:
  Engine(store::Store& store, EngineOptions options);
  ~Engine();

  // Runs one link. Fails (FailedPrecondition) without doing anything when another run holds the
  // link's lease. An adapter failure ends that link's run with status "failed"; what was committed
  // before it stays committed.
  Result<RunSummary> RunLink(const std::string& link_name, RunMode mode);
  // Runs every enabled link (of one school, when given), up to `max_parallel_links` at a time, so
  // a link whose adapter hangs holds up only itself; one link's failure does not stop the others.
  // The summaries come in the links' order (the order they were added), not the order the runs
  // finished. After RequestStop, links not yet started are left out. Fails (and runs nothing)
  // only when the links cannot be listed (the store is unreachable or damaged), so an empty list
  // always means there were no enabled links to run.
  Result<std::vector<RunSummary>> RunAll(RunMode mode, const std::string& school_urn = "");

  // Asks a run in progress to stop at the next safe point (between pages or deliveries).
  void RequestStop();
  // This engine's lease holder name, "<host id>:<pid>:<n>" (runs record it as their holder).
  const std::string& holder() const;

  // ---- people's queues (each resolution is audited with `actor`) ----
  // resolution: "ours" keeps the hub's value (and pushes it), "theirs" takes the link's,
  // "value" sets `value` (JSON text). Fields often belong together (provision and needs): with
  // `whole_record`, every open conflict of the same record from the same link is resolved the
  // same way at once, since resolving one alone could leave the record invalid.
  Status ResolveConflict(int64_t id, store::ConflictResolution take,
                         const std::optional<std::string>& value, const std::string& actor,
                         bool whole_record = false);
  // Re-runs a quarantined record through the pipeline, optionally with an edited payload (JSON
  // text). Stays quarantined (with fresh reasons) if it still fails.
  Status RetryQuarantine(int64_t id, const std::optional<std::string>& edited,
                         const std::string& actor);
  Status DiscardQuarantine(int64_t id, const std::string& reason, const std::string& actor);
  // resolution: "record:<hub id>" links to that pupil, "new" creates a new pupil, "discard".
  Status ResolveMatch(int64_t id, const std::string& resolution, const std::string& actor);
  // Puts a dead-lettered or rejected change back in the queue for delivery.
  Status RetryOutbox(int64_t id, const std::string& actor);
  // Puts every change of `status` ("dead" or "rejected") back in the queue, of the link named
  // `link` (every link when empty), in one transaction with one audit entry each. Returns how
  // many. NotFound for an unknown link, InvalidArgument for another status.
  Result<int64_t> RetryOutboxAll(const std::string& link, const std::string& status,
                                 const std::string& actor);
  // Which changes a bulk retry puts back in the queue.
  struct OutboxRetryFilter {
    std::string status = "dead";  // "dead" or "rejected"
    std::string link;             // the link's name; empty: every link
    std::string school_urn;       // only links of this school; empty: every school
    std::vector<int64_t> ids;     // only these changes (each must be of `status`); empty: all
  };
  // Puts every change the filter selects back in the queue, in one transaction with one audit
  // entry each ("outbox.retry", bulk), and returns their ids. InvalidArgument for another status;
  // NotFound for an unknown link or change id; FailedPrecondition (nothing retried) when a listed
  // change is not of the status or not of the link or school.
  Result<std::vector<int64_t>> RetryOutboxMatching(const OutboxRetryFilter& filter,
                                                   const std::string& actor);

  // Applies canonical records from an admin's file (one JSON object per line) through the same
  // pipeline as a link named "admin-import" that owns every field. All-or-nothing: when any line
  // is bad, nothing is written and every bad line is reported with its number and reasons.
  struct ImportReport {
    int64_t lines = 0, created = 0, updated = 0, unchanged = 0;
    std::vector<std::string> errors;  // "line 7: dob: expected a date yyyy-mm-dd"
    // Warnings on lines that were imported: "line 3: needs[1].type: ... (NEED_TYPE_DUPLICATE)".
    std::vector<std::string> warnings;
  };
  Result<ImportReport> ImportJsonLines(const std::string& path, const std::string& actor);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---- links (what `sendsync link …` and the admin API do) --------------------------------------

struct LinkSpec {
  std::string name, school_urn, adapter_id, schedule = "manual";
  std::string adapter_version;  // an installed version to pin; "" follows the newest
  nlohmann::json config;    // secret fields as env:NAME or file:PATH references
  nlohmann::json settings;  // null: defaults from the adapter's manifest
};

// Checks the adapter exists and is usable, the config against its schema (secret fields must be
// references, never the secret itself), the settings, the schedule; then stores the link.
Result<int64_t> AddLink(store::Store& store, const LinkSpec& spec,
                        const plugins::RuntimeOptions& runtime, const std::string& plugin_dir,
                        const std::string& actor);
// Calls the adapter's check with the link's configuration, using the adapter version the link is
// pinned to, or `version` when given (to try a version before pinning it).
Status TestLink(store::Store& store, const std::string& name,
                const plugins::RuntimeOptions& runtime, const std::string& plugin_dir,
                const std::string& version = "");
// Resolves env:NAME / file:PATH references in the secret fields of `config`.
Result<nlohmann::json> ResolveSecrets(const nlohmann::json& config,
                                      const std::vector<std::string>& secret_fields);
// Parses a schedule: "manual", "every 30s|15m|2h", "daily HH:MM", "hourly". Errors say the forms.
Status ValidateSchedule(const std::string& schedule);

// ---- referrals: `sendsync referral submit` (core/sync/referral_submit.cpp) --------------------
// Sends a pupil's request for an EHC needs assessment to an LA link now. The hub holds the request
// as a referral record; while its status is "draft" fan-out sends it nowhere. Submitting checks
// readiness (domain::CheckReadiness as of today), marks the record "submitted" (request_date =
// today and la = the link's "la" setting when it has none; a request for another LA is refused),
// queues it through the ordinary fan-out — with {"force": true} in the change's context when
// forced — and delivers the link's outbox at once, retrying with the engine's backoff for up to
// `wait_ms`. A submitted request that never reached the link (pending, rejected or dead-lettered)
// can be submitted again; one the link has received cannot.

struct ReferralSubmitOptions {
  std::string upn;
  std::string link;    // empty: the one enabled link of the pupil's school that writes referrals
  bool force = false;  // send even though the readiness check fails
  std::string actor;   // audit actor ("cli:<user>")
  int64_t wait_ms = 60000;  // how long to keep retrying delivery before leaving it queued
};

struct ReferralSubmitResult {
  // not_ready (nothing changed), delivered, pending (queued; the link will retry), rejected,
  // dead (dead-lettered), failed (the link's run failed, e.g. refused credentials).
  std::string outcome;
  std::string referral_id;  // hub id
  // The request's reference at the LA (the school's URN and a random part), once submitted.
  std::string client_reference;
  // The LA it goes to; la_from_link when the request named none and took its link's.
  std::string la;
  bool la_from_link = false;
  std::string link;
  std::string remote_id;     // the LA's id for the referral, once delivered
  std::string error;         // why it is not delivered (the adapter's or the LA's words)
  bool forced = false;       // sent although not ready
  nlohmann::json readiness;  // {"ready", "items": [{id, label, met, evidence, missing}]}
  // attempts: tries so far, the one that delivered (or was refused) included.
  int64_t outbox_id = 0, attempts = 0, next_attempt_at = 0;
  nlohmann::json ToJson() const;
};

// NotFound (no such pupil or link), FailedPrecondition (no request being prepared, already with
// the LA, no link or several to choose from, the link does not send referrals) or InvalidArgument
// (the record would not be valid once submitted); otherwise the outcome.
Result<ReferralSubmitResult> SubmitReferral(store::Store& store, const EngineOptions& options,
                                            const ReferralSubmitOptions& submit);

}  // namespace sendsync::sync
