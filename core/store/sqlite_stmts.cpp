#include "core/store/sqlite_stmts.h"

#include <sqlite3.h>

namespace sendsync::store {

namespace {

// At most this many statements stay prepared per connection; IN-lists of varying length make
// statements that are used once, and those fall out first.
constexpr size_t kMaxCached = 96;

// Resets a statement (releasing its read or write cursor) and its bindings when a run ends.
struct ResetOnExit {
  sqlite3_stmt* stmt;
  ~ResetOnExit() {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  }
};

int Bind(sqlite3_stmt* stmt, const std::vector<Value>& params) {
  if (static_cast<int>(params.size()) != sqlite3_bind_parameter_count(stmt)) return SQLITE_RANGE;
  for (size_t i = 0; i < params.size(); ++i) {
    const int at = static_cast<int>(i) + 1;
    const Value& v = params[i];
    int rc = SQLITE_OK;
    if (const auto* n = std::get_if<int64_t>(&v)) {
      rc = sqlite3_bind_int64(stmt, at, *n);
    } else if (const auto* d = std::get_if<double>(&v)) {
      rc = sqlite3_bind_double(stmt, at, *d);
    } else if (const auto* s = std::get_if<std::string>(&v)) {
      // Not copied: the text outlives the step, and ResetOnExit clears the bindings before the
      // caller's values go (copying every body and base cost 8 % of a sync's commit thread).
      rc = sqlite3_bind_text64(stmt, at, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
    } else {
      rc = sqlite3_bind_null(stmt, at);
    }
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

Row ReadRow(sqlite3_stmt* stmt) {
  const int cols = sqlite3_column_count(stmt);
  Row row(static_cast<size_t>(cols));
  for (int c = 0; c < cols; ++c) {
    switch (sqlite3_column_type(stmt, c)) {
      case SQLITE_INTEGER:
        row[c] = static_cast<int64_t>(sqlite3_column_int64(stmt, c));
        break;
      case SQLITE_FLOAT:
        row[c] = sqlite3_column_double(stmt, c);
        break;
      case SQLITE_NULL:
        break;
      default: {  // TEXT or BLOB: bytes as they are
        const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, c));
        row[c] = std::string(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(stmt, c)));
      }
    }
  }
  return row;
}

}  // namespace

SqliteStatements::~SqliteStatements() {
  for (auto& [sql, e] : cache_) sqlite3_finalize(e.stmt);
}

bool SqliteStatements::IsSingle(const std::string& sql) {
  char quote = 0;
  bool after_end = false;
  for (char c : sql) {
    if (quote) {
      if (c == quote) quote = 0;
      continue;
    }
    if (after_end && c != ';' && c != ' ' && c != '\n' && c != '\t' && c != '\r') return false;
    if (c == '\'' || c == '"') quote = c;
    if (c == ';') after_end = true;
  }
  return true;
}

Status SqliteStatements::Error(int rc, const std::string& what) const {
  std::string m = what + ": " + sqlite3_errmsg(db_) + " (" + sqlite3_errstr(rc) + ")";
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) return Status::Unavailable("database: " + m);
  const int ext = sqlite3_extended_errcode(db_);
  if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
    return Status::AlreadyExists("database: " + m);
  return Status::IoError("database: " + m);
}

Result<sqlite3_stmt*> SqliteStatements::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return it->second.stmt;
  }
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return Error(rc, "cannot prepare a statement");
  }
  if (cache_.size() >= kMaxCached) {
    auto last = cache_.find(lru_.back());
    sqlite3_finalize(last->second.stmt);
    cache_.erase(last);
    lru_.pop_back();
  }
  lru_.push_front(sql);
  cache_.emplace(sql, Entry{stmt, lru_.begin()});
  return stmt;
}

Status SqliteStatements::Run(const std::string& sql, const std::vector<Value>& params,
                             std::vector<Row>* rows, size_t* changes) {
  auto stmt = Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  ResetOnExit reset{*stmt};
  if (int rc = Bind(*stmt, params); rc != SQLITE_OK) return Error(rc, "cannot bind parameters");
  for (;;) {
    int rc = sqlite3_step(*stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return Error(rc, "statement failed");
    if (rows) rows->push_back(ReadRow(*stmt));
  }
  if (changes) *changes = static_cast<size_t>(sqlite3_changes64(db_));
  return Status::OK();
}

Status SqliteStatements::RunEach(const std::string& sql, const std::vector<Row>& rows,
                                 bool each_changes_one) {
  auto stmt = Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  ResetOnExit reset{*stmt};  // the last row's bindings point into `rows`: cleared on the way out
  for (size_t i = 0; i < rows.size(); ++i) {
    // Every parameter is bound again for each row, so the statement is only reset between rows
    // (clearing bindings there too cost 3 % of a sync's commit thread).
    if (i > 0) sqlite3_reset(*stmt);
    if (int rc = Bind(*stmt, rows[i]); rc != SQLITE_OK)
      return Error(rc, "cannot bind row " + std::to_string(i) + " of a batch");
    int rc = sqlite3_step(*stmt);
    while (rc == SQLITE_ROW) rc = sqlite3_step(*stmt);
    if (rc != SQLITE_DONE) return Error(rc, "row " + std::to_string(i) + " of a batch failed");
    if (each_changes_one && sqlite3_changes(db_) != 1)
      return Status::FailedPrecondition("row " + std::to_string(i) + " of the batch changed " +
                                        std::to_string(sqlite3_changes(db_)) + " rows, not 1");
  }
  return Status::OK();
}

}  // namespace sendsync::store
