// The database connection layer under the store: opens SQLite (the embedded default) or PostgreSQL
// by URL through Poco::Data, pools connections, runs transactions, and hides the few dialect
// differences (placeholders, BEGIN IMMEDIATE). SQL is written once with `?` placeholders.
// Internal to core/store; other folders use core/store/store.h.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "sendsync/sdk/status.h"

namespace Poco::Data {
class Session;
}

namespace sendsync::store {

enum class Dialect { kSqlite, kPostgres };

// Whether opening may create the store. Only `sendsync init` creates one; everything else opens an
// existing store, so that a mistyped path fails instead of starting an empty store.
enum class OpenMode { kMustExist, kCreate };

// A parsed store URL. Accepted forms:
//   sqlite:/path/to/file.db   sqlite:relative.db   /path/to/file.db   file.db
//   postgresql://user[:password]@host[:port]/dbname   (postgres:// too; ?sslmode=... kept)
struct StoreUrl {
  Dialect dialect = Dialect::kSqlite;
  std::string connector;   // Poco connector name: "SQLite" or "PostgreSQL"
  std::string connection;  // what Poco::Data gets: a file path, or a libpq connection string
  std::string display;     // the URL with any password replaced by ***, safe to print
};
Result<StoreUrl> ParseStoreUrl(const std::string& url);

// One SQL value. Null is std::monostate.
using Value = std::variant<std::monostate, int64_t, double, std::string>;
using Row = std::vector<Value>;

// Helpers to read a Value.
int64_t AsInt(const Value& v, int64_t fallback = 0);
std::string AsText(const Value& v, const std::string& fallback = "");
std::optional<std::string> AsOptText(const Value& v);
bool IsNull(const Value& v);

// `sql` with its `?` placeholders (outside quotes) numbered for PostgreSQL: $1, $2, ...
std::string PostgresPlaceholders(const std::string& sql);

class Db;
class Checkpointer;    // SQLite: copies the write-ahead log into the database in the background
struct PooledSession;  // a Poco::Data session and its prepared statements (SQLite or libpq)

// A pooled connection; returns itself to the pool when destroyed. Not thread-safe: one per thread.
class Conn {
 public:
  Conn(Db& db, std::unique_ptr<PooledSession> session);
  ~Conn();
  Conn(Conn&&) = delete;

  Dialect dialect() const;

  // Runs one statement with `?` placeholders bound to `params`. *affected gets the row count.
  Status Exec(const std::string& sql, const std::vector<Value>& params = {},
              size_t* affected = nullptr);
  // Runs a query and returns every row (values typed as the database reports them).
  Result<std::vector<Row>> Query(const std::string& sql, const std::vector<Value>& params = {});
  // Inserts rows in multi-row INSERT statements of a size both databases accept.
  // `suffix` is appended to each statement (e.g. "ON CONFLICT (...) DO UPDATE SET ...").
  Status InsertMany(const std::string& table, const std::vector<std::string>& columns,
                    const std::vector<Row>& rows, const std::string& suffix = "");
  // Runs one statement once per row of parameters (SQLite: compiled once and stepped per row).
  // With `each_changes_one`, a row that changes no row (or several) fails with
  // FailedPrecondition, on both databases.
  Status ExecEach(const std::string& sql, const std::vector<Row>& rows,
                  bool each_changes_one = false);

  // Transactions: Begin takes the write lock at once on SQLite (BEGIN IMMEDIATE) so two writers
  // never deadlock on an upgrade; on PostgreSQL it is a plain BEGIN.
  Status Begin();
  Status Commit();
  Status Rollback();
  bool in_transaction() const { return in_tx_; }

  // Rewrites `?` placeholders for this connection's dialect ($1, $2, … on PostgreSQL).
  std::string Sql(const std::string& sql) const;

  // Notes that this connection changed what the API's caches hold (store::HubGeneration). Inside
  // a transaction the generation moves once, as the transaction's last statement before COMMIT,
  // so a transaction holds the generation's row lock only while it commits (on PostgreSQL every
  // writer on every host takes it); outside one it moves at once.
  Status HubChanged();

 private:
  Poco::Data::Session& session();
  std::string Where() const;

  Db& db_;
  std::unique_ptr<PooledSession> session_;
  bool in_tx_ = false;
  bool hub_changed_ = false;      // in this transaction: move the hub generation before COMMIT
  bool rollback_failed_ = false;  // then ~Conn closes the session instead of pooling it
};

// Commits only when told to; rolls back otherwise (early return, error, exception).
class Tx {
 public:
  explicit Tx(Conn& conn);
  ~Tx();
  Status status() const { return begun_; }
  Status Commit();

 private:
  Conn& conn_;
  Status begun_;
  bool done_ = false;
};

class Db {
 public:
  // Opens the database and checks it answers. With kCreate a missing SQLite file (and its folder)
  // is created; with kMustExist it is NotFound ("no store at …; run sendsync init") and nothing is
  // created. (A PostgreSQL database is never created here.)
  static Result<std::unique_ptr<Db>> Open(const std::string& url, OpenMode mode);
  ~Db();

  Dialect dialect() const { return url_.dialect; }
  const StoreUrl& url() const { return url_; }

  // A connection from the pool (opened when none is idle).
  Result<std::unique_ptr<Conn>> Connect();

 private:
  friend class Conn;
  explicit Db(StoreUrl url);
  Result<std::unique_ptr<PooledSession>> NewSession();
  void Return(std::unique_ptr<PooledSession> s);

  const StoreUrl url_;
  std::unique_ptr<Checkpointer> checkpointer_;  // SQLite files only
  std::mutex mu_;
  std::vector<std::unique_ptr<PooledSession>> idle_;  // guarded by mu_
};

}  // namespace sendsync::store
