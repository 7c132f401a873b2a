// Prepared PostgreSQL statements kept per connection, run through libpq. Poco::Data (1.11) prepares
// and deallocates a statement on every execution (two round trips each) and binds no containers,
// so a page of a sync cost several round trips per record on PostgreSQL. Here each statement is
// prepared once per connection (by its text) and a batch of rows is sent in libpq's pipeline mode:
// every row's execution goes out at once and the answers are read after, one round trip per chunk.
// Poco::Data still opens, configures and owns the connection, and runs scripts of several
// statements. Internal to core/store.
#pragma once

#include <list>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/store/db.h"

struct pg_conn;
struct pg_result;

namespace sendsync::store {

class PgStatements {
 public:
  // `where` starts every error ("database postgresql://user:***@host:port/db"), never a password.
  PgStatements(pg_conn* conn, std::string where) : conn_(conn), where_(std::move(where)) {}
  ~PgStatements() = default;  // the statements go with the connection
  PgStatements(const PgStatements&) = delete;
  PgStatements& operator=(const PgStatements&) = delete;

  // Runs `sql` (one statement, `$n` placeholders) with `params` bound in order, as text, typed by
  // the server from the statement as Poco's connector did. With `rows`, every result row is
  // appended (integers, booleans as 0/1 and floating types typed; the rest as text; NULL as
  // monostate); `changes` gets the rows the statement changed.
  Status Run(const std::string& sql, const std::vector<Value>& params, std::vector<Row>* rows,
             size_t* changes);
  // Runs `sql` once per row of parameters, pipelined. With `each_changes_one`, a row that changes
  // no row or several is FailedPrecondition naming the row. On an error the rows after it are not
  // run (the server aborts the rest of the pipeline, and the caller's transaction with it).
  Status RunEach(const std::string& sql, const std::vector<Row>& rows, bool each_changes_one);
  // Inserts `rows` into `table` with COPY … FROM STDIN (text format): the server parses no
  // statement per row and plans nothing. All or nothing, like one INSERT.
  Status Copy(const std::string& table, const std::vector<std::string>& columns,
              const std::vector<Row>& rows);

 private:
  Result<std::string> Prepare(const std::string& sql);  // the prepared statement's name
  Status Error(const pg_result* res, const std::string& what) const;
  Status ConnectionError(const std::string& what) const;

  struct Entry {
    std::string name;
    std::list<std::string>::iterator lru;
  };
  pg_conn* conn_;
  std::string where_;
  std::unordered_map<std::string, Entry> cache_;
  std::list<std::string> lru_;  // most recently used first
  uint64_t next_name_ = 0;
};

}  // namespace sendsync::store
