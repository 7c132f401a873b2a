// Prepared SQLite statements kept per connection. Poco::Data (1.11) compiles a statement again on
// every execution, and the store runs the same few dozen statements thousands of times a second
// (a sync page, an API request), so on SQLite the store steps statements it prepared once on the
// session's own sqlite3 handle. Poco::Data still opens, configures and owns the connection, and
// runs PostgreSQL. Internal to core/store.
#pragma once

#include <list>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/store/db.h"

struct sqlite3;
struct sqlite3_stmt;

namespace sendsync::store {

class SqliteStatements {
 public:
  explicit SqliteStatements(sqlite3* db) : db_(db) {}
  ~SqliteStatements();  // finalizes every statement (before the connection closes)
  SqliteStatements(const SqliteStatements&) = delete;
  SqliteStatements& operator=(const SqliteStatements&) = delete;

  // Runs `sql` (one statement) with `params` bound in order. With `rows`, every result row is
  // appended, typed by SQLite's storage class; `changes` gets the rows the statement changed.
  Status Run(const std::string& sql, const std::vector<Value>& params, std::vector<Row>* rows,
             size_t* changes);
  // Runs `sql` once per row of parameters (one compiled statement); with `each_changes_one`, a
  // row that changes no row or several is an error.
  Status RunEach(const std::string& sql, const std::vector<Row>& rows, bool each_changes_one);

  // Whether `sql` holds exactly one statement (the rest is blank or a comment). Several statements
  // go through Poco::Data, which runs them in turn.
  static bool IsSingle(const std::string& sql);

 private:
  Result<sqlite3_stmt*> Prepare(const std::string& sql);
  Status Error(int rc, const std::string& what) const;

  struct Entry {
    sqlite3_stmt* stmt = nullptr;
    std::list<std::string>::iterator lru;
  };
  sqlite3* db_;
  std::unordered_map<std::string, Entry> cache_;
  std::list<std::string> lru_;  // most recently used first
};

}  // namespace sendsync::store
