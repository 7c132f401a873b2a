#include "core/store/pg_stmts.h"

#include <charconv>
#include <cstdlib>
#include <memory>

#include <libpq-fe.h>

namespace sendsync::store {

namespace {

// At most this many statements stay prepared per connection; IN-lists of varying length make
// statements that are used once, and those fall out first.
constexpr size_t kMaxCached = 96;
// Rows sent in one pipeline before their answers are read. Each answer is a few dozen bytes, so a
// chunk's answers always fit the socket's buffers while the rows are still being sent.
constexpr size_t kPipelineChunk = 256;

// Type OIDs (PostgreSQL's catalog/pg_type.dat) of the values read back typed.
constexpr Oid kBool = 16, kInt8 = 20, kInt2 = 21, kInt4 = 23, kOid = 26, kFloat4 = 700,
              kFloat8 = 701, kNumeric = 1700;

struct ClearResult {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ClearResult>;

// The parameters of one execution as libpq takes them: text, NULL for SQL NULL.
class TextParams {
 public:
  explicit TextParams(const std::vector<Value>& params) {
    text_.resize(params.size());
    ptrs_.resize(params.size(), nullptr);
    for (size_t i = 0; i < params.size(); ++i) {
      const Value& v = params[i];
      if (const auto* n = std::get_if<int64_t>(&v)) {
        text_[i] = std::to_string(*n);
      } else if (const auto* d = std::get_if<double>(&v)) {
        char buf[64];
        auto end = std::to_chars(buf, buf + sizeof buf, *d).ptr;  // shortest exact form
        text_[i].assign(buf, end);
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        text_[i] = *s;
      } else {
        continue;  // NULL
      }
      ptrs_[i] = text_[i].c_str();
    }
  }
  int count() const { return static_cast<int>(ptrs_.size()); }
  const char* const* values() const { return ptrs_.data(); }

 private:
  std::vector<std::string> text_;
  std::vector<const char*> ptrs_;
};

Value ReadValue(const PGresult* res, int row, int col) {
  if (PQgetisnull(res, row, col)) return {};
  const char* p = PQgetvalue(res, row, col);
  switch (PQftype(res, col)) {
    case kInt2:
    case kInt4:
    case kInt8:
    case kOid:
      return static_cast<int64_t>(std::strtoll(p, nullptr, 10));
    case kBool:
      return int64_t{p[0] == 't' ? 1 : 0};
    case kFloat4:
    case kFloat8:
    case kNumeric:
      return std::strtod(p, nullptr);
    default:
      return std::string(p, static_cast<size_t>(PQgetlength(res, row, col)));
  }
}

void ReadRows(const PGresult* res, std::vector<Row>& rows) {
  const int n = PQntuples(res), cols = PQnfields(res);
  rows.reserve(rows.size() + static_cast<size_t>(n));
  for (int r = 0; r < n; ++r) {
    Row row(static_cast<size_t>(cols));
    for (int c = 0; c < cols; ++c) row[static_cast<size_t>(c)] = ReadValue(res, r, c);
    rows.push_back(std::move(row));
  }
}

size_t Changed(const PGresult* res) {
  const char* n = PQcmdTuples(const_cast<PGresult*>(res));
  return n && *n ? static_cast<size_t>(std::strtoull(n, nullptr, 10)) : 0;
}

bool Succeeded(const PGresult* res) {
  const ExecStatusType s = PQresultStatus(res);
  return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

// The first line of the server's message, without libpq's "ERROR:  " prefix.
std::string FirstLine(const char* m) {
  std::string s = m ? m : "";
  if (s.rfind("ERROR:  ", 0) == 0) s = s.substr(8);
  size_t nl = s.find('\n');
  if (nl != std::string::npos) s.resize(nl);
  size_t p = s.find("password=");  // libpq may repeat a connection string; never a password
  if (p != std::string::npos) s = s.substr(0, p) + "password=***";
  return s;
}

// Converts `?` placeholders (outside quotes) to PostgreSQL's $1, $2, ...
std::string Dollars(const std::string& sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  bool quoted = false;
  for (char c : sql) {
    if (c == '\'') quoted = !quoted;
    if (c == '?' && !quoted) {
      out += "$" + std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

// Appends one value in COPY's text format: \N for NULL; backslash, tab, newline and carriage
// return escaped in text (the only characters COPY's text format gives a meaning).
void AppendCopyValue(const Value& v, std::string& out) {
  if (const auto* n = std::get_if<int64_t>(&v)) {
    char buf[24];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, *n).ptr);
  } else if (const auto* d = std::get_if<double>(&v)) {
    char buf[64];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, *d).ptr);
  } else if (const auto* s = std::get_if<std::string>(&v)) {
    for (char c : *s) {
      switch (c) {
        case '\\':
          out += "\\\\";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        default:
          out += c;
      }
    }
  } else {
    out += "\\N";
  }
}

}  // namespace

std::string PostgresPlaceholders(const std::string& sql) {
  return Dollars(sql);
}

Status PgStatements::ConnectionError(const std::string& what) const {
  std::string m = FirstLine(PQerrorMessage(conn_));
  return Status::Unavailable(where_ + ": " + what + (m.empty() ? "" : ": " + m));
}

Status PgStatements::Error(const PGresult* res, const std::string& what) const {
  if (PQstatus(conn_) != CONNECTION_OK) return ConnectionError(what + " (connection lost)");
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  const std::string code = state ? state : "";
  std::string m = where_ + ": " + what + ": " +
                  FirstLine(res ? PQresultErrorMessage(res) : PQerrorMessage(conn_));
  if (!code.empty()) m += " (SQLSTATE " + code + ")";
  // Codes, not wording, decide: a unique key taken; the connection, the server shutting down, a
  // serialization failure, deadlock or lock timeout (worth retrying); anything else.
  if (code == "23505") return Status::AlreadyExists(m);
  if (code.rfind("08", 0) == 0 || code == "57P01" || code == "57P02" || code == "57P03" ||
      code == "40001" || code == "40P01" || code == "55P03")
    return Status::Unavailable(m);
  return Status::IoError(m);
}

Result<std::string> PgStatements::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return it->second.name;
  }
  std::string name = "sendsync_" + std::to_string(++next_name_);
  ResultPtr res(PQprepare(conn_, name.c_str(), Dollars(sql).c_str(), 0, nullptr));
  if (!res || PQresultStatus(res.get()) != PGRES_COMMAND_OK)
    return Error(res.get(), "cannot prepare a statement");
  if (cache_.size() >= kMaxCached) {
    auto last = cache_.find(lru_.back());
    // Fails harmlessly inside an aborted transaction; the statement then lives on with the
    // connection, unused.
    ResultPtr gone(PQexec(conn_, ("DEALLOCATE " + last->second.name).c_str()));
    cache_.erase(last);
    lru_.pop_back();
  }
  lru_.push_front(sql);
  cache_.emplace(sql, Entry{name, lru_.begin()});
  return name;
}

Status PgStatements::Run(const std::string& sql, const std::vector<Value>& params,
                         std::vector<Row>* rows, size_t* changes) {
  auto name = Prepare(sql);
  if (!name.ok()) return name.status();
  TextParams p(params);
  ResultPtr res(
      PQexecPrepared(conn_, name->c_str(), p.count(), p.values(), nullptr, nullptr, /*text=*/0));
  if (!res || !Succeeded(res.get())) return Error(res.get(), "statement failed");
  if (rows) ReadRows(res.get(), *rows);
  if (changes) *changes = Changed(res.get());
  return Status::OK();
}

Status PgStatements::RunEach(const std::string& sql, const std::vector<Row>& rows,
                             bool each_changes_one) {
  auto name = Prepare(sql);
  if (!name.ok()) return name.status();
  if (PQenterPipelineMode(conn_) != 1) return ConnectionError("cannot start a pipeline");
  Status first;  // the first failure; the rest of the chunk's answers are still read
  for (size_t start = 0; start < rows.size() && first.ok(); start += kPipelineChunk) {
    const size_t end = std::min(rows.size(), start + kPipelineChunk);
    size_t sent = start;
    for (; sent < end; ++sent) {
      TextParams p(rows[sent]);
      if (!PQsendQueryPrepared(conn_, name->c_str(), p.count(), p.values(), nullptr, nullptr, 0))
        break;
    }
    if (sent < end) first = ConnectionError("cannot send row " + std::to_string(sent));
    if (!PQpipelineSync(conn_)) {
      if (first.ok()) first = ConnectionError("cannot end a pipeline");
      break;  // nothing more can be read in order; the connection is not reused (Conn::Rollback)
    }
    for (size_t i = start; i < sent; ++i) {
      ResultPtr res(PQgetResult(conn_));
      if (!res) {
        if (first.ok()) first = ConnectionError("no answer for row " + std::to_string(i));
        break;
      }
      const ExecStatusType s = PQresultStatus(res.get());
      if (s == PGRES_PIPELINE_ABORTED) {  // after an earlier row failed
      } else if (!Succeeded(res.get())) {
        if (first.ok()) first = Error(res.get(), "row " + std::to_string(i) + " of a batch failed");
      } else if (each_changes_one && first.ok() && Changed(res.get()) != 1) {
        first = Status::FailedPrecondition("row " + std::to_string(i) + " of the batch changed " +
                                           std::to_string(Changed(res.get())) + " rows, not 1");
      }
      while (ResultPtr more{PQgetResult(conn_)}) {  // the end of this row's answers
      }
    }
    ResultPtr sync(PQgetResult(conn_));
    if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) {
      if (first.ok()) first = ConnectionError("a pipeline ended out of order");
      break;
    }
  }
  if (PQexitPipelineMode(conn_) != 1 && first.ok())
    first = ConnectionError("cannot end pipeline mode");
  return first;
}

Status PgStatements::Copy(const std::string& table, const std::vector<std::string>& columns,
                          const std::vector<Row>& rows) {
  std::string sql = "COPY " + table + " (";
  for (size_t i = 0; i < columns.size(); ++i) sql += (i ? "," : "") + columns[i];
  sql += ") FROM STDIN";
  ResultPtr start(PQexec(conn_, sql.c_str()));
  if (!start || PQresultStatus(start.get()) != PGRES_COPY_IN)
    return Error(start.get(), "cannot start copying into " + table);
  constexpr size_t kSendAt = 1 << 20;  // bytes buffered before they go to the server
  std::string buf;
  buf.reserve(kSendAt + 4096);
  bool sent = true;
  for (size_t r = 0; r < rows.size() && sent; ++r) {
    for (size_t c = 0; c < rows[r].size(); ++c) {
      if (c) buf += '\t';
      AppendCopyValue(rows[r][c], buf);
    }
    buf += '\n';
    if (buf.size() >= kSendAt || r + 1 == rows.size()) {
      sent = PQputCopyData(conn_, buf.data(), static_cast<int>(buf.size())) == 1;
      buf.clear();
    }
  }
  // Ending with an error message makes the server refuse the whole copy.
  if (PQputCopyEnd(conn_, sent ? nullptr : "the client could not send every row") != 1)
    return ConnectionError("cannot finish copying into " + table);
  ResultPtr res(PQgetResult(conn_));
  Status st = Status::OK();
  if (!res || PQresultStatus(res.get()) != PGRES_COMMAND_OK)
    st = Error(res.get(), "copying into " + table + " failed");
  else if (!sent)
    st = ConnectionError("cannot send rows to " + table);
  while (ResultPtr more{PQgetResult(conn_)}) {  // the end of the copy's answers
  }
  return st;
}

}  // namespace sendsync::store
