// Links, their cursors, runs, leases and API tokens.
#include "base/log/log.h"
#include "core/store/sql_util.h"
#include "core/store/store.h"

namespace sendsync::store {

using nlohmann::json;

namespace {

const char* kLinkCols =
    "id, name, school_urn, adapter_id, config, settings, schedule, enabled, created_at, "
    "removed_at, adapter_version, adapter_previous_version";

Result<Link> LinkOf(const Row& r) {
  Link l;
  l.id = AsInt(r[0]);
  l.name = AsText(r[1]);
  l.school_urn = AsText(r[2]);
  l.adapter_id = AsText(r[3]);
  auto config = detail::ParseStored(AsText(r[4]), "link " + l.name + " config");
  if (!config.ok()) return config.status();
  auto settings = detail::ParseStored(AsText(r[5]), "link " + l.name + " settings");
  if (!settings.ok()) return settings.status();
  l.config = std::move(*config);
  l.settings = std::move(*settings);
  l.schedule = AsText(r[6]);
  l.enabled = AsInt(r[7]) != 0;
  l.created_at = AsInt(r[8]);
  l.removed_at = detail::OptIntOf(r[9]);
  l.adapter_version = AsText(r[10]);
  l.adapter_previous_version = AsText(r[11]);
  return l;
}

Result<std::vector<Link>> SelectLinks(Conn& conn, const std::string& where,
                                      const std::vector<Value>& params) {
  auto rows = conn.Query(std::string("SELECT ") + kLinkCols + " FROM links " + where, params);
  if (!rows.ok()) return rows.status();
  std::vector<Link> out;
  for (const Row& r : *rows) {
    auto l = LinkOf(r);
    if (!l.ok()) return l.status();
    out.push_back(std::move(*l));
  }
  return out;
}

Run RunOf(const Row& r) {
  Run x;
  x.id = AsInt(r[0]);
  x.link_id = AsInt(r[1]);
  x.mode = AsText(r[2]);
  x.started_at = AsInt(r[3]);
  x.finished_at = detail::OptIntOf(r[4]);
  x.status = AsText(r[5]);
  json s = json::parse(AsText(r[6], "{}"), nullptr, false);
  x.summary = s.is_discarded() ? json::object() : s;
  x.error = AsText(r[7]);
  x.holder = AsText(r[8]);
  if (x.status == "running") {  // a finished run's progress is its summary
    json p = json::parse(AsText(r[9], ""), nullptr, false);
    if (p.is_object()) x.progress = std::move(p);
  }
  return x;
}

const char* kRunCols =
    "id, link_id, mode, started_at, finished_at, status, summary, error, holder, progress";

Token TokenOf(const Row& r) {
  Token t;
  t.id = AsInt(r[0]);
  t.name = AsText(r[1]);
  t.role = AsText(r[2]);
  t.school_urn = AsText(r[3]);
  t.token_hash = AsText(r[4]);
  t.created_at = AsInt(r[5]);
  t.last_used_at = detail::OptIntOf(r[6]);
  t.revoked_at = detail::OptIntOf(r[7]);
  return t;
}

const char* kTokenCols =
    "id, name, role, school_urn, token_hash, created_at, last_used_at, revoked_at";

}  // namespace

Result<int64_t> CreateLink(Conn& conn, const Link& link) {
  auto existing = SelectLinks(conn, "WHERE name = ? AND removed_at IS NULL", {link.name});
  if (!existing.ok()) return existing.status();
  if (!existing->empty())
    return Status::AlreadyExists("a link named '" + link.name + "' already exists");
  auto id = AllocateIds(conn, "links", 1);
  if (!id.ok()) return id.status();
  SENDSYNC_RETURN_IF_ERROR(detail::BumpHubGeneration(conn));
  SENDSYNC_RETURN_IF_ERROR(conn.Exec(
      "INSERT INTO links (id, name, school_urn, adapter_id, config, settings, schedule, enabled, "
      "created_at, adapter_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {*id, link.name, link.school_urn, link.adapter_id, link.config.dump(), link.settings.dump(),
       link.schedule, int64_t{link.enabled ? 1 : 0}, NowMs(),
       link.adapter_version.empty() ? Value() : Value(link.adapter_version)}));
  return *id;
}

Result<Link> GetLink(Conn& conn, const std::string& name, bool include_removed) {
  // A removed link is renamed "<name>#removed-<n>"; the name is escaped so that its own % and _
  // match only themselves (a name given as a filter must match exactly, never as a pattern).
  std::string pattern;
  for (char c : name) {
    if (c == '%' || c == '_' || c == '\\') pattern += '\\';
    pattern += c;
  }
  pattern += "#removed-%";
  auto links =
      SelectLinks(conn,
                  include_removed ? "WHERE name = ? OR name LIKE ? ESCAPE '\\' ORDER BY id DESC"
                                  : "WHERE name = ? AND removed_at IS NULL",
                  include_removed ? std::vector<Value>{name, pattern} : std::vector<Value>{name});
  if (!links.ok()) return links.status();
  // LIKE ignores case in SQLite: keep only the exact name and its own removed copies.
  const std::string removed = name + "#removed-";
  for (const Link& l : *links)
    if (l.name == name || l.name.compare(0, removed.size(), removed) == 0) return l;
  return Status::NotFound("no link named '" + name + "'");
}

Result<Link> GetLinkById(Conn& conn, int64_t id) {
  auto links = SelectLinks(conn, "WHERE id = ?", {id});
  if (!links.ok()) return links.status();
  if (links->empty()) return Status::NotFound("no link with id " + std::to_string(id));
  return links->front();
}

Result<std::vector<Link>> ListLinks(Conn& conn, bool include_removed) {
  return SelectLinks(conn, include_removed ? "ORDER BY id" : "WHERE removed_at IS NULL ORDER BY id",
                     {});
}

Status SetLinkEnabled(Conn& conn, int64_t id, bool enabled) {
  SENDSYNC_RETURN_IF_ERROR(detail::BumpHubGeneration(conn));
  return conn.Exec("UPDATE links SET enabled = ? WHERE id = ?", {int64_t{enabled ? 1 : 0}, id});
}

Status UpdateLinkSettings(Conn& conn, int64_t id, const json& settings) {
  SENDSYNC_RETURN_IF_ERROR(detail::BumpHubGeneration(conn));
  return conn.Exec("UPDATE links SET settings = ? WHERE id = ?", {settings.dump(), id});
}

Status SetLinkAdapterVersion(Conn& conn, int64_t id, const std::string& version,
                             const std::string& previous) {
  SENDSYNC_RETURN_IF_ERROR(detail::BumpHubGeneration(conn));
  return conn.Exec(
      "UPDATE links SET adapter_version = ?, adapter_previous_version = ? WHERE id = ?",
      {version.empty() ? Value() : Value(version), previous.empty() ? Value() : Value(previous),
       id});
}

Status RemoveLink(Conn& conn, int64_t id) {
  SENDSYNC_RETURN_IF_ERROR(detail::BumpHubGeneration(conn));
  return conn.Exec(
      "UPDATE links SET removed_at = ?, enabled = 0, name = name || '#removed-' || id "
      "WHERE id = ? AND removed_at IS NULL",
      {NowMs(), id});
}

Result<std::string> GetCursor(Conn& conn, int64_t link_id, const std::string& kind) {
  auto rows =
      conn.Query("SELECT cursor FROM link_cursors WHERE link_id = ? AND kind = ?", {link_id, kind});
  if (!rows.ok()) return rows.status();
  return rows->empty() ? std::string() : AsText((*rows)[0][0]);
}

Status SetCursor(Conn& conn, int64_t link_id, const std::string& kind, const std::string& cursor) {
  return conn.Exec(
      "INSERT INTO link_cursors (link_id, kind, cursor, updated_at) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (link_id, kind) DO UPDATE SET cursor = excluded.cursor, "
      "updated_at = excluded.updated_at",
      {link_id, kind, cursor, NowMs()});
}

// ---- runs ----

Result<int64_t> StartRun(Conn& conn, int64_t link_id, const std::string& mode,
                         const std::string& holder) {
  auto id = AllocateIds(conn, "runs", 1);
  if (!id.ok()) return id.status();
  SENDSYNC_RETURN_IF_ERROR(
      conn.Exec("INSERT INTO runs (id, link_id, mode, started_at, status, summary, holder) "
                "VALUES (?, ?, ?, ?, 'running', '{}', ?)",
                {*id, link_id, mode, NowMs(), holder}));
  return *id;
}

Status FinishRun(Conn& conn, int64_t run_id, const std::string& status, const json& summary,
                 const std::string& error) {
  return conn.Exec(
      "UPDATE runs SET finished_at = ?, status = ?, summary = ?, error = ?, progress = NULL "
      "WHERE id = ?",
      {NowMs(), status, summary.dump(), detail::TextOrNull(error), run_id});
}

Result<std::vector<Run>> ListRuns(Conn& conn, int64_t link_id, int64_t limit, int64_t before_id) {
  std::string where = "WHERE 1 = 1";
  std::vector<Value> params;
  if (link_id) {
    where += " AND link_id = ?";
    params.push_back(link_id);
  }
  if (before_id) {
    where += " AND id < ?";
    params.push_back(before_id);
  }
  params.push_back(limit);
  auto rows = conn.Query(
      std::string("SELECT ") + kRunCols + " FROM runs " + where + " ORDER BY id DESC LIMIT ?",
      params);
  if (!rows.ok()) return rows.status();
  std::vector<Run> out;
  for (const Row& r : *rows) out.push_back(RunOf(r));
  return out;
}

Result<Run> GetRun(Conn& conn, int64_t id) {
  auto rows = conn.Query(std::string("SELECT ") + kRunCols + " FROM runs WHERE id = ?", {id});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return Status::NotFound("no run " + std::to_string(id));
  return RunOf((*rows)[0]);
}

Status RecordRunProgress(Conn& conn, int64_t run_id, const json& summary) {
  return conn.Exec("UPDATE runs SET summary = ? WHERE id = ? AND status = 'running'",
                   {summary.dump(), run_id});
}

Status SaveRunLiveProgress(Conn& conn, int64_t run_id, const json& progress) {
  return conn.Exec("UPDATE runs SET progress = ? WHERE id = ? AND status = 'running'",
                   {progress.dump(), run_id});
}

Status AbandonStaleRuns(Conn& conn, int64_t link_id, const std::string& new_holder) {
  return conn.Exec(
      "UPDATE runs SET status = 'abandoned', finished_at = ?, progress = NULL, "
      "error = 'the process running it stopped before it finished; the next run resumed' "
      "WHERE link_id = ? AND status = 'running' AND (holder IS NULL OR holder <> ?)",
      {NowMs(), link_id, new_holder});
}

// ---- leases ----

Result<bool> AcquireLease(Conn& conn, int64_t link_id, const std::string& holder, int64_t ttl_ms) {
  const int64_t now = NowMs();
  SENDSYNC_RETURN_IF_ERROR(
      conn.Exec("INSERT INTO leases (link_id, holder, expires_at) VALUES (?, ?, ?) "
                "ON CONFLICT (link_id) DO UPDATE SET holder = excluded.holder, "
                "expires_at = excluded.expires_at "
                "WHERE leases.expires_at < ? OR leases.holder = excluded.holder",
                {link_id, holder, now + ttl_ms, now}));
  auto rows = conn.Query("SELECT holder FROM leases WHERE link_id = ?", {link_id});
  if (!rows.ok()) return rows.status();
  return !rows->empty() && AsText((*rows)[0][0]) == holder;
}

Result<std::string> LeaseHolder(Conn& conn, int64_t link_id) {
  auto rows = conn.Query("SELECT holder FROM leases WHERE link_id = ?", {link_id});
  if (!rows.ok()) return rows.status();
  return rows->empty() ? std::string() : AsText((*rows)[0][0]);
}

Result<std::optional<Lease>> GetLease(Conn& conn, int64_t link_id) {
  auto rows = conn.Query("SELECT holder, expires_at FROM leases WHERE link_id = ?", {link_id});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<Lease>();
  return std::optional<Lease>(Lease{AsText((*rows)[0][0]), AsInt((*rows)[0][1])});
}

Result<bool> TakeOverLease(Conn& conn, int64_t link_id, const std::string& old_holder,
                           const std::string& holder, int64_t ttl_ms) {
  size_t n = 0;
  SENDSYNC_RETURN_IF_ERROR(
      conn.Exec("UPDATE leases SET holder = ?, expires_at = ? WHERE link_id = ? AND holder = ?",
                {holder, NowMs() + ttl_ms, link_id, old_holder}, &n));
  return n == 1;
}

Result<bool> RenewLease(Conn& conn, int64_t link_id, const std::string& holder, int64_t ttl_ms) {
  size_t n = 0;
  SENDSYNC_RETURN_IF_ERROR(
      conn.Exec("UPDATE leases SET expires_at = ? WHERE link_id = ? AND holder = ?",
                {NowMs() + ttl_ms, link_id, holder}, &n));
  return n == 1;
}

Status ReleaseLease(Conn& conn, int64_t link_id, const std::string& holder) {
  return conn.Exec("DELETE FROM leases WHERE link_id = ? AND holder = ?", {link_id, holder});
}

LeaseGuard::~LeaseGuard() {
  Status st = Release();
  if (!st.ok())
    log::Write(log::Level::kWarn, "lease.release_failed",
               {{"link_id", link_id_}, {"holder", holder_}, {"error", st.message()}});
}

Status LeaseGuard::Release() {
  if (released_) return Status::OK();
  released_ = true;  // tried once: a failed release is reported, not retried from the destructor
  return ReleaseLease(conn_, link_id_, holder_);
}

// ---- hosts ----

Status HostHeartbeat(Conn& conn, const Host& h) {
  return conn.Exec(
      "INSERT INTO hosts (host_id, holder, listen, version, started_at, heartbeat_at) "
      "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (host_id) DO UPDATE SET holder = excluded.holder, "
      "listen = excluded.listen, version = excluded.version, started_at = excluded.started_at, "
      "heartbeat_at = excluded.heartbeat_at",
      {h.host_id, h.holder, h.listen, h.version, h.started_at, h.heartbeat_at});
}

Result<std::vector<Host>> ListHosts(Conn& conn) {
  auto rows = conn.Query(
      "SELECT host_id, holder, listen, version, started_at, heartbeat_at FROM hosts "
      "ORDER BY host_id");
  if (!rows.ok()) return rows.status();
  std::vector<Host> out;
  for (const Row& r : *rows) {
    Host h;
    h.host_id = AsText(r[0]);
    h.holder = AsText(r[1]);
    h.listen = AsText(r[2]);
    h.version = AsText(r[3]);
    h.started_at = AsInt(r[4]);
    h.heartbeat_at = AsInt(r[5]);
    out.push_back(std::move(h));
  }
  // A lease's holder is "<host id>:<pid>:<n>": the links each host's processes hold now.
  auto leases = conn.Query(
      "SELECT l.holder, k.name FROM leases l JOIN links k ON k.id = l.link_id "
      "WHERE l.expires_at >= ? ORDER BY k.name",
      {NowMs()});
  if (!leases.ok()) return leases.status();
  for (const Row& r : *leases) {
    const std::string holder = AsText(r[0]);
    const std::string host = holder.substr(0, holder.find(':'));
    for (Host& h : out)
      if (h.host_id == host) h.links.push_back(AsText(r[1]));
  }
  return out;
}

// ---- tokens ----

Result<int64_t> CreateToken(Conn& conn, const Token& t) {
  auto id = AllocateIds(conn, "tokens", 1);
  if (!id.ok()) return id.status();
  Status st = conn.Exec(
      "INSERT INTO tokens (id, name, role, school_urn, token_hash, created_at) "
      "VALUES (?, ?, ?, ?, ?, ?)",
      {*id, t.name, t.role, detail::TextOrNull(t.school_urn), t.token_hash, NowMs()});
  if (st.code() == Status::Code::kAlreadyExists)  // the name: the id is allocated, the hash random
    return Status::AlreadyExists("a token named '" + t.name + "' already exists");
  if (!st.ok()) return st;
  return *id;
}

Result<std::optional<Token>> FindTokenByHash(Conn& conn, const std::string& hash) {
  auto rows = conn.Query(std::string("SELECT ") + kTokenCols +
                             " FROM tokens WHERE token_hash = ? AND revoked_at IS NULL",
                         {hash});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<Token>();
  return std::optional<Token>(TokenOf((*rows)[0]));
}

Result<std::vector<Token>> ListTokens(Conn& conn) {
  auto rows = conn.Query(std::string("SELECT ") + kTokenCols + " FROM tokens ORDER BY id");
  if (!rows.ok()) return rows.status();
  std::vector<Token> out;
  for (const Row& r : *rows) out.push_back(TokenOf(r));
  return out;
}

Status RevokeToken(Conn& conn, const std::string& name) {
  SENDSYNC_RETURN_IF_ERROR(detail::BumpHubGeneration(conn));  // drops the API's cached tokens
  size_t n = 0;
  SENDSYNC_RETURN_IF_ERROR(
      conn.Exec("UPDATE tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                {NowMs(), name}, &n));
  if (n == 0) return Status::NotFound("no active token named '" + name + "'");
  return Status::OK();
}

Status TouchToken(Conn& conn, int64_t id, int64_t when) {
  return conn.Exec("UPDATE tokens SET last_used_at = ? WHERE id = ?", {when, id});
}

}  // namespace sendsync::store
