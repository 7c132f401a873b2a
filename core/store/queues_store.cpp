// The queues a person works through (quarantine, conflicts, match queue) and the outbox.
#include <algorithm>
#include <map>

#include "base/hash/sha256.h"
#include "core/store/sql_util.h"
#include "core/store/store.h"
#include "sendsync/sdk/wire_enum.h"

namespace sendsync::store {

using detail::InList;
using detail::OptIntOf;
using detail::TextOrNull;
using nlohmann::json;

namespace {

json JsonOr(const std::string& text, json fallback) {
  json j = json::parse(text, nullptr, false);
  return j.is_discarded() ? fallback : j;
}

// WHERE clause for a QueueFilter on table alias q (joined to links l for the school filter).
std::string FilterSql(const QueueFilter& f, std::vector<Value>& params) {
  std::string w = " WHERE 1 = 1";
  if (!f.status.empty()) {
    w += " AND q.status = ?";
    params.push_back(f.status);
  }
  if (f.link_id) {
    w += " AND q.link_id = ?";
    params.push_back(f.link_id);
  }
  if (!f.school_urn.empty()) {
    w += " AND q.link_id IN (SELECT id FROM links WHERE school_urn = ?)";
    params.push_back(f.school_urn);
  }
  if (f.after_id) {
    w += " AND q.id > ?";
    params.push_back(f.after_id);
  }
  w += " ORDER BY q.id LIMIT ?";
  params.push_back(f.limit > 0 ? f.limit : 100);
  return w;
}

// A status-like column read into its enum. A value this host does not know is damage, reported
// with its table and row, never guessed at.
template <typename E, size_t N>
Result<E> EnumColumn(const wire::EnumTable<E, N>& names, const Row& r, size_t col,
                     const char* table) {
  auto v = names.Parse(AsText(r[col]));
  if (!v.ok())
    return Status::Corruption(std::string(table) + " row " + std::to_string(AsInt(r[0])) + ": " +
                              v.status().message());
  return v;
}

Result<int64_t> Ids(Conn& conn, const char* seq, size_t n) {
  if (n == 0) return int64_t{0};
  return AllocateIds(conn, seq, static_cast<int64_t>(n));
}

// ---- quarantine ----
const char* kQCols =
    "q.id, q.link_id, q.kind, q.external_id, q.upn, q.raw, q.reasons, q.status, q.run_id, "
    "q.created_at, q.resolved_at, q.resolved_by, q.note, q.times_seen, q.last_seen_at";

Result<QuarantineItem> QOf(const Row& r) {
  auto status = EnumColumn(kReviewStatusNames, r, 7, "quarantine");
  if (!status.ok()) return status.status();
  QuarantineItem q;
  q.id = AsInt(r[0]);
  q.link_id = AsInt(r[1]);
  q.kind = AsText(r[2]);
  q.external_id = AsText(r[3]);
  q.upn = AsText(r[4]);
  q.raw = AsText(r[5]);
  q.reasons = JsonOr(AsText(r[6]), json::array());
  q.status = *status;
  q.run_id = AsInt(r[8]);
  q.created_at = AsInt(r[9]);
  q.resolved_at = OptIntOf(r[10]);
  q.resolved_by = AsText(r[11]);
  q.note = AsText(r[12]);
  q.times_seen = AsInt(r[13]);
  q.last_seen_at = OptIntOf(r[14]).value_or(q.created_at);
  return q;
}

// What makes two quarantine items "the same record refused for the same reasons".
std::string PayloadHash(const QuarantineItem& q) {
  return hash::Sha256Hex(q.kind + '\0' + q.raw + '\0' + q.reasons.dump());
}

// ---- conflicts ----
const char* kCCols =
    "q.id, q.link_id, q.kind, q.record_id, q.external_id, q.field, q.base, q.ours, q.theirs, "
    "q.status, q.run_id, q.created_at, q.resolved_at, q.resolved_by, q.resolution, "
    "q.resolved_value";

Result<Conflict> COf(const Row& r) {
  auto status = EnumColumn(kReviewStatusNames, r, 9, "conflicts");
  if (!status.ok()) return status.status();
  std::optional<ConflictResolution> resolution;
  if (!AsText(r[14]).empty()) {
    auto parsed = EnumColumn(kConflictResolutionNames, r, 14, "conflicts");
    if (!parsed.ok()) return parsed.status();
    resolution = *parsed;
  }
  Conflict c;
  c.id = AsInt(r[0]);
  c.link_id = AsInt(r[1]);
  c.kind = AsText(r[2]);
  c.record_id = AsInt(r[3]);
  c.external_id = AsText(r[4]);
  c.field = AsText(r[5]);
  c.base = AsOptText(r[6]);
  c.ours = AsOptText(r[7]);
  c.theirs = AsOptText(r[8]);
  c.status = *status;
  c.run_id = AsInt(r[10]);
  c.created_at = AsInt(r[11]);
  c.resolved_at = OptIntOf(r[12]);
  c.resolved_by = AsText(r[13]);
  c.resolution = resolution;
  c.resolved_value = AsOptText(r[15]);
  return c;
}

// ---- matches ----
const char* kMCols =
    "q.id, q.link_id, q.kind, q.external_id, q.upn, q.raw, q.candidates, q.reason, q.status, "
    "q.run_id, q.created_at, q.resolved_at, q.resolved_by, q.resolution";

Result<MatchItem> MOf(const Row& r) {
  auto status = EnumColumn(kReviewStatusNames, r, 8, "match_queue");
  if (!status.ok()) return status.status();
  MatchItem m;
  m.id = AsInt(r[0]);
  m.link_id = AsInt(r[1]);
  m.kind = AsText(r[2]);
  m.external_id = AsText(r[3]);
  m.upn = AsText(r[4]);
  m.raw = AsText(r[5]);
  m.candidates = JsonOr(AsText(r[6]), json::array());
  m.reason = AsText(r[7]);
  m.status = *status;
  m.run_id = AsInt(r[9]);
  m.created_at = AsInt(r[10]);
  m.resolved_at = OptIntOf(r[11]);
  m.resolved_by = AsText(r[12]);
  m.resolution = AsText(r[13]);
  return m;
}

// ---- outbox ----
const char* kOCols =
    "q.id, q.link_id, q.kind, q.record_id, q.op, q.payload, q.idem_key, q.status, q.attempts, "
    "q.next_attempt_at, q.last_error, q.remote_id, q.created_at, q.finished_at";

Result<OutboxItem> OOf(const Row& r) {
  auto op = EnumColumn(kChangeOpNames, r, 4, "outbox");
  if (!op.ok()) return op.status();
  auto status = EnumColumn(kOutboxStatusNames, r, 7, "outbox");
  if (!status.ok()) return status.status();
  OutboxItem o;
  o.id = AsInt(r[0]);
  o.link_id = AsInt(r[1]);
  o.kind = AsText(r[2]);
  o.record_id = AsInt(r[3]);
  o.op = *op;
  o.payload = AsText(r[5]);
  o.idem_key = AsText(r[6]);
  o.status = *status;
  o.attempts = AsInt(r[8]);
  o.next_attempt_at = AsInt(r[9]);
  o.last_error = AsText(r[10]);
  o.remote_id = AsText(r[11]);
  o.created_at = AsInt(r[12]);
  o.finished_at = OptIntOf(r[13]);
  return o;
}

// Appends every row read with `of`; the first row that cannot be read fails the whole read.
template <typename T>
Status AppendAll(const std::vector<Row>& rows, Result<T> (*of)(const Row&), std::vector<T>& out) {
  out.reserve(out.size() + rows.size());
  for (const Row& r : rows) {
    auto item = of(r);
    if (!item.ok()) return item.status();
    out.push_back(std::move(*item));
  }
  return Status::OK();
}

template <typename T>
Result<std::vector<T>> List(Conn& conn, const char* cols, const char* table, const QueueFilter& f,
                            Result<T> (*of)(const Row&)) {
  std::vector<Value> params;
  std::string sql = std::string("SELECT ") + cols + " FROM " + table + " q" + FilterSql(f, params);
  auto rows = conn.Query(sql, params);
  if (!rows.ok()) return rows.status();
  std::vector<T> out;
  SENDSYNC_RETURN_IF_ERROR(AppendAll(*rows, of, out));
  return out;
}

template <typename T>
Result<T> GetOne(Conn& conn, const char* cols, const char* table, int64_t id,
                 Result<T> (*of)(const Row&), const char* what) {
  auto rows =
      conn.Query(std::string("SELECT ") + cols + " FROM " + table + " q WHERE q.id = ?", {id});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return Status::NotFound(std::string("no ") + what + " " + std::to_string(id));
  return of((*rows)[0]);
}

}  // namespace

// ---- quarantine ----

Status InsertQuarantine(Conn& conn, std::vector<QuarantineItem>& items) {
  const int64_t now = NowMs();
  std::vector<size_t> fresh;                    // items that open a new row
  std::map<std::string, size_t> fresh_by_hash;  // the same payload twice in one batch
  std::vector<std::string> hashes(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    QuarantineItem& q = items[i];
    hashes[i] = PayloadHash(q);
    q.last_seen_at = now;
    if (q.status == ReviewStatus::kOpen) {
      if (auto it = fresh_by_hash.find(hashes[i]); it != fresh_by_hash.end()) {
        QuarantineItem& first = items[it->second];
        ++first.times_seen;
        q.id = 0;  // folded into `first`, which gets its id below
        q.times_seen = 0;
        continue;
      }
      const std::string reasons = q.reasons.dump();
      auto rows = conn.Query(
          "SELECT q.id, q.created_at, q.times_seen FROM quarantine q WHERE q.status = 'open' AND "
          "q.link_id = ? AND q.kind = ? AND (q.payload_hash = ? OR (q.payload_hash IS NULL AND "
          "q.raw = ? AND q.reasons = ?)) ORDER BY q.id LIMIT 1",
          {q.link_id, q.kind, hashes[i], q.raw, reasons});
      if (!rows.ok()) return rows.status();
      if (!rows->empty()) {
        const Row& r = (*rows)[0];
        q.id = AsInt(r[0]);
        q.created_at = AsInt(r[1]);
        q.times_seen = AsInt(r[2]) + 1;
        SENDSYNC_RETURN_IF_ERROR(
            conn.Exec("UPDATE quarantine SET times_seen = times_seen + 1, last_seen_at = ?, "
                      "payload_hash = ? WHERE id = ?",
                      {now, hashes[i], q.id}));
        continue;
      }
      fresh_by_hash[hashes[i]] = i;
    }
    fresh.push_back(i);
  }
  auto first = Ids(conn, "quarantine", fresh.size());
  if (!first.ok()) return first.status();
  std::vector<Row> rows;
  for (size_t n = 0; n < fresh.size(); ++n) {
    QuarantineItem& q = items[fresh[n]];
    q.id = *first + static_cast<int64_t>(n);
    q.created_at = now;
    rows.push_back({q.id, q.link_id, q.kind, TextOrNull(q.external_id), TextOrNull(q.upn), q.raw,
                    q.reasons.dump(), ReviewStatusName(q.status),
                    q.run_id ? Value(q.run_id) : Value(), now, q.times_seen, now,
                    hashes[fresh[n]]});
  }
  // Items folded into another of this batch carry that item's id.
  for (size_t i = 0; i < items.size(); ++i)
    if (items[i].id == 0 && items[i].times_seen == 0) {
      const QuarantineItem& into = items[fresh_by_hash.at(hashes[i])];
      items[i].id = into.id;
      items[i].created_at = into.created_at;
      items[i].times_seen = into.times_seen;
    }
  return conn.InsertMany("quarantine",
                         {"id", "link_id", "kind", "external_id", "upn", "raw", "reasons", "status",
                          "run_id", "created_at", "times_seen", "last_seen_at", "payload_hash"},
                         rows);
}

Result<std::vector<QuarantineItem>> ListQuarantine(Conn& conn, const QueueFilter& f) {
  return List<QuarantineItem>(conn, kQCols, "quarantine", f, QOf);
}

Result<QuarantineItem> GetQuarantine(Conn& conn, int64_t id) {
  return GetOne<QuarantineItem>(conn, kQCols, "quarantine", id, QOf, "quarantined record");
}

Status ResolveQuarantine(Conn& conn, int64_t id, ReviewStatus status, const std::string& by,
                         const std::string& note) {
  size_t n = 0;
  SENDSYNC_RETURN_IF_ERROR(
      conn.Exec("UPDATE quarantine SET status = ?, resolved_at = ?, resolved_by = ?, note = ? "
                "WHERE id = ? AND status = 'open'",
                {ReviewStatusName(status), NowMs(), by, TextOrNull(note), id}, &n));
  if (n == 0)
    return Status::FailedPrecondition("quarantined record " + std::to_string(id) + " is not open");
  return Status::OK();
}

Result<std::vector<QuarantineItem>> OpenQuarantineFor(Conn& conn, int64_t link_id,
                                                      const std::string& kind,
                                                      const std::vector<std::string>& ids) {
  std::vector<QuarantineItem> out;
  if (ids.empty()) return out;
  // Usually the link has no open item of the kind: one probe instead of binding every id.
  auto any = conn.Query(
      "SELECT 1 FROM quarantine WHERE status = 'open' AND link_id = ? AND kind = ? LIMIT 1",
      {link_id, kind});
  if (!any.ok()) return any.status();
  if (any->empty()) return out;
  Status st = detail::ForChunks(ids.size(), 500, [&](size_t a, size_t b) {
    std::vector<Value> params = {link_id, kind};
    params.insert(params.end(), ids.begin() + a, ids.begin() + b);
    auto rows = conn.Query(std::string("SELECT ") + kQCols +
                               " FROM quarantine q WHERE q.status = 'open' AND q.link_id = ? AND "
                               "q.kind = ? AND q.external_id IN " +
                               InList(b - a),
                           params);
    if (!rows.ok()) return rows.status();
    return AppendAll(*rows, QOf, out);
  });
  if (!st.ok()) return st;
  return out;
}

// ---- conflicts ----

Status InsertConflicts(Conn& conn, std::vector<Conflict>& items) {
  auto first = Ids(conn, "conflicts", items.size());
  if (!first.ok()) return first.status();
  std::vector<Row> rows;
  const int64_t now = NowMs();
  for (size_t i = 0; i < items.size(); ++i) {
    Conflict& c = items[i];
    c.id = *first + static_cast<int64_t>(i);
    c.created_at = now;
    rows.push_back({c.id, c.link_id, c.kind, c.record_id, c.external_id, c.field,
                    detail::Opt(c.base), detail::Opt(c.ours), detail::Opt(c.theirs),
                    ReviewStatusName(c.status), c.run_id ? Value(c.run_id) : Value(), now});
  }
  return conn.InsertMany("conflicts",
                         {"id", "link_id", "kind", "record_id", "external_id", "field", "base",
                          "ours", "theirs", "status", "run_id", "created_at"},
                         rows);
}

Result<std::vector<Conflict>> ListConflicts(Conn& conn, const QueueFilter& f) {
  return List<Conflict>(conn, kCCols, "conflicts", f, COf);
}

Result<Conflict> GetConflict(Conn& conn, int64_t id) {
  return GetOne<Conflict>(conn, kCCols, "conflicts", id, COf, "conflict");
}

Result<std::vector<Conflict>> OpenConflictsFor(Conn& conn, const std::vector<int64_t>& ids) {
  std::vector<Conflict> out;
  Status st = detail::ForChunks(ids.size(), 500, [&](size_t a, size_t b) {
    std::vector<Value> params(ids.begin() + a, ids.begin() + b);
    auto rows = conn.Query(std::string("SELECT ") + kCCols +
                               " FROM conflicts q WHERE q.status = 'open' AND q.record_id IN " +
                               InList(b - a) + " ORDER BY q.id",
                           params);
    if (!rows.ok()) return rows.status();
    return AppendAll(*rows, COf, out);
  });
  if (!st.ok()) return st;
  return out;
}

Status ResolveConflict(Conn& conn, int64_t id, ConflictResolution resolution,
                       const std::optional<std::string>& value, const std::string& by) {
  size_t n = 0;
  SENDSYNC_RETURN_IF_ERROR(
      conn.Exec("UPDATE conflicts SET status = 'resolved', resolution = ?, resolved_value = ?, "
                "resolved_at = ?, resolved_by = ? WHERE id = ? AND status = 'open'",
                {ConflictResolutionName(resolution), detail::Opt(value), NowMs(), by, id}, &n));
  if (n == 0) return Status::FailedPrecondition("conflict " + std::to_string(id) + " is not open");
  return Status::OK();
}

// ---- matches ----

Status InsertMatches(Conn& conn, std::vector<MatchItem>& items) {
  auto first = Ids(conn, "match_queue", items.size());
  if (!first.ok()) return first.status();
  std::vector<Row> rows;
  const int64_t now = NowMs();
  for (size_t i = 0; i < items.size(); ++i) {
    MatchItem& m = items[i];
    m.id = *first + static_cast<int64_t>(i);
    m.created_at = now;
    rows.push_back({m.id, m.link_id, m.kind, m.external_id, TextOrNull(m.upn), m.raw,
                    m.candidates.dump(), m.reason, ReviewStatusName(m.status),
                    m.run_id ? Value(m.run_id) : Value(), now});
  }
  return conn.InsertMany("match_queue",
                         {"id", "link_id", "kind", "external_id", "upn", "raw", "candidates",
                          "reason", "status", "run_id", "created_at"},
                         rows);
}

Result<std::vector<MatchItem>> ListMatches(Conn& conn, const QueueFilter& f) {
  return List<MatchItem>(conn, kMCols, "match_queue", f, MOf);
}

Result<MatchItem> GetMatch(Conn& conn, int64_t id) {
  return GetOne<MatchItem>(conn, kMCols, "match_queue", id, MOf, "match");
}

Status ResolveMatch(Conn& conn, int64_t id, const std::string& resolution, const std::string& by) {
  size_t n = 0;
  SENDSYNC_RETURN_IF_ERROR(
      conn.Exec("UPDATE match_queue SET status = 'resolved', resolution = ?, resolved_at = ?, "
                "resolved_by = ? WHERE id = ? AND status = 'open'",
                {resolution, NowMs(), by, id}, &n));
  if (n == 0) return Status::FailedPrecondition("match " + std::to_string(id) + " is not open");
  return Status::OK();
}

// ---- outbox ----

Status InsertOutbox(Conn& conn, std::vector<OutboxItem>& items) {
  auto first = Ids(conn, "outbox", items.size());
  if (!first.ok()) return first.status();
  std::vector<Row> rows;
  const int64_t now = NowMs();
  for (size_t i = 0; i < items.size(); ++i) {
    OutboxItem& o = items[i];
    o.id = *first + static_cast<int64_t>(i);
    o.created_at = now;
    if (!o.next_attempt_at) o.next_attempt_at = now;
    rows.push_back({o.id, o.link_id, o.kind, o.record_id, ChangeOpName(o.op), o.payload, o.idem_key,
                    OutboxStatusName(o.status), o.attempts, o.next_attempt_at,
                    TextOrNull(o.remote_id), now});
  }
  return conn.InsertMany("outbox",
                         {"id", "link_id", "kind", "record_id", "op", "payload", "idem_key",
                          "status", "attempts", "next_attempt_at", "remote_id", "created_at"},
                         rows, "ON CONFLICT (link_id, idem_key) DO NOTHING");
}

Result<std::vector<OutboxItem>> DueOutbox(Conn& conn, int64_t link_id, int64_t now, int64_t limit) {
  auto rows = conn.Query(std::string("SELECT ") + kOCols +
                             " FROM outbox q WHERE q.link_id = ? AND q.status = 'pending' AND "
                             "q.next_attempt_at <= ? ORDER BY q.id LIMIT ?",
                         {link_id, now, limit});
  if (!rows.ok()) return rows.status();
  std::vector<OutboxItem> out;
  SENDSYNC_RETURN_IF_ERROR(AppendAll(*rows, OOf, out));
  return out;
}

Result<std::map<int64_t, int64_t>> WaitingOutbox(Conn& conn, int64_t link_id, int64_t now) {
  auto rows = conn.Query(
      "SELECT record_id, MIN(id) FROM outbox WHERE link_id = ? AND status = 'pending' AND "
      "next_attempt_at > ? GROUP BY record_id",
      {link_id, now});
  if (!rows.ok()) return rows.status();
  std::map<int64_t, int64_t> out;
  for (const Row& r : *rows) out[AsInt(r[0])] = AsInt(r[1]);
  return out;
}

Result<std::vector<OutboxItem>> OutboxOfRecords(Conn& conn,
                                                const std::vector<int64_t>& record_ids) {
  std::vector<OutboxItem> out;
  if (record_ids.empty()) return out;
  std::vector<Value> params;
  std::string in;
  for (int64_t id : record_ids) {
    in += in.empty() ? "?" : ", ?";
    params.push_back(id);
  }
  auto rows = conn.Query(std::string("SELECT ") + kOCols + " FROM outbox q WHERE q.record_id IN (" +
                             in + ") ORDER BY q.id",
                         params);
  if (!rows.ok()) return rows.status();
  SENDSYNC_RETURN_IF_ERROR(AppendAll(*rows, OOf, out));
  return out;
}

Result<std::vector<OutboxItem>> InFlightCreates(Conn& conn, int64_t link_id,
                                                const std::string& kind) {
  auto rows = conn.Query(std::string("SELECT ") + kOCols +
                             " FROM outbox q WHERE q.link_id = ? AND q.kind = ? AND "
                             "q.op = 'upsert' AND q.status IN ('pending', 'dead') AND "
                             "(q.remote_id IS NULL OR q.remote_id = '') ORDER BY q.id",
                         {link_id, kind});
  if (!rows.ok()) return rows.status();
  std::vector<OutboxItem> out;
  SENDSYNC_RETURN_IF_ERROR(AppendAll(*rows, OOf, out));
  return out;
}

Result<std::vector<OutboxItem>> UndeliveredUpserts(Conn& conn, int64_t link_id,
                                                   const std::string& kind,
                                                   const std::vector<int64_t>& record_ids) {
  std::vector<OutboxItem> out;
  Status st = detail::ForChunks(record_ids.size(), 500, [&](size_t a, size_t b) {
    std::vector<Value> params = {link_id, kind};
    params.insert(params.end(), record_ids.begin() + a, record_ids.begin() + b);
    auto rows = conn.Query(std::string("SELECT ") + kOCols +
                               " FROM outbox q WHERE q.link_id = ? AND q.kind = ? AND "
                               "q.op = 'upsert' AND q.status IN ('pending', 'dead') AND "
                               "q.record_id IN " +
                               InList(b - a) + " ORDER BY q.id",
                           params);
    if (!rows.ok()) return rows.status();
    return AppendAll(*rows, OOf, out);
  });
  if (!st.ok()) return st;
  std::sort(out.begin(), out.end(),
            [](const OutboxItem& x, const OutboxItem& y) { return x.id < y.id; });
  return out;
}

Result<std::map<std::string, int64_t>> OutboxCounts(Conn& conn, int64_t link_id) {
  auto rows =
      link_id ? conn.Query("SELECT status, COUNT(*) FROM outbox WHERE link_id = ? GROUP BY status",
                           {link_id})
              : conn.Query("SELECT status, COUNT(*) FROM outbox GROUP BY status");
  if (!rows.ok()) return rows.status();
  std::map<std::string, int64_t> out;
  for (const Row& r : *rows) out[AsText(r[0])] = AsInt(r[1]);
  return out;
}

Status UpdateOutbox(Conn& conn, const OutboxItem& o) {
  return conn.Exec(
      "UPDATE outbox SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?, "
      "remote_id = ?, finished_at = ? WHERE id = ?",
      {OutboxStatusName(o.status), o.attempts, o.next_attempt_at, TextOrNull(o.last_error),
       TextOrNull(o.remote_id), detail::OptInt(o.finished_at), o.id});
}

Result<std::vector<OutboxItem>> ListOutbox(Conn& conn, const QueueFilter& f) {
  return List<OutboxItem>(conn, kOCols, "outbox", f, OOf);
}

Result<OutboxItem> GetOutbox(Conn& conn, int64_t id) {
  return GetOne<OutboxItem>(conn, kOCols, "outbox", id, OOf, "outbox change");
}

}  // namespace sendsync::store
