// School names by URN (the schools table, migration 8).
#include "core/store/sql_util.h"
#include "core/store/store.h"

namespace sendsync::store {

Status PutSchoolNames(Conn& conn, const std::vector<SchoolName>& schools) {
  for (const SchoolName& s : schools)
    SENDSYNC_RETURN_IF_ERROR(
        conn.Exec("INSERT INTO schools (urn, name, source, updated_at) VALUES (?, ?, ?, ?) "
                  "ON CONFLICT (urn) DO UPDATE SET name = excluded.name, "
                  "source = excluded.source, updated_at = excluded.updated_at",
                  {s.urn, s.name, s.source, s.updated_at ? s.updated_at : NowMs()}));
  return Status::OK();
}

Result<std::vector<SchoolName>> ListSchoolNames(Conn& conn) {
  auto rows = conn.Query("SELECT urn, name, source, updated_at FROM schools ORDER BY urn");
  if (!rows.ok()) return rows.status();
  std::vector<SchoolName> out;
  for (const Row& r : *rows) out.push_back({AsText(r[0]), AsText(r[1]), AsText(r[2]), AsInt(r[3])});
  return out;
}

}  // namespace sendsync::store
