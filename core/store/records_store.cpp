// Hub records and their history; what each link calls them.
#include <map>
#include <set>
#include <string_view>
#include <tuple>

#include "core/store/make_row.h"
#include "core/store/sql_util.h"
#include "core/store/store.h"

namespace sendsync::store {

using detail::ForChunks;
using detail::InList;

namespace {

constexpr size_t kChunk = 500;
const char* kRecordCols =
    "id, kind, pupil_id, upn, former_upn, dob, school_urn, body, hash, version, deleted, "
    "created_at, updated_at";

RecordRow RecordOf(const Row& r) {
  RecordRow x;
  x.id = AsInt(r[0]);
  x.kind = AsText(r[1]);
  x.pupil_id = AsInt(r[2]);
  x.upn = AsText(r[3]);
  x.former_upn = AsText(r[4]);
  x.dob = AsText(r[5]);
  x.school_urn = AsText(r[6]);
  x.body = AsText(r[7]);
  x.hash = AsText(r[8]);
  x.version = AsInt(r[9]);
  x.deleted = AsInt(r[10]) != 0;
  x.created_at = AsInt(r[11]);
  x.updated_at = AsInt(r[12]);
  return x;
}

Result<std::vector<RecordRow>> Select(Conn& conn, const std::string& where,
                                      const std::vector<Value>& params) {
  auto rows = conn.Query(std::string("SELECT ") + kRecordCols + " FROM records " + where, params);
  if (!rows.ok()) return rows.status();
  std::vector<RecordRow> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) out.push_back(RecordOf(r));
  return out;
}

LinkRecord LinkRecordOf(const Row& r) {
  LinkRecord x;
  x.link_id = AsInt(r[0]);
  x.kind = AsText(r[1]);
  x.external_id = AsText(r[2]);
  x.record_id = AsInt(r[3]);
  x.base = AsOptText(r[4]);
  x.base_hash = AsText(r[5]);
  return x;
}

}  // namespace

Result<std::vector<RecordRow>> LoadRecords(Conn& conn, const std::vector<int64_t>& ids) {
  std::vector<RecordRow> out;
  Status st = ForChunks(ids.size(), kChunk, [&](size_t a, size_t b) {
    std::vector<Value> params(ids.begin() + a, ids.begin() + b);
    auto part = Select(conn, "WHERE id IN " + InList(b - a), params);
    if (!part.ok()) return part.status();
    out.insert(out.end(), part->begin(), part->end());
    return Status::OK();
  });
  if (!st.ok()) return st;
  return out;
}

Result<std::vector<RecordRow>> PupilsByUpn(Conn& conn, const std::vector<std::string>& upns) {
  std::vector<RecordRow> out;
  Status st = ForChunks(upns.size(), kChunk / 2, [&](size_t a, size_t b) {
    std::vector<Value> params(upns.begin() + a, upns.begin() + b);
    std::vector<Value> twice = params;
    twice.insert(twice.end(), params.begin(), params.end());
    std::string in = InList(b - a);
    auto part = Select(conn,
                       "WHERE kind = 'pupil' AND deleted = 0 AND (upn IN " + in +
                           " OR former_upn IN " + in + ") ORDER BY id",
                       twice);
    if (!part.ok()) return part.status();
    out.insert(out.end(), part->begin(), part->end());
    return Status::OK();
  });
  if (!st.ok()) return st;
  return out;
}

Result<int64_t> HubGeneration(Conn& conn) {
  auto rows = conn.Query("SELECT n FROM hub_generation WHERE id = 1");
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return Status::Corruption("the store has no hub generation row");
  return AsInt(rows->front()[0]);
}

Result<std::vector<RecordRow>> RecordsOfPupil(Conn& conn, int64_t pupil_id) {
  return Select(conn, "WHERE deleted = 0 AND (id = ? OR pupil_id = ?) ORDER BY kind, id",
                {pupil_id, pupil_id});
}

Result<std::vector<RecordRow>> ListPupils(Conn& conn, const std::string& school_urn) {
  if (school_urn.empty())
    return Select(conn, "WHERE kind = 'pupil' AND deleted = 0 ORDER BY id", {});
  return Select(conn, "WHERE kind = 'pupil' AND deleted = 0 AND school_urn = ? ORDER BY id",
                {school_urn});
}

Result<std::vector<int64_t>> PupilsWithRecords(Conn& conn, const std::string& school_urn) {
  std::string sql =
      "SELECT DISTINCT p.id FROM records p JOIN records r ON r.pupil_id = p.id "
      "WHERE p.kind = 'pupil' AND p.deleted = 0 AND r.deleted = 0";
  std::vector<Value> params;
  if (!school_urn.empty()) {
    sql += " AND p.school_urn = ?";
    params.push_back(school_urn);
  }
  auto rows = conn.Query(sql + " ORDER BY p.id", params);
  if (!rows.ok()) return rows.status();
  std::vector<int64_t> out;
  for (const Row& r : *rows) out.push_back(AsInt(r[0]));
  return out;
}

Result<std::vector<RecordRow>> RecordsByPupils(Conn& conn, const std::string& kind,
                                               const std::vector<int64_t>& pupil_ids) {
  std::vector<RecordRow> out;
  Status st = ForChunks(pupil_ids.size(), kChunk, [&](size_t a, size_t b) {
    std::vector<Value> params = {kind};
    params.insert(params.end(), pupil_ids.begin() + a, pupil_ids.begin() + b);
    auto part = Select(
        conn, "WHERE kind = ? AND deleted = 0 AND pupil_id IN " + InList(b - a) + " ORDER BY id",
        params);
    if (!part.ok()) return part.status();
    out.insert(out.end(), part->begin(), part->end());
    return Status::OK();
  });
  if (!st.ok()) return st;
  return out;
}

Result<std::vector<RecordRow>> ScanRecords(Conn& conn, int64_t after_id, int64_t limit) {
  return Select(conn, "WHERE deleted = 0 AND id > ? ORDER BY id LIMIT ?", {after_id, limit});
}

Status InsertRecords(Conn& conn, const std::vector<RecordRow>& rows) {
  std::vector<Row> values;
  values.reserve(rows.size());
  for (const RecordRow& r : rows)
    values.push_back(MakeRow(r.id, r.kind, r.pupil_id ? Value(r.pupil_id) : Value(),
                             detail::TextOrNull(r.upn), detail::TextOrNull(r.former_upn),
                             detail::TextOrNull(r.dob), detail::TextOrNull(r.school_urn), r.body,
                             r.hash, r.version, int64_t{r.deleted ? 1 : 0}, r.created_at,
                             r.updated_at));
  if (rows.empty()) return Status::OK();
  SENDSYNC_RETURN_IF_ERROR(detail::BumpHubGeneration(conn));
  return conn.InsertMany("records",
                         {"id", "kind", "pupil_id", "upn", "former_upn", "dob", "school_urn",
                          "body", "hash", "version", "deleted", "created_at", "updated_at"},
                         values);
}

Status UpdateRecords(Conn& conn, const std::vector<RecordRow>& rows, const std::string& by) {
  if (rows.empty()) return Status::OK();
  std::vector<int64_t> ids;
  ids.reserve(rows.size());
  for (const RecordRow& r : rows) ids.push_back(r.id);
  // Every row must still be at the version it was read at (optimistic concurrency). The indexed
  // columns come along: a row whose keys stay the same is updated without naming them, because
  // SQLite rewrites the entry of every index whose column an UPDATE sets, changed or not.
  struct Now {
    int64_t version;
    Row keys;
  };
  std::map<int64_t, Now> now_in_store;
  SENDSYNC_RETURN_IF_ERROR(ForChunks(ids.size(), kChunk, [&](size_t a, size_t b) {
    auto found = conn.Query(
        "SELECT id, version, pupil_id, upn, former_upn, dob, school_urn FROM records WHERE id IN " +
            InList(b - a),
        std::vector<Value>(ids.begin() + a, ids.begin() + b));
    if (!found.ok()) return found.status();
    for (const Row& f : *found)
      now_in_store[AsInt(f[0])] = {AsInt(f[1]), Row(f.begin() + 2, f.end())};
    return Status::OK();
  }));
  std::vector<Row> with_keys, same_keys;
  for (const RecordRow& r : rows) {
    auto v = now_in_store.find(r.id);
    if (v == now_in_store.end() || v->second.version != r.version - 1)
      return Status::FailedPrecondition("record " + std::to_string(r.id) +
                                        " changed under us (expected version " +
                                        std::to_string(r.version - 1) + ")");
    Row keys = {r.pupil_id ? Value(r.pupil_id) : Value(), detail::TextOrNull(r.upn),
                detail::TextOrNull(r.former_upn), detail::TextOrNull(r.dob),
                detail::TextOrNull(r.school_urn)};
    Row rest = MakeRow(r.body, r.hash, r.version, int64_t{r.deleted ? 1 : 0}, r.updated_at, r.id,
                       r.version - 1);
    // (A value that reads back as another type only costs the longer statement.)
    if (keys == v->second.keys) {
      same_keys.push_back(std::move(rest));
    } else {
      keys.insert(keys.end(), std::make_move_iterator(rest.begin()),
                  std::make_move_iterator(rest.end()));
      with_keys.push_back(std::move(keys));
    }
  }
  // Keep the versions being replaced, in one statement per chunk.
  const int64_t now = NowMs();
  SENDSYNC_RETURN_IF_ERROR(ForChunks(ids.size(), kChunk, [&](size_t a, size_t b) {
    std::vector<Value> params = {now, by};
    params.insert(params.end(), ids.begin() + a, ids.begin() + b);
    return conn.Exec(
        "INSERT INTO record_history (record_id, version, body, hash, deleted, changed_at, "
        "changed_by) SELECT id, version, body, hash, deleted, ?, ? FROM records WHERE id IN " +
            InList(b - a),
        params);
  }));
  SENDSYNC_RETURN_IF_ERROR(detail::BumpHubGeneration(conn));
  // The version in the WHERE clause still guards PostgreSQL writers racing between the check
  // and the update; SQLite's write lock (BEGIN IMMEDIATE) already excludes them.
  SENDSYNC_RETURN_IF_ERROR(conn.ExecEach(
      "UPDATE records SET body = ?, hash = ?, version = ?, deleted = ?, updated_at = ? "
      "WHERE id = ? AND version = ?",
      same_keys, /*each_changes_one=*/true));
  return conn.ExecEach(
      "UPDATE records SET pupil_id = ?, upn = ?, former_upn = ?, dob = ?, school_urn = ?, "
      "body = ?, hash = ?, version = ?, deleted = ?, updated_at = ? "
      "WHERE id = ? AND version = ?",
      with_keys, /*each_changes_one=*/true);
}

Result<std::vector<HistoryRow>> RecordHistory(Conn& conn, int64_t record_id) {
  auto rows = conn.Query(
      "SELECT version, body, hash, changed_by, deleted, changed_at FROM record_history "
      "WHERE record_id = ? ORDER BY version",
      {record_id});
  if (!rows.ok()) return rows.status();
  std::vector<HistoryRow> out;
  for (const Row& r : *rows)
    out.push_back(
        {AsInt(r[0]), AsText(r[1]), AsText(r[2]), AsText(r[3]), AsInt(r[4]) != 0, AsInt(r[5])});
  return out;
}

Result<std::vector<LinkRecord>> LinkRecordsByExternal(Conn& conn, int64_t link_id,
                                                      const std::string& kind,
                                                      const std::vector<std::string>& ids) {
  std::vector<LinkRecord> out;
  Status st = ForChunks(ids.size(), kChunk, [&](size_t a, size_t b) {
    std::vector<Value> params = {link_id, kind};
    params.insert(params.end(), ids.begin() + a, ids.begin() + b);
    auto rows = conn.Query(
        "SELECT link_id, kind, external_id, record_id, base, base_hash FROM link_records "
        "WHERE link_id = ? AND kind = ? AND external_id IN " +
            InList(b - a),
        params);
    if (!rows.ok()) return rows.status();
    for (const Row& r : *rows) out.push_back(LinkRecordOf(r));
    return Status::OK();
  });
  if (!st.ok()) return st;
  return out;
}

Result<std::map<std::string, int64_t>> RecordIdsByExternal(Conn& conn, int64_t link_id,
                                                           const std::string& kind,
                                                           const std::vector<std::string>& ids) {
  const std::set<std::string> unique(ids.begin(), ids.end());
  const std::vector<std::string> wanted(unique.begin(), unique.end());
  std::map<std::string, int64_t> out;
  Status st = ForChunks(wanted.size(), kChunk, [&](size_t a, size_t b) {
    std::vector<Value> params = {link_id, kind};
    params.insert(params.end(), wanted.begin() + a, wanted.begin() + b);
    auto rows = conn.Query(
        "SELECT external_id, record_id FROM link_records "
        "WHERE link_id = ? AND kind = ? AND external_id IN " +
            InList(b - a),
        params);
    if (!rows.ok()) return rows.status();
    for (const Row& r : *rows) out[AsText(r[0])] = AsInt(r[1]);
    return Status::OK();
  });
  if (!st.ok()) return st;
  return out;
}

Result<std::vector<LinkRecord>> LinkRecordsByRecord(Conn& conn, int64_t link_id,
                                                    const std::vector<int64_t>& record_ids) {
  std::vector<LinkRecord> out;
  Status st = ForChunks(record_ids.size(), kChunk, [&](size_t a, size_t b) {
    std::vector<Value> params = {link_id};
    params.insert(params.end(), record_ids.begin() + a, record_ids.begin() + b);
    auto rows = conn.Query(
        "SELECT link_id, kind, external_id, record_id, base, base_hash FROM link_records "
        "WHERE link_id = ? AND record_id IN " +
            InList(b - a),
        params);
    if (!rows.ok()) return rows.status();
    for (const Row& r : *rows) out.push_back(LinkRecordOf(r));
    return Status::OK();
  });
  if (!st.ok()) return st;
  return out;
}

Result<std::vector<LinkRecord>> LinkRecordsOf(Conn& conn, int64_t record_id) {
  auto rows = conn.Query(
      "SELECT link_id, kind, external_id, record_id, base, base_hash FROM link_records "
      "WHERE record_id = ? ORDER BY link_id",
      {record_id});
  if (!rows.ok()) return rows.status();
  std::vector<LinkRecord> out;
  for (const Row& r : *rows) out.push_back(LinkRecordOf(r));
  return out;
}

Status UpsertLinkRecords(Conn& conn, const std::vector<LinkRecord>& in) {
  // One statement may not touch a key twice (PostgreSQL refuses): the last row for a key wins.
  using Key = std::tuple<int64_t, std::string_view, std::string_view>;
  auto key = [](const LinkRecord& r) { return Key{r.link_id, r.kind, r.external_id}; };
  std::map<Key, size_t> last;
  for (size_t i = 0; i < in.size(); ++i) last[key(in[i])] = i;
  std::vector<Row> values;
  values.reserve(last.size());
  const int64_t now = NowMs();
  for (size_t i = 0; i < in.size(); ++i) {
    const LinkRecord& r = in[i];
    if (last.find(key(r))->second != i) continue;
    values.push_back(MakeRow(r.link_id, r.kind, r.external_id, r.record_id, detail::Opt(r.base),
                             detail::TextOrNull(r.base_hash), now));
  }
  if (values.empty()) return Status::OK();
  SENDSYNC_RETURN_IF_ERROR(detail::BumpHubGeneration(conn));
  return conn.InsertMany(
      "link_records",
      {"link_id", "kind", "external_id", "record_id", "base", "base_hash", "updated_at"}, values,
      "ON CONFLICT (link_id, kind, external_id) DO UPDATE SET record_id = excluded.record_id, "
      "base = excluded.base, base_hash = excluded.base_hash, updated_at = excluded.updated_at");
}

Status UpdateLinkBases(Conn& conn, const std::vector<LinkRecord>& rows) {
  if (rows.empty()) return Status::OK();
  std::vector<Row> params;
  params.reserve(rows.size());
  const int64_t now = NowMs();
  for (const LinkRecord& r : rows)
    params.push_back(MakeRow(detail::Opt(r.base), detail::TextOrNull(r.base_hash), now, r.link_id,
                             r.kind, r.external_id, r.record_id));
  SENDSYNC_RETURN_IF_ERROR(detail::BumpHubGeneration(conn));
  // Only the base changes, so no index entry is rewritten (an upsert that names record_id would
  // rewrite link_records_record's entry for every row).
  return conn.ExecEach(
      "UPDATE link_records SET base = ?, base_hash = ?, updated_at = ? "
      "WHERE link_id = ? AND kind = ? AND external_id = ? AND record_id = ?",
      params, /*each_changes_one=*/true);
}

Status DeleteLinkRecord(Conn& conn, int64_t link_id, const std::string& kind,
                        const std::string& external_id) {
  SENDSYNC_RETURN_IF_ERROR(detail::BumpHubGeneration(conn));
  return conn.Exec("DELETE FROM link_records WHERE link_id = ? AND kind = ? AND external_id = ?",
                   {link_id, kind, external_id});
}

}  // namespace sendsync::store
