#include "core/store/db.h"

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include <Poco/Data/MetaColumn.h>
#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/PostgreSQL/SessionImpl.h>
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/Utility.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>
#include <Poco/Nullable.h>
#include <Poco/URI.h>
#include <sqlite3.h>
#include <nlohmann/json.hpp>

#include "base/log/log.h"
#include "core/store/pg_stmts.h"
#include "core/store/sqlite_stmts.h"

namespace sendsync::store {

using namespace Poco::Data::Keywords;
namespace fs = std::filesystem;

namespace {

void RegisterConnectors() {
  static std::once_flag once;
  std::call_once(once, [] {
    // SQLite's memory statistics take one process-wide mutex on every allocation, which the API
    // server's threads then queue on; nothing here reads them. Must precede the first connection
    // (SQLITE_MISUSE, harmless, if SQLite was already started).
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::PostgreSQL::Connector::registerConnector();
  });
}

// Quotes a libpq connection-string value.
std::string PqValue(const std::string& v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

Status FromPoco(const Poco::Exception& e, const std::string& what) {
  std::string m = e.displayText();
  // libpq sometimes includes the connection string; never let a password through.
  size_t p = m.find("password=");
  if (p != std::string::npos) m = m.substr(0, p) + "password=***";
  if (m.find("database is locked") != std::string::npos ||
      m.find("could not connect") != std::string::npos ||
      m.find("Connection refused") != std::string::npos)
    return Status::Unavailable(what + ": " + m);
  // The database's own wording is all the driver gives; it becomes a code here, at the edge, so
  // no caller reads it (SQLite: "UNIQUE constraint failed"; PostgreSQL: SQLSTATE 23505's text).
  if (m.find("UNIQUE constraint failed") != std::string::npos ||
      m.find("duplicate key value violates unique constraint") != std::string::npos)
    return Status::AlreadyExists(what + ": " + m);
  return Status::IoError(what + ": " + m);
}

void BindAll(Poco::Data::Statement& st, const std::vector<Value>& params) {
  for (const Value& v : params) {
    if (std::holds_alternative<int64_t>(v)) {
      st.addBind(bind(static_cast<Poco::Int64>(std::get<int64_t>(v))));
    } else if (std::holds_alternative<double>(v)) {
      st.addBind(bind(std::get<double>(v)));
    } else if (std::holds_alternative<std::string>(v)) {
      st.addBind(bind(std::get<std::string>(v)));
    } else {
      st.addBind(bind(Poco::Nullable<std::string>()));
    }
  }
}

}  // namespace

Result<StoreUrl> ParseStoreUrl(const std::string& url) {
  StoreUrl out;
  if (url.empty()) return Status::InvalidArgument("store URL is empty");
  if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0) {
    Poco::URI u;
    try {
      u = Poco::URI(url);
    } catch (const Poco::Exception& e) {
      return Status::InvalidArgument("store URL is not a valid URL: " + e.message());
    }
    std::string db = u.getPath();
    if (!db.empty() && db[0] == '/') db = db.substr(1);
    if (u.getHost().empty() || db.empty())
      return Status::InvalidArgument(
          "a PostgreSQL store URL needs a host and a database: postgresql://user@host:5432/dbname");
    std::string user, password;
    std::string info = u.getUserInfo();
    size_t colon = info.find(':');
    user = info.substr(0, colon);
    if (colon != std::string::npos) password = info.substr(colon + 1);
    std::string conn = "host=" + PqValue(u.getHost()) +
                       " port=" + std::to_string(u.getPort() ? u.getPort() : 5432) +
                       " dbname=" + PqValue(db);
    if (!user.empty()) conn += " user=" + PqValue(user);
    if (!password.empty()) conn += " password=" + PqValue(password);
    for (const auto& [k, v] : u.getQueryParameters()) conn += " " + k + "=" + PqValue(v);
    out.dialect = Dialect::kPostgres;
    out.connector = "PostgreSQL";
    out.connection = conn;
    out.display = "postgresql://" +
                  (user.empty() ? "" : user + (password.empty() ? "" : ":***") + "@") +
                  u.getHost() + ":" + std::to_string(u.getPort() ? u.getPort() : 5432) + "/" + db;
    return out;
  }
  std::string path = url.rfind("sqlite:", 0) == 0 ? url.substr(7) : url;
  if (path.rfind("//", 0) == 0) path = path.substr(2);  // sqlite:///abs/path
  if (path.empty()) return Status::InvalidArgument("store URL names no SQLite file");
  if (path.find("://") != std::string::npos)
    return Status::InvalidArgument("unknown store URL scheme in '" + url +
                                   "' (use sqlite:PATH or postgresql://…)");
  out.dialect = Dialect::kSqlite;
  out.connector = "SQLite";
  out.connection = path;
  out.display = "sqlite:" + path;
  return out;
}

int64_t AsInt(const Value& v, int64_t fallback) {
  if (std::holds_alternative<int64_t>(v)) return std::get<int64_t>(v);
  if (std::holds_alternative<double>(v)) return static_cast<int64_t>(std::get<double>(v));
  if (std::holds_alternative<std::string>(v)) {
    try {
      return std::stoll(std::get<std::string>(v));
    } catch (...) {
      return fallback;
    }
  }
  return fallback;
}

std::string AsText(const Value& v, const std::string& fallback) {
  if (std::holds_alternative<std::string>(v)) return std::get<std::string>(v);
  if (std::holds_alternative<int64_t>(v)) return std::to_string(std::get<int64_t>(v));
  if (std::holds_alternative<double>(v)) return std::to_string(std::get<double>(v));
  return fallback;
}

std::optional<std::string> AsOptText(const Value& v) {
  if (IsNull(v)) return std::nullopt;
  return AsText(v);
}

bool IsNull(const Value& v) {
  return std::holds_alternative<std::monostate>(v);
}

// ---- PooledSession ----

struct PooledSession {
  std::unique_ptr<Poco::Data::Session> session;
  std::unique_ptr<SqliteStatements> stmts;  // SQLite; finalized before the session closes
  std::unique_ptr<PgStatements> pg;         // PostgreSQL
  ~PooledSession() { stmts.reset(); }
};

// ---- background checkpoints (SQLite) ----

// Copies committed pages from SQLite's write-ahead log into the database file on a thread of its
// own, so the writer does not stop for it after every thousand pages (SQLite's default). The log
// still stays short: when it passes kWriterCheckpointFrames the writer copies what is left itself,
// which also lets the next transaction start the log again from the beginning.
class Checkpointer {
 public:
  static constexpr int kBackgroundFrames = 1000;
  static constexpr int kWriterCheckpointFrames = 16384;  // 64 MB of 4 KB pages

  explicit Checkpointer(std::string path) : path_(std::move(path)) {}
  ~Checkpointer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  // Installed on every connection in place of SQLite's own automatic checkpoint; runs on the
  // committing thread, after the commit.
  static int OnCommit(void* self, sqlite3* db, const char* schema, int frames) {
    auto* me = static_cast<Checkpointer*>(self);
    if (frames >= kWriterCheckpointFrames) {
      me->WaitWhileCopying();  // two checkpoints cannot run at once
      sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    } else if (frames >= kBackgroundFrames) {
      me->Wake();
    }
    return SQLITE_OK;
  }

 private:
  void WaitWhileCopying() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return !copying_; });
  }

  void Wake() {
    std::lock_guard<std::mutex> lock(mu_);
    wanted_ = true;
    if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
    cv_.notify_all();
  }

  void Run() {
    // A connection learns that the file is in WAL mode when it first reads it, and until then a
    // checkpoint on it does nothing: hence the pragma. Without this connection there are no
    // background checkpoints, and the writer's own ones (above) still bound the log.
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK ||
        sqlite3_busy_timeout(db, 30000) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr) != SQLITE_OK) {
      sqlite3_close(db);
      return;
    }
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return wanted_ || stop_; });
      if (stop_) break;
      wanted_ = false;
      copying_ = true;
      lock.unlock();
      // PASSIVE never waits for readers or the writer; a checkpoint it cannot finish now is
      // finished by a later one.
      sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      lock.lock();
      copying_ = false;
      cv_.notify_all();
    }
    lock.unlock();
    sqlite3_close(db);
  }

  const std::string path_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_ = false, stop_ = false;
  bool copying_ = false;  // the thread is in a checkpoint
  std::thread thread_;
};

// ---- Conn ----

Conn::Conn(Db& db, std::unique_ptr<PooledSession> session)
    : db_(db), session_(std::move(session)) {}

Poco::Data::Session& Conn::session() {
  return *session_->session;
}

Conn::~Conn() {
  if (in_tx_) {
    Status st = Rollback();
    if (!st.ok())
      log::Write(log::Level::kWarn, "store.rollback_failed",
                 nlohmann::json::object({{"error", st.message()}}));
  }
  // A connection whose rollback failed may still be inside its transaction: it is closed rather
  // than pooled, so no later caller inherits that.
  if (rollback_failed_) session_.reset();
  db_.Return(std::move(session_));
}

Dialect Conn::dialect() const {
  return db_.dialect();
}

// What a failed statement's error starts with: on PostgreSQL the server it went to (password
// masked), so "connection lost" says which of several stores; SQLite's errors stay as they were.
std::string Conn::Where() const {
  return db_.dialect() == Dialect::kPostgres ? "database " + db_.url().display : "database";
}

std::string Conn::Sql(const std::string& sql) const {
  return dialect() == Dialect::kPostgres ? PostgresPlaceholders(sql) : sql;
}

Status Conn::Exec(const std::string& sql, const std::vector<Value>& params, size_t* affected) {
  if (session_->stmts && SqliteStatements::IsSingle(sql))
    return session_->stmts->Run(sql, params, nullptr, affected);
  if (session_->pg && SqliteStatements::IsSingle(sql))
    return session_->pg->Run(sql, params, nullptr, affected);
  try {
    Poco::Data::Statement st(session());
    st << Sql(sql);
    BindAll(st, params);
    size_t n = st.execute();
    if (affected) *affected = n;
    return Status::OK();
  } catch (const Poco::Exception& e) {
    return FromPoco(e, Where());
  }
}

Result<std::vector<Row>> Conn::Query(const std::string& sql, const std::vector<Value>& params) {
  if (session_->stmts) {
    std::vector<Row> rows;
    SENDSYNC_RETURN_IF_ERROR(session_->stmts->Run(sql, params, &rows, nullptr));
    return rows;
  }
  if (session_->pg) {
    std::vector<Row> rows;
    SENDSYNC_RETURN_IF_ERROR(session_->pg->Run(sql, params, &rows, nullptr));
    return rows;
  }
  try {
    Poco::Data::Statement st(session());
    st << Sql(sql);
    BindAll(st, params);
    st.execute();
    Poco::Data::RecordSet rs(st);
    std::vector<Row> rows;
    const size_t cols = rs.columnCount();
    std::vector<Poco::Data::MetaColumn::ColumnDataType> types(cols);
    for (size_t c = 0; c < cols; ++c) types[c] = rs.columnType(c);
    const size_t count = rs.rowCount();
    rows.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      Row row(cols);
      for (size_t c = 0; c < cols; ++c) {
        const Poco::Dynamic::Var& v = rs.value(c, i);
        if (v.isEmpty()) continue;
        using T = Poco::Data::MetaColumn;
        switch (types[c]) {
          case T::FDT_INT8:
          case T::FDT_UINT8:
          case T::FDT_INT16:
          case T::FDT_UINT16:
          case T::FDT_INT32:
          case T::FDT_UINT32:
          case T::FDT_INT64:
          case T::FDT_UINT64:
          case T::FDT_BOOL:
            row[c] = static_cast<int64_t>(v.convert<Poco::Int64>());
            break;
          case T::FDT_FLOAT:
          case T::FDT_DOUBLE:
            row[c] = v.convert<double>();
            break;
          default:
            row[c] = v.convert<std::string>();
        }
      }
      rows.push_back(std::move(row));
    }
    return rows;
  } catch (const Poco::Exception& e) {
    return FromPoco(e, Where());
  }
}

Status Conn::ExecEach(const std::string& sql, const std::vector<Row>& rows, bool each_changes_one) {
  if (rows.empty()) return Status::OK();
  if (session_->pg) return session_->pg->RunEach(sql, rows, each_changes_one);
  const size_t ncols = rows.front().size();
  for (const Row& r : rows)
    if (r.size() != ncols) return Status::Internal("ExecEach: rows of different widths");
  if (session_->stmts) return session_->stmts->RunEach(sql, rows, each_changes_one);
  try {  // not reached today: every SQLite session has its statements
    for (const Row& r : rows) {
      Poco::Data::Statement st(session());
      st << sql;
      BindAll(st, r);
      st.execute();
    }
    return Status::OK();
  } catch (const Poco::Exception& e) {
    return FromPoco(e, Where());
  }
}

Status Conn::InsertMany(const std::string& table, const std::vector<std::string>& columns,
                        const std::vector<Row>& rows, const std::string& suffix) {
  if (rows.empty()) return Status::OK();
  for (const Row& r : rows)
    if (r.size() != columns.size())
      return Status::Internal("InsertMany into " + table + ": a row has " +
                              std::to_string(r.size()) + " values for " +
                              std::to_string(columns.size()) + " columns");
  if (dialect() == Dialect::kSqlite) {
    // SQLite: one prepared single-row statement stepped per row; compiling a statement with
    // hundreds of VALUES groups cost more than the inserts themselves.
    std::string sql = "INSERT INTO " + table + " (";
    for (size_t i = 0; i < columns.size(); ++i) sql += (i ? "," : "") + columns[i];
    sql += ") VALUES (";
    for (size_t i = 0; i < columns.size(); ++i) sql += i ? ",?" : "?";
    sql += ")";
    if (!suffix.empty()) sql += " " + suffix;
    return ExecEach(sql, rows);
  }
  // PostgreSQL: a plain insert of more than a few rows is a COPY, which the server parses and plans
  // once for all of them (an upsert needs ON CONFLICT, which COPY lacks).
  if (session_->pg && suffix.empty() && rows.size() >= 8)
    return session_->pg->Copy(table, columns, rows);
  // Both databases cap bound parameters per statement (SQLite 32766, PostgreSQL 65535).
  const size_t per_stmt = std::max<size_t>(1, std::min<size_t>(500, 30000 / columns.size()));
  std::string head = "INSERT INTO " + table + " (";
  for (size_t i = 0; i < columns.size(); ++i) head += (i ? "," : "") + columns[i];
  head += ") VALUES ";
  std::string one = "(";
  for (size_t i = 0; i < columns.size(); ++i) one += i ? ",?" : "?";
  one += ")";
  for (size_t start = 0; start < rows.size(); start += per_stmt) {
    size_t end = std::min(rows.size(), start + per_stmt);
    std::string sql = head;
    sql.reserve(head.size() + (end - start) * (one.size() + 1) + suffix.size() + 1);
    std::vector<Value> params;
    params.reserve((end - start) * columns.size());
    for (size_t r = start; r < end; ++r) {
      if (r > start) sql += ',';
      sql += one;
      for (const Value& v : rows[r]) params.push_back(v);
    }
    if (!suffix.empty()) sql += " " + suffix;
    SENDSYNC_RETURN_IF_ERROR(Exec(sql, params));
  }
  return Status::OK();
}

Status Conn::Begin() {
  if (in_tx_) return Status::Internal("transaction already open");
  Status st = Exec(dialect() == Dialect::kSqlite ? "BEGIN IMMEDIATE" : "BEGIN");
  if (st.ok()) in_tx_ = true;
  return st;
}

namespace {
constexpr const char* kMoveHubGeneration = "UPDATE hub_generation SET n = n + 1 WHERE id = 1";
}  // namespace

Status Conn::HubChanged() {
  if (in_tx_) {
    hub_changed_ = true;
    return Status::OK();
  }
  return Exec(kMoveHubGeneration);
}

Status Conn::Commit() {
  if (!in_tx_) return Status::Internal("no transaction to commit");
  Status st = Status::OK();
  if (hub_changed_) st = Exec(kMoveHubGeneration);
  hub_changed_ = false;
  if (st.ok()) st = Exec("COMMIT");
  in_tx_ = false;
  if (!st.ok()) {
    Status rolled_back = Exec("ROLLBACK");
    if (!rolled_back.ok()) {  // the commit's error is the one to report; this one is logged
      rollback_failed_ = true;
      log::Write(log::Level::kWarn, "store.rollback_failed",
                 nlohmann::json::object({{"error", rolled_back.message()}}));
    }
  }
  return st;
}

Status Conn::Rollback() {
  if (!in_tx_) return Status::OK();
  in_tx_ = false;
  hub_changed_ = false;
  Status st = Exec("ROLLBACK");
  if (!st.ok()) rollback_failed_ = true;
  return st;
}

// ---- Tx ----

Tx::Tx(Conn& conn) : conn_(conn), begun_(conn.Begin()) {}

Tx::~Tx() {
  if (!done_ && begun_.ok()) {
    Status st = conn_.Rollback();
    if (!st.ok())  // nothing was committed; the connection is closed rather than reused (~Conn)
      log::Write(log::Level::kWarn, "store.rollback_failed",
                 nlohmann::json::object({{"error", st.message()}}));
  }
}

Status Tx::Commit() {
  if (!begun_.ok()) return begun_;
  done_ = true;
  return conn_.Commit();
}

// ---- Db ----

Result<std::unique_ptr<Db>> Db::Open(const std::string& url, OpenMode mode) {
  RegisterConnectors();
  auto parsed = ParseStoreUrl(url);
  if (!parsed.ok()) return parsed.status();
  if (parsed->dialect == Dialect::kSqlite && parsed->connection != ":memory:" &&
      mode == OpenMode::kMustExist) {
    // SQLite would create a missing file on connecting: look first, and create nothing.
    std::error_code ec;
    if (!fs::is_regular_file(parsed->connection, ec))
      return Status::NotFound("no store at " + parsed->display + "; run sendsync init");
  } else if (parsed->dialect == Dialect::kSqlite) {
    fs::path p(parsed->connection);
    std::error_code ec;
    if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
    if (ec)
      return Status::IoError("cannot create the folder for " + parsed->connection + ": " +
                             ec.message());
  }
  std::unique_ptr<Db> db(new Db(std::move(*parsed)));
  auto conn = db->Connect();
  if (!conn.ok()) return conn.status();
  return db;
}

Db::Db(StoreUrl url) : url_(std::move(url)) {
  if (url_.dialect == Dialect::kSqlite && url_.connection != ":memory:")
    checkpointer_ = std::make_unique<Checkpointer>(url_.connection);
}
Db::~Db() {
  // The pooled connections close after the checkpointer's thread has stopped; the last one to
  // close copies what is left of the log into the database file.
  checkpointer_.reset();
}

Result<std::unique_ptr<PooledSession>> Db::NewSession() {
  try {
    auto p = std::make_unique<PooledSession>();
    p->session = std::make_unique<Poco::Data::Session>(url_.connector, url_.connection);
    if (url_.dialect == Dialect::kSqlite) {
      Poco::Data::Session& s = *p->session;
      // WAL lets readers work while a sync writes; foreign keys are per connection in SQLite.
      s << "PRAGMA journal_mode=WAL", now;
      s << "PRAGMA synchronous=NORMAL", now;
      s << "PRAGMA foreign_keys=ON", now;
      s << "PRAGMA busy_timeout=30000", now;
      sqlite3* handle = Poco::Data::SQLite::Utility::dbHandle(s);
      p->stmts = std::make_unique<SqliteStatements>(handle);
      if (checkpointer_) sqlite3_wal_hook(handle, &Checkpointer::OnCommit, checkpointer_.get());
    } else {
      auto* impl = dynamic_cast<Poco::Data::PostgreSQL::SessionImpl*>(p->session->impl());
      if (!impl) return Status::Internal("the PostgreSQL connector made no PostgreSQL session");
      PGconn* handle = impl->handle();
      p->pg = std::make_unique<PgStatements>(handle, "database " + url_.display);
      // Statements stay prepared for the connection's life while a sync grows the hub's tables
      // from nothing to millions of rows, faster than autovacuum's ANALYZE follows. A generic plan
      // made while a table was small (a sequential scan) would then be kept: 400 ms a lookup at
      // 100,000 rows. Custom plans see each table's current size; planning costs well under 1 ms.
      SENDSYNC_RETURN_IF_ERROR(
          p->pg->Run("SET plan_cache_mode = force_custom_plan", {}, nullptr, nullptr));
    }
    return p;
  } catch (const Poco::Exception& e) {
    return FromPoco(e, "cannot open store " + url_.display);
  }
}

Result<std::unique_ptr<Conn>> Db::Connect() {
  std::unique_ptr<PooledSession> s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      s = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (!s) {
    auto fresh = NewSession();
    if (!fresh.ok()) return fresh.status();
    s = std::move(*fresh);
  }
  return std::make_unique<Conn>(*this, std::move(s));
}

void Db::Return(std::unique_ptr<PooledSession> s) {
  if (!s) return;
  // A connection the server ended (restart, network cut) is closed, not pooled: the next caller
  // opens a fresh one instead of failing on it again.
  try {
    if (!s->session->isConnected()) return;
  } catch (const Poco::Exception&) {
    return;
  }
  // Enough idle connections for the API server's concurrent calls and the scheduler's runs, so a
  // busy server reuses connections (and their prepared statements) instead of opening new ones.
  constexpr size_t kMaxIdle = 32;
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(s));
}

}  // namespace sendsync::store
