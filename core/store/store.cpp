// Opening the store, running migrations, and allocating ids.
#include "core/store/store.h"

#include <chrono>

#include "core/store/sql_util.h"

namespace sendsync::store {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int LatestSchemaVersion() {
  return Migrations().back().version;
}

namespace {

// The recorded schema version; 0 for an empty database.
Result<int> CurrentVersion(Conn& conn) {
  auto rows = conn.Query(conn.dialect() == Dialect::kSqlite
                             ? "SELECT name FROM sqlite_master WHERE type='table' AND "
                               "name='schema_info'"
                             : "SELECT table_name FROM information_schema.tables WHERE "
                               "table_schema = current_schema() AND table_name='schema_info'");
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return 0;
  auto v = conn.Query("SELECT value FROM schema_info WHERE key='version'");
  if (!v.ok()) return v.status();
  if (v->empty()) return Status::Corruption("schema_info has no version");
  return static_cast<int>(AsInt((*v)[0][0]));
}

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const std::string& url) {
  auto db = Db::Open(url);
  if (!db.ok()) return db.status();
  std::unique_ptr<Store> store(new Store());
  store->db_ = std::move(*db);
  auto conn = store->db_->Connect();
  if (!conn.ok()) return conn.status();
  Conn& c = **conn;

  // Migrations run in one transaction each; the write lock (BEGIN IMMEDIATE on SQLite, a table
  // lock on PostgreSQL) keeps two processes from migrating at once.
  for (;;) {
    Tx tx(c);
    SENDSYNC_RETURN_IF_ERROR(tx.status());
    if (c.dialect() == Dialect::kPostgres)
      SENDSYNC_RETURN_IF_ERROR(c.Exec("SELECT pg_advisory_xact_lock(7424011)"));
    auto current = CurrentVersion(c);
    if (!current.ok()) return current.status();
    if (*current > LatestSchemaVersion())
      return Status::FailedPrecondition(
          "the store " + store->db_->url().display + " has schema version " +
          std::to_string(*current) + ", newer than this sendsync understands (" +
          std::to_string(LatestSchemaVersion()) + "); upgrade sendsync before using it");
    const Migration* next = nullptr;
    for (const Migration& m : Migrations())
      if (m.version == *current + 1) next = &m;
    if (!next) {
      store->schema_version_ = *current;
      break;
    }
    std::vector<std::string> statements = next->statements;
    if (c.dialect() == Dialect::kSqlite)
      statements.insert(statements.end(), next->sqlite_statements.begin(),
                        next->sqlite_statements.end());
    for (const std::string& sql : statements) {
      Status st = c.Exec(sql);
      if (!st.ok())
        return st.WithContext("migration " + std::to_string(next->version) + " (" +
                              next->description + ")");
    }
    if (next->version == 1) {
      SENDSYNC_RETURN_IF_ERROR(
          c.Exec("INSERT INTO schema_info (key, value) VALUES ('version', ?)", {std::string("1")}));
      SENDSYNC_RETURN_IF_ERROR(
          c.Exec("INSERT INTO schema_info (key, value) VALUES ('created_at', ?)",
                 {std::to_string(NowMs())}));
    } else {
      SENDSYNC_RETURN_IF_ERROR(c.Exec("UPDATE schema_info SET value = ? WHERE key = 'version'",
                                      {std::to_string(next->version)}));
    }
    SENDSYNC_RETURN_IF_ERROR(tx.Commit());
    ++store->migrations_applied_;
  }
  return store;
}

Result<int64_t> AllocateIds(Conn& conn, const std::string& sequence, int64_t count) {
  if (count <= 0) return Status::InvalidArgument("AllocateIds needs a positive count");
  std::optional<Tx> own;
  if (!conn.in_transaction()) {
    own.emplace(conn);
    SENDSYNC_RETURN_IF_ERROR(own->status());
  }
  // Insert-or-add in one statement, so concurrent allocators serialise on the row.
  SENDSYNC_RETURN_IF_ERROR(
      conn.Exec("INSERT INTO id_blocks (name, next_id) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET next_id = id_blocks.next_id + ?",
                {sequence, int64_t{1} + count, count}));
  auto rows = conn.Query("SELECT next_id FROM id_blocks WHERE name = ?", {sequence});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return Status::Internal("id block vanished");
  int64_t next = AsInt((*rows)[0][0]);
  if (own) SENDSYNC_RETURN_IF_ERROR(own->Commit());
  return next - count;
}

}  // namespace sendsync::store
