#include "core/audit/audit.h"

#include "core/store/make_row.h"

namespace sendsync::audit {

using nlohmann::json;
using store::AsInt;
using store::AsText;
using store::Value;

namespace {

// What the hash covers: every column but the hashes, in a fixed order and form: the compact JSON
// array [seq, ts, actor, action, kind, record_id, pupil_id, detail], built around the detail's
// text so the detail is written out once (it is also what the row stores).
std::string Canonical(const Entry& e, const std::string& detail_text) {
  std::string out = "[" + std::to_string(e.seq) + "," + std::to_string(e.ts) + ",";
  out += json(e.actor).dump() + "," + json(e.action).dump() + "," + json(e.kind).dump() + ",";
  out += std::to_string(e.record_id) + "," + std::to_string(e.pupil_id) + ",";
  return out + detail_text + "]";
}

std::string ChainHash(const std::string& prev, const Entry& e, const std::string& detail_text) {
  return Sha256Hex(prev + "\n" + Canonical(e, detail_text));
}

Entry EntryOf(const store::Row& r) {
  Entry e;
  e.seq = AsInt(r[0]);
  e.ts = AsInt(r[1]);
  e.actor = AsText(r[2]);
  e.action = AsText(r[3]);
  e.kind = AsText(r[4]);
  e.record_id = AsInt(r[5]);
  e.pupil_id = AsInt(r[6]);
  e.detail = json::parse(AsText(r[7]), nullptr, false);
  e.prev_hash = AsText(r[8]);
  e.hash = AsText(r[9]);
  return e;
}

const char* kCols = "seq, ts, actor, action, kind, record_id, pupil_id, detail, prev_hash, hash";

}  // namespace

Result<Appender> Appender::Begin(store::Conn& conn) {
  if (!conn.in_transaction())
    return Status::Internal("audit entries must be appended in a transaction");
  // Lock the head: appends from concurrent transactions (other hosts on PostgreSQL) serialise
  // here, so the chain never forks. SQLite's write lock already serialises.
  auto head = conn.Query(conn.dialect() == store::Dialect::kPostgres
                             ? "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE"
                             : "SELECT seq, hash FROM audit_head WHERE id = 1");
  if (!head.ok()) return head.status();
  if (head->empty()) return Status::Corruption("audit head row is missing");
  Appender a;
  a.seq_ = AsInt((*head)[0][0]);
  a.prev_ = AsText((*head)[0][1]);
  a.now_ = store::NowMs();
  return a;
}

Status Appender::Chain(std::vector<Entry>& entries) {
  rows_.reserve(rows_.size() + entries.size());
  try {  // a string that is not UTF-8 cannot be written out as JSON
    for (Entry& e : entries) {
      e.seq = ++seq_;
      if (!e.ts) e.ts = now_;
      e.prev_hash = prev_;
      std::string detail_text = e.detail.dump();
      e.hash = ChainHash(prev_, e, detail_text);
      prev_ = e.hash;
      rows_.push_back(store::MakeRow(
          e.seq, e.ts, e.actor, e.action, e.kind.empty() ? Value() : Value(e.kind),
          e.record_id ? Value(e.record_id) : Value(), e.pupil_id ? Value(e.pupil_id) : Value(),
          std::move(detail_text), e.prev_hash, e.hash));
    }
  } catch (const json::exception& x) {
    return Status::InvalidArgument(std::string("an audit entry cannot be written: ") + x.what());
  }
  return Status::OK();
}

Status Appender::Finish(store::Conn& conn) {
  if (rows_.empty()) return Status::OK();
  SENDSYNC_RETURN_IF_ERROR(conn.InsertMany("audit",
                                           {"seq", "ts", "actor", "action", "kind", "record_id",
                                            "pupil_id", "detail", "prev_hash", "hash"},
                                           rows_));
  rows_.clear();
  return conn.Exec("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", {seq_, prev_});
}

Status Append(store::Conn& conn, std::vector<Entry>& entries) {
  if (entries.empty()) return Status::OK();
  auto a = Appender::Begin(conn);
  if (!a.ok()) return a.status();
  SENDSYNC_RETURN_IF_ERROR(a->Chain(entries));
  return a->Finish(conn);
}

Result<VerifyResult> Verify(store::Conn& conn) {
  VerifyResult out;
  std::string prev;
  int64_t expected = 1;
  for (;;) {
    auto rows = conn.Query(
        std::string("SELECT ") + kCols + " FROM audit WHERE seq >= ? ORDER BY seq LIMIT 5000",
        {expected});
    if (!rows.ok()) return rows.status();
    for (const store::Row& r : *rows) {
      Entry e = EntryOf(r);
      auto bad = [&](const std::string& why) {
        out.ok = false;
        out.first_bad_seq = e.seq;
        out.problem = why;
      };
      if (e.seq != expected) {
        out.ok = false;
        out.first_bad_seq = expected;
        out.problem = "entry " + std::to_string(expected) + " is missing (next present is " +
                      std::to_string(e.seq) + ")";
        return out;
      }
      if (e.detail.is_discarded()) {
        bad("its detail is not valid JSON (edited)");
        return out;
      }
      if (e.prev_hash != prev) {
        bad("it does not follow the entry before it (removed or reordered entries)");
        return out;
      }
      if (ChainHash(prev, e, AsText(r[7])) != e.hash) {  // the detail exactly as stored
        bad("its content does not match its hash (edited)");
        return out;
      }
      prev = e.hash;
      ++expected;
      ++out.checked;
    }
    if (rows->size() < 5000) break;
  }
  // Entries removed from the end leave the head pointing past them.
  auto head = conn.Query("SELECT seq, hash FROM audit_head WHERE id = 1");
  if (!head.ok()) return head.status();
  if (head->empty()) {
    out.ok = false;
    out.first_bad_seq = out.checked + 1;
    out.problem = "the chain head row is missing (removed)";
  } else {
    int64_t head_seq = AsInt((*head)[0][0]);
    if (head_seq != out.checked || AsText((*head)[0][1]) != prev) {
      out.ok = false;
      out.first_bad_seq = out.checked + 1;
      out.problem = "the log ends at entry " + std::to_string(out.checked) +
                    " but the chain head says " + std::to_string(head_seq) +
                    " (entries removed from the end, or the head was altered)";
    }
  }
  return out;
}

Result<std::vector<Entry>> List(store::Conn& conn, const Query& q) {
  std::string sql = std::string("SELECT ") + kCols + " FROM audit WHERE seq > ?";
  std::vector<Value> params = {q.after_seq};
  if (q.pupil_id) {
    sql += " AND pupil_id = ?";
    params.push_back(q.pupil_id);
  }
  if (q.record_id) {
    sql += " AND record_id = ?";
    params.push_back(q.record_id);
  }
  sql += " ORDER BY seq LIMIT ?";
  params.push_back(q.limit);
  auto rows = conn.Query(sql, params);
  if (!rows.ok()) return rows.status();
  std::vector<Entry> out;
  for (const store::Row& r : *rows) out.push_back(EntryOf(r));
  return out;
}

}  // namespace sendsync::audit
