// The numbered schema migrations. They run at start on SQLite and PostgreSQL alike, so the SQL
// keeps to what both accept: BIGINT, TEXT, DOUBLE PRECISION, no autoincrement (ids are allocated
// in blocks by the store), no database-specific functions.
#include <string>
#include <vector>

#include "core/store/store.h"

namespace sendsync::store {

namespace {

// Migration 1, the first schema: hub records, links, queues, outbox, audit, runs, leases, tokens.
Migration FirstSchema() {
  return {1,
          "hub records, links, queues, outbox, audit, runs, leases, tokens",
          {
              "CREATE TABLE schema_info (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
              "CREATE TABLE id_blocks (name TEXT PRIMARY KEY, next_id BIGINT NOT NULL)",
              // The hub: one row per record, the current version. Pupils carry upn/dob for
              // matching; other kinds point at their pupil. Bodies are canonical JSON fields.
              "CREATE TABLE records ("
              " id BIGINT PRIMARY KEY, kind TEXT NOT NULL, pupil_id BIGINT,"
              " upn TEXT, former_upn TEXT, dob TEXT, school_urn TEXT,"
              " body TEXT NOT NULL, hash TEXT NOT NULL, version BIGINT NOT NULL,"
              " deleted BIGINT NOT NULL DEFAULT 0,"
              " created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)",
              "CREATE INDEX records_upn ON records (upn)",
              "CREATE INDEX records_former_upn ON records (former_upn)",
              "CREATE INDEX records_pupil ON records (pupil_id, kind)",
              "CREATE INDEX records_school ON records (school_urn, kind)",
              // Every earlier version of every record: nothing is overwritten without a trace.
              "CREATE TABLE record_history ("
              " record_id BIGINT NOT NULL, version BIGINT NOT NULL, body TEXT NOT NULL,"
              " hash TEXT NOT NULL, deleted BIGINT NOT NULL, changed_at BIGINT NOT NULL,"
              " changed_by TEXT NOT NULL, PRIMARY KEY (record_id, version))",
              // Links: one adapter instance for one school.
              "CREATE TABLE links ("
              " id BIGINT PRIMARY KEY, name TEXT NOT NULL UNIQUE, school_urn TEXT NOT NULL,"
              " adapter_id TEXT NOT NULL, config TEXT NOT NULL, settings TEXT NOT NULL,"
              " schedule TEXT NOT NULL, enabled BIGINT NOT NULL,"
              " created_at BIGINT NOT NULL, removed_at BIGINT)",
              "CREATE TABLE link_cursors ("
              " link_id BIGINT NOT NULL, kind TEXT NOT NULL, cursor TEXT NOT NULL,"
              " updated_at BIGINT NOT NULL, PRIMARY KEY (link_id, kind))",
              // What each link calls each hub record, and the base last agreed with it.
              "CREATE TABLE link_records ("
              " link_id BIGINT NOT NULL, kind TEXT NOT NULL, external_id TEXT NOT NULL,"
              " record_id BIGINT NOT NULL, base TEXT, base_hash TEXT, updated_at BIGINT NOT NULL,"
              " PRIMARY KEY (link_id, kind, external_id))",
              "CREATE INDEX link_records_record ON link_records (record_id, link_id)",
              // Queues a person works through.
              "CREATE TABLE quarantine ("
              " id BIGINT PRIMARY KEY, link_id BIGINT NOT NULL, kind TEXT NOT NULL,"
              " external_id TEXT, upn TEXT, raw TEXT NOT NULL, reasons TEXT NOT NULL,"
              " status TEXT NOT NULL, run_id BIGINT, created_at BIGINT NOT NULL,"
              " resolved_at BIGINT, resolved_by TEXT, note TEXT)",
              "CREATE INDEX quarantine_status ON quarantine (status, link_id)",
              "CREATE TABLE conflicts ("
              " id BIGINT PRIMARY KEY, link_id BIGINT NOT NULL, kind TEXT NOT NULL,"
              " record_id BIGINT NOT NULL, external_id TEXT NOT NULL, field TEXT NOT NULL,"
              " base TEXT, ours TEXT, theirs TEXT, status TEXT NOT NULL, run_id BIGINT,"
              " created_at BIGINT NOT NULL, resolved_at BIGINT, resolved_by TEXT,"
              " resolution TEXT, resolved_value TEXT)",
              "CREATE INDEX conflicts_status ON conflicts (status, record_id)",
              "CREATE TABLE match_queue ("
              " id BIGINT PRIMARY KEY, link_id BIGINT NOT NULL, kind TEXT NOT NULL,"
              " external_id TEXT NOT NULL, upn TEXT, raw TEXT NOT NULL, candidates TEXT NOT NULL,"
              " reason TEXT NOT NULL, status TEXT NOT NULL, run_id BIGINT,"
              " created_at BIGINT NOT NULL, resolved_at BIGINT, resolved_by TEXT,"
              " resolution TEXT)",
              "CREATE INDEX match_queue_status ON match_queue (status, link_id)",
              // Changes waiting to be delivered to a link, in order.
              "CREATE TABLE outbox ("
              " id BIGINT PRIMARY KEY, link_id BIGINT NOT NULL, kind TEXT NOT NULL,"
              " record_id BIGINT NOT NULL, op TEXT NOT NULL, payload TEXT NOT NULL,"
              " idem_key TEXT NOT NULL, status TEXT NOT NULL, attempts BIGINT NOT NULL,"
              " next_attempt_at BIGINT NOT NULL, last_error TEXT, remote_id TEXT,"
              " created_at BIGINT NOT NULL, finished_at BIGINT,"
              " UNIQUE (link_id, idem_key))",
              "CREATE INDEX outbox_pending ON outbox (link_id, status, id)",
              // The append-only, hash-chained audit log and its head.
              "CREATE TABLE audit ("
              " seq BIGINT PRIMARY KEY, ts BIGINT NOT NULL, actor TEXT NOT NULL,"
              " action TEXT NOT NULL, kind TEXT, record_id BIGINT, pupil_id BIGINT,"
              " detail TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)",
              "CREATE INDEX audit_pupil ON audit (pupil_id, seq)",
              "CREATE TABLE audit_head (id BIGINT PRIMARY KEY, seq BIGINT NOT NULL,"
              " hash TEXT NOT NULL)",
              "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '')",
              // Runs and the leases that keep two runs of one link apart.
              "CREATE TABLE runs ("
              " id BIGINT PRIMARY KEY, link_id BIGINT NOT NULL, mode TEXT NOT NULL,"
              " started_at BIGINT NOT NULL, finished_at BIGINT, status TEXT NOT NULL,"
              " summary TEXT, error TEXT, holder TEXT)",
              "CREATE INDEX runs_link ON runs (link_id, id)",
              "CREATE TABLE leases (link_id BIGINT PRIMARY KEY, holder TEXT NOT NULL,"
              " expires_at BIGINT NOT NULL)",
              // API tokens: only a hash of each is kept.
              "CREATE TABLE tokens ("
              " id BIGINT PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL,"
              " school_urn TEXT, token_hash TEXT NOT NULL UNIQUE, created_at BIGINT NOT NULL,"
              " last_used_at BIGINT, revoked_at BIGINT)",
          },
          {}};
}

}  // namespace

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> kMigrations = {
      FirstSchema(),
      {2,
       "hub generation: a counter every change to hub records, link records or links moves",
       {
           "CREATE TABLE hub_generation (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)",
           "INSERT INTO hub_generation (id, n) VALUES (1, 0)",
       },
       {}},
      {3,
       "record indexes leave out rows without the column (partial indexes)",
       {
           // Only pupils have a UPN, a school or no pupil_id: three of every four records gave
           // each of these indexes an entry under NULL that no query looks up. Every query on
           // these columns compares them, which implies IS NOT NULL, so SQLite and PostgreSQL
           // still use the indexes.
           "DROP INDEX records_upn",
           "CREATE INDEX records_upn ON records (upn) WHERE upn IS NOT NULL",
           "DROP INDEX records_former_upn",
           "CREATE INDEX records_former_upn ON records (former_upn) WHERE former_upn IS NOT NULL",
           "DROP INDEX records_pupil",
           "CREATE INDEX records_pupil ON records (pupil_id, kind) WHERE pupil_id IS NOT NULL",
           "DROP INDEX records_school",
           "CREATE INDEX records_school ON records (school_urn, kind) WHERE school_urn IS NOT NULL",
       },
       {}},
      {4,
       "SQLite: records and audit keyed by the table's own row id",
       {},
       {
           // In SQLite only INTEGER PRIMARY KEY names the row id; BIGINT PRIMARY KEY made a
           // second b-tree mapping id to row id, written on every insert and read on every
           // lookup. (PostgreSQL has no row-id tree; its tables stay as they are.) Rebuilt in
           // one transaction with the same columns, rows and indexes.
           "CREATE TABLE records_v4 ("
           " id INTEGER PRIMARY KEY, kind TEXT NOT NULL, pupil_id BIGINT,"
           " upn TEXT, former_upn TEXT, dob TEXT, school_urn TEXT,"
           " body TEXT NOT NULL, hash TEXT NOT NULL, version BIGINT NOT NULL,"
           " deleted BIGINT NOT NULL DEFAULT 0,"
           " created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)",
           "INSERT INTO records_v4 (id, kind, pupil_id, upn, former_upn, dob, school_urn, body,"
           " hash, version, deleted, created_at, updated_at)"
           " SELECT id, kind, pupil_id, upn, former_upn, dob, school_urn, body, hash, version,"
           " deleted, created_at, updated_at FROM records ORDER BY id",
           "DROP TABLE records",
           "ALTER TABLE records_v4 RENAME TO records",
           "CREATE INDEX records_upn ON records (upn) WHERE upn IS NOT NULL",
           "CREATE INDEX records_former_upn ON records (former_upn) WHERE former_upn IS NOT NULL",
           "CREATE INDEX records_pupil ON records (pupil_id, kind) WHERE pupil_id IS NOT NULL",
           "CREATE INDEX records_school ON records (school_urn, kind) WHERE school_urn IS NOT NULL",
           "CREATE TABLE audit_v4 ("
           " seq INTEGER PRIMARY KEY, ts BIGINT NOT NULL, actor TEXT NOT NULL,"
           " action TEXT NOT NULL, kind TEXT, record_id BIGINT, pupil_id BIGINT,"
           " detail TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)",
           "INSERT INTO audit_v4 (seq, ts, actor, action, kind, record_id, pupil_id, detail,"
           " prev_hash, hash) SELECT seq, ts, actor, action, kind, record_id, pupil_id, detail,"
           " prev_hash, hash FROM audit ORDER BY seq",
           "DROP TABLE audit",
           "ALTER TABLE audit_v4 RENAME TO audit",
           "CREATE INDEX audit_pupil ON audit (pupil_id, seq)",
       }},
      {5,
       "quarantine: a record refused again with the same payload and reasons counts on its open "
       "item (times_seen, last_seen_at) instead of adding one",
       {
           "ALTER TABLE quarantine ADD COLUMN times_seen BIGINT NOT NULL DEFAULT 1",
           "ALTER TABLE quarantine ADD COLUMN last_seen_at BIGINT",
           "UPDATE quarantine SET last_seen_at = created_at",
           // SHA-256 of kind, payload and reasons. Rows from before this migration have none;
           // they are matched on the payload and reasons themselves and get it then.
           "ALTER TABLE quarantine ADD COLUMN payload_hash TEXT",
           "CREATE INDEX quarantine_payload ON quarantine (link_id, payload_hash)",
       },
       {}},
      {6,
       "links pin an installed adapter version (NULL: the newest installed, else the bundled "
       "one) and remember the one before, for rollback",
       {
           "ALTER TABLE links ADD COLUMN adapter_version TEXT",
           "ALTER TABLE links ADD COLUMN adapter_previous_version TEXT",
       },
       {}},
      {7,
       "hosts: each `sendsync serve` host's heartbeat, for `sendsync hosts list` when several "
       "share one store",
       {
           "CREATE TABLE hosts (host_id TEXT PRIMARY KEY, holder TEXT NOT NULL,"
           " listen TEXT NOT NULL, version TEXT NOT NULL, started_at BIGINT NOT NULL,"
           " heartbeat_at BIGINT NOT NULL)",
       },
       {}},
      {8,
       "schools: each school's name by URN, set by an admin or imported from the DfE's "
       "establishment list, so people see names instead of bare URNs",
       {
           "CREATE TABLE schools (urn TEXT PRIMARY KEY, name TEXT NOT NULL,"
           " source TEXT NOT NULL, updated_at BIGINT NOT NULL)",
       },
       {}},
      {9,
       "runs: a running run's progress (kind being read, records done of the total, rate), "
       "saved at most once a second by the host running it, so every host's API shows it",
       {
           "ALTER TABLE runs ADD COLUMN progress TEXT",
       },
       {}},
  };
  return kMigrations;
}

}  // namespace sendsync::store
