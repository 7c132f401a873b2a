// Opening the store, running migrations, and allocating ids.
#include "core/store/store.h"

#include <chrono>
#include <filesystem>

#include <sqlite3.h>

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

constexpr const char* kNoSchema = " (the database has no sendsync schema); run sendsync init";

// Whether the SQLite file at `path` has sendsync's schema, read through a connection that may not
// create the file and changes nothing in it (the store's own connections switch it to WAL).
Result<bool> SqliteHasSchema(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
  bool found = false;
  if (rc == SQLITE_OK) rc = sqlite3_busy_timeout(db, 30000);
  if (rc == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    rc = sqlite3_prepare_v2(db,
                            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_info'",
                            -1, &st, nullptr);
    if (rc == SQLITE_OK) {
      rc = sqlite3_step(st);
      found = rc == SQLITE_ROW;
      if (rc == SQLITE_ROW || rc == SQLITE_DONE) rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
  }
  std::string why = rc == SQLITE_OK ? "" : sqlite3_errmsg(db);
  sqlite3_close(db);
  if (rc != SQLITE_OK) return Status::IoError("cannot read the store sqlite:" + path + ": " + why);
  return found;
}

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const std::string& url, OpenMode mode) {
  if (mode == OpenMode::kMustExist) {
    auto parsed = ParseStoreUrl(url);
    if (!parsed.ok()) return parsed.status();
    if (parsed->dialect == Dialect::kSqlite && parsed->connection != ":memory:") {
      std::error_code ec;
      if (!std::filesystem::is_regular_file(parsed->connection, ec))
        return Status::NotFound("no store at " + parsed->display + "; run sendsync init");
      auto has = SqliteHasSchema(parsed->connection);
      if (!has.ok()) return has.status();
      if (!*has) return Status::NotFound("no store at " + parsed->display + kNoSchema);
    }
  }
  auto db = Db::Open(url, mode);
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
    if (*current == 0 && mode == OpenMode::kMustExist)
      return Status::NotFound("no store at " + store->db_->url().display + kNoSchema);
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
