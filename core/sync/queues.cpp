// What people do with the queues: resolve conflicts and matches, retry or discard quarantined
// records, retry dead letters; and admin imports. Every resolution is audited.
#include <fstream>
#include <set>

#include "core/domain/domain.h"
#include "core/hub/hub.h"
#include "core/sync/engine_impl.h"
#include "core/sync/plan.h"
#include "sendsync/sdk/records.h"

namespace sendsync::sync {

using detail::LinkCtx;
using nlohmann::json;

namespace {

Status AuditOne(store::Conn& conn, const std::string& actor, const std::string& action,
                const std::string& kind, int64_t record_id, int64_t pupil_id, json detail) {
  std::vector<audit::Entry> e(1);
  e[0].actor = actor;
  e[0].action = action;
  e[0].kind = kind;
  e[0].record_id = record_id;
  e[0].pupil_id = pupil_id;
  e[0].detail = std::move(detail);
  return audit::Append(conn, e);
}

// Checks a hub record body is still a valid record of its kind (after a person's edit).
Status CheckBody(store::Conn& conn, const store::RecordRow& row, const json& body) {
  std::string upn = row.upn;
  if (row.kind != "pupil") {
    auto p = store::LoadRecords(conn, {row.pupil_id});
    if (p.ok() && !p->empty()) upn = (*p)[0].upn;
  }
  store::RecordRow probe = row;
  probe.body = body.dump();
  json canonical = hub::Canonical(probe, upn);
  std::string problems;
  for (const domain::Issue& i : domain::ValidateJson(canonical))
    if (i.severity == domain::Severity::kError) problems += "\n  " + domain::FormatIssue(i);
  if (!problems.empty())
    return Status::InvalidArgument("that would make the record invalid:" + problems);
  return Status::OK();
}

// A conflict being resolved: the conflict, the record, this link's record of it, and the group
// of the record's open conflicts resolved with it.
struct ConflictCase {
  store::Conflict conflict;
  store::RecordRow row;
  int64_t pupil_id = 0;
  std::vector<store::LinkRecord> links;
  std::vector<store::Conflict> group;
  std::string resolution;
  std::optional<std::string> value;
  std::string actor;
  bool whole_record = false;
};

// Resolves a deletion conflict: "theirs" deletes the record as the link did; "ours" keeps it, and
// the link, which no longer has it, is sent it again.
Status ResolveDeletion(store::Conn& conn, const ConflictCase& k) {
  const std::string& resolution = k.resolution;
  const std::string& actor = k.actor;
  const store::Conflict* c = &k.conflict;
  const std::vector<store::LinkRecord>* links = &k.links;
  store::RecordRow row = k.row;
  const int64_t pupil_id = k.pupil_id;
  const int64_t id = c->id;
  if (resolution == "value")
    return Status::InvalidArgument("a deletion conflict is resolved with ours or theirs");
  if (resolution == "theirs") {  // delete it, as the link did
    row.version += 1;
    row.deleted = true;
    row.updated_at = store::NowMs();
    SENDSYNC_RETURN_IF_ERROR(store::UpdateRecords(conn, {row}, actor));
    SENDSYNC_RETURN_IF_ERROR(store::DeleteLinkRecord(conn, c->link_id, c->kind, c->external_id));
    SENDSYNC_RETURN_IF_ERROR(AuditOne(conn, actor, "record.delete", row.kind, row.id, pupil_id,
                                      {{"conflict_id", id}, {"version", row.version}}));
  } else if (!links->empty()) {  // keep it; the link no longer has it, so it must be resent
    store::LinkRecord lr = (*links)[0];
    lr.base.reset();
    lr.base_hash.clear();
    SENDSYNC_RETURN_IF_ERROR(store::UpsertLinkRecords(conn, {lr}));
  }
  return Status::OK();
}

// Resolves field conflicts (the group): the chosen values go into the hub's record, if it stays
// valid, and the link's values stay its base, so the hub's choice is pushed where it differs.
Status ResolveFields(store::Conn& conn, const ConflictCase& k) {
  const std::string& resolution = k.resolution;
  const std::string& actor = k.actor;
  const std::optional<std::string>& value = k.value;
  const store::Conflict* c = &k.conflict;
  const std::vector<store::LinkRecord>* links = &k.links;
  const std::vector<store::Conflict>& group = k.group;
  const bool whole_record = k.whole_record;
  store::RecordRow row = k.row;
  const int64_t pupil_id = k.pupil_id;
  const int64_t id = c->id;
  json body = json::parse(row.body, nullptr, false);
  json before = body;
  json fields = json::array();
  for (const store::Conflict& g : group) {
    json chosen;
    bool present = true;
    if (resolution == "ours") {
      present = g.ours.has_value();
      if (present) chosen = json::parse(*g.ours, nullptr, false);
    } else if (resolution == "theirs") {
      present = g.theirs.has_value();
      if (present) chosen = json::parse(*g.theirs, nullptr, false);
    } else {
      chosen = json::parse(*value, nullptr, false);
      if (chosen.is_discarded())
        return Status::InvalidArgument(
            "the value must be JSON (a quoted string like \"K\", a number, a list …)");
      present = !chosen.is_null();
    }
    if (present)
      body[g.field] = chosen;
    else
      body.erase(g.field);
    fields.push_back(g.field);
  }
  Status valid = CheckBody(conn, row, body);
  if (!valid.ok() && !whole_record && group.size() == 1) {
    auto open = store::OpenConflictsFor(conn, {c->record_id});
    if (open.ok() && open->size() > 1)
      return Status::InvalidArgument(
          valid.message() +
          "\nThis record has other open conflicts; resolve them together "
          "(whole record).");
  }
  SENDSYNC_RETURN_IF_ERROR(valid);
  if (body != before) {
    row.version += 1;
    row.body = body.dump();
    row.hash = detail::HashOf(body);
    row.updated_at = store::NowMs();
    if (row.kind == "pupil") {
      row.upn = body.value("upn", "");
      row.former_upn = body.value("former_upn", "");
      row.dob = body.value("dob", "");
      row.school_urn = body.value("school_urn", "");
    }
    SENDSYNC_RETURN_IF_ERROR(store::UpdateRecords(conn, {row}, actor));
    SENDSYNC_RETURN_IF_ERROR(AuditOne(
        conn, actor, "record.update", row.kind, row.id, pupil_id,
        {{"conflict_id", id}, {"fields", fields}, {"version", row.version}, {"hash", row.hash}}));
  }
  // The link still has its values: they are the base, so the hub's choice is pushed if it
  // differs.
  if (!links->empty()) {
    store::LinkRecord lr = (*links)[0];
    json base = lr.base ? json::parse(*lr.base, nullptr, false) : json::object();
    if (!base.is_object()) base = json::object();
    for (const store::Conflict& g : group) {
      if (g.theirs)
        base[g.field] = json::parse(*g.theirs, nullptr, false);
      else
        base.erase(g.field);
    }
    lr.base = base.dump();
    lr.base_hash = detail::HashOf(base);
    SENDSYNC_RETURN_IF_ERROR(store::UpsertLinkRecords(conn, {lr}));
  }
  return Status::OK();
}

// The batch path of a person's resolution or an import: plans `items` (CheckBatch first) and
// commits the plan on `conn`, inside the caller's transaction, which rolls it all back when the
// caller finds the result wanting.
Result<detail::BatchResult> PlanAndCommit(store::Conn& conn, const LinkCtx& ctx,
                                          const std::string& kind,
                                          std::vector<detail::Incoming>& items,
                                          const detail::BatchOptions& bo) {
  auto plan = detail::PlanBatch(conn, ctx, kind, items, bo);
  if (!plan.ok()) return plan.status();
  SENDSYNC_RETURN_IF_ERROR(detail::CommitPlan(conn, *plan, /*dry_run=*/false));
  return std::move(plan->result);
}

}  // namespace

Status Engine::ResolveConflict(int64_t id, store::ConflictResolution take,
                               const std::optional<std::string>& value, const std::string& actor,
                               bool whole_record) {
  const std::string resolution = store::ConflictResolutionName(take);
  if (resolution == "value" && !value)
    return Status::InvalidArgument("resolution 'value' needs the value (JSON)");
  if (resolution == "value" && whole_record)
    return Status::InvalidArgument("a value resolves one field; resolve the others on their own");
  auto conn_r = impl_->store.Connect();
  if (!conn_r.ok()) return conn_r.status();
  store::Conn& conn = **conn_r;
  store::Tx tx(conn);
  SENDSYNC_RETURN_IF_ERROR(tx.status());
  auto c = store::GetConflict(conn, id);
  if (!c.ok()) return c.status();
  if (c->status != store::ReviewStatus::kOpen)
    return Status::FailedPrecondition("conflict " + std::to_string(id) + " is already resolved");
  auto rows = store::LoadRecords(conn, {c->record_id});
  if (!rows.ok()) return rows.status();
  if (rows->empty())
    return Status::NotFound("the record of conflict " + std::to_string(id) + " is gone");
  store::RecordRow row = (*rows)[0];
  const int64_t pupil_id = row.kind == "pupil" ? row.id : row.pupil_id;
  auto links = store::LinkRecordsByExternal(conn, c->link_id, c->kind, {c->external_id});
  if (!links.ok()) return links.status();

  std::vector<store::Conflict> group = {*c};
  if (whole_record) {
    auto open = store::OpenConflictsFor(conn, {c->record_id});
    if (!open.ok()) return open.status();
    for (const auto& o : *open)
      if (o.id != c->id && o.link_id == c->link_id && o.field != "(deleted)") group.push_back(o);
  }

  ConflictCase k{*c,         row,   pupil_id, std::move(*links), std::move(group),
                 resolution, value, actor,    whole_record};
  SENDSYNC_RETURN_IF_ERROR(c->field == "(deleted)" ? ResolveDeletion(conn, k)
                                                   : ResolveFields(conn, k));
  for (const store::Conflict& g : k.group) {
    SENDSYNC_RETURN_IF_ERROR(store::ResolveConflict(conn, g.id, take, value, actor));
    SENDSYNC_RETURN_IF_ERROR(
        AuditOne(conn, actor, "conflict.resolve", g.kind, g.record_id, pupil_id,
                 {{"conflict_id", g.id}, {"field", g.field}, {"resolution", resolution}}));
  }
  SENDSYNC_RETURN_IF_ERROR(detail::FanOut(conn, c->kind, {c->record_id}));
  return tx.Commit();
}

Status Engine::RetryQuarantine(int64_t id, const std::optional<std::string>& edited,
                               const std::string& actor) {
  auto conn_r = impl_->store.Connect();
  if (!conn_r.ok()) return conn_r.status();
  store::Conn& conn = **conn_r;
  store::Tx tx(conn);
  SENDSYNC_RETURN_IF_ERROR(tx.status());
  auto q = store::GetQuarantine(conn, id);
  if (!q.ok()) return q.status();
  if (q->status != store::ReviewStatus::kOpen)
    return Status::FailedPrecondition("quarantined record " + std::to_string(id) + " is not open");
  json raw = json::parse(edited ? *edited : q->raw, nullptr, false);
  if (!raw.is_object())
    return Status::InvalidArgument(
        edited ? "the edited payload is not a JSON object"
               : "this quarantined item is not a record the hub can read (" +
                     (q->reasons.empty() ? std::string("?") : q->reasons[0].value("message", "")) +
                     "); give a corrected canonical record with --payload FILE");
  auto ctx = detail::LoadLinkById(conn, q->link_id);
  if (!ctx.ok()) return ctx.status();
  ctx->actor = actor;
  std::vector<detail::Incoming> items(1);
  items[0].raw = raw;
  items[0].ext_id = "quarantine #" + std::to_string(id);
  detail::BatchOptions bo;
  bo.quarantine_failures = false;
  bo.quarantine_id = id;
  auto br = PlanAndCommit(conn, *ctx, q->kind, items, bo);
  if (!br.ok()) return br.status();
  if (!br->errors.empty()) {
    std::string all;
    for (const auto& e : br->errors) all += "\n  " + e;
    return Status::InvalidArgument("still not valid, left in quarantine:" + all);  // rolls back
  }
  SENDSYNC_RETURN_IF_ERROR(
      store::ResolveQuarantine(conn, id, store::ReviewStatus::kApplied, actor,
                               edited ? "applied after an edit" : "applied on retry"));
  SENDSYNC_RETURN_IF_ERROR(AuditOne(conn, actor, "quarantine.applied", q->kind, 0, 0,
                                    {{"quarantine_id", id}, {"edited", edited.has_value()}}));
  return tx.Commit();
}

Status Engine::DiscardQuarantine(int64_t id, const std::string& reason, const std::string& actor) {
  if (reason.empty()) return Status::InvalidArgument("say why the record is discarded (--reason)");
  auto conn_r = impl_->store.Connect();
  if (!conn_r.ok()) return conn_r.status();
  store::Conn& conn = **conn_r;
  store::Tx tx(conn);
  SENDSYNC_RETURN_IF_ERROR(tx.status());
  auto q = store::GetQuarantine(conn, id);
  if (!q.ok()) return q.status();
  SENDSYNC_RETURN_IF_ERROR(
      store::ResolveQuarantine(conn, id, store::ReviewStatus::kDiscarded, actor, reason));
  SENDSYNC_RETURN_IF_ERROR(AuditOne(conn, actor, "quarantine.discard", q->kind, 0, 0,
                                    {{"quarantine_id", id}, {"reason", reason}}));
  return tx.Commit();
}

Status Engine::ResolveMatch(int64_t id, const std::string& resolution, const std::string& actor) {
  auto conn_r = impl_->store.Connect();
  if (!conn_r.ok()) return conn_r.status();
  store::Conn& conn = **conn_r;
  store::Tx tx(conn);
  SENDSYNC_RETURN_IF_ERROR(tx.status());
  auto m = store::GetMatch(conn, id);
  if (!m.ok()) return m.status();
  if (m->status != store::ReviewStatus::kOpen)
    return Status::FailedPrecondition("match " + std::to_string(id) + " is already resolved");
  detail::BatchOptions bo;
  bo.quarantine_failures = false;
  if (resolution == "new") {
    bo.force_new_pupil = true;
  } else if (resolution.rfind("record:", 0) == 0) {
    int64_t target = hub::ParseHubId(resolution.substr(7));
    auto rows = store::LoadRecords(conn, {target});
    if (!rows.ok()) return rows.status();
    if (!target || rows->empty() || (*rows)[0].kind != "pupil" || (*rows)[0].deleted)
      return Status::InvalidArgument("'" + resolution.substr(7) + "' is not a pupil in the hub");
    bo.force_pupil_id = target;
  } else if (resolution != "discard") {
    return Status::InvalidArgument("resolution must be record:<hub id>, new or discard");
  }
  if (resolution != "discard") {
    auto ctx = detail::LoadLinkById(conn, m->link_id);
    if (!ctx.ok()) return ctx.status();
    std::vector<detail::Incoming> items(1);
    items[0].raw = json::parse(m->raw, nullptr, false);
    items[0].ext_id = "match #" + std::to_string(id);
    auto br = PlanAndCommit(conn, *ctx, m->kind, items, bo);
    if (!br.ok()) return br.status();
    if (!br->errors.empty()) return Status::InvalidArgument("cannot apply it: " + br->errors[0]);
  }
  SENDSYNC_RETURN_IF_ERROR(store::ResolveMatch(conn, id, resolution, actor));
  SENDSYNC_RETURN_IF_ERROR(AuditOne(conn, actor, "match.resolve", m->kind, bo.force_pupil_id,
                                    bo.force_pupil_id,
                                    {{"match_id", id}, {"resolution", resolution}}));
  return tx.Commit();
}

Status Engine::RetryOutbox(int64_t id, const std::string& actor) {
  auto conn_r = impl_->store.Connect();
  if (!conn_r.ok()) return conn_r.status();
  store::Conn& conn = **conn_r;
  store::Tx tx(conn);
  SENDSYNC_RETURN_IF_ERROR(tx.status());
  auto o = store::GetOutbox(conn, id);
  if (!o.ok()) return o.status();
  if (o->status != store::OutboxStatus::kDead && o->status != store::OutboxStatus::kRejected)
    return Status::FailedPrecondition("change " + std::to_string(id) + " is " +
                                      store::OutboxStatusName(o->status) +
                                      "; only dead-lettered or rejected changes can be retried");
  o->status = store::OutboxStatus::kPending;
  o->attempts = 0;
  o->next_attempt_at = store::NowMs();
  o->finished_at.reset();
  SENDSYNC_RETURN_IF_ERROR(store::UpdateOutbox(conn, *o));
  SENDSYNC_RETURN_IF_ERROR(
      AuditOne(conn, actor, "outbox.retry", o->kind, o->record_id, 0, {{"outbox_id", id}}));
  return tx.Commit();
}

Result<int64_t> Engine::RetryOutboxAll(const std::string& link, const std::string& status,
                                       const std::string& actor) {
  OutboxRetryFilter f;
  f.link = link;
  f.status = status;
  auto ids = RetryOutboxMatching(f, actor);
  if (!ids.ok()) return ids.status();
  return static_cast<int64_t>(ids->size());
}

Result<std::vector<int64_t>> Engine::RetryOutboxMatching(const OutboxRetryFilter& filter,
                                                         const std::string& actor) {
  const std::string& status = filter.status;
  if (status != "dead" && status != "rejected")
    return Status::InvalidArgument("--status must be dead or rejected, not '" + status + "'");
  auto conn_r = impl_->store.Connect();
  if (!conn_r.ok()) return conn_r.status();
  store::Conn& conn = **conn_r;
  store::Tx tx(conn);
  SENDSYNC_RETURN_IF_ERROR(tx.status());
  store::QueueFilter f;
  f.status = status;
  f.school_urn = filter.school_urn;
  if (!filter.link.empty()) {
    auto l = store::GetLink(conn, filter.link, false);
    if (!l.ok()) return l.status();
    f.link_id = l->id;
  }
  const int64_t now = store::NowMs();
  std::vector<int64_t> done;
  // Puts one page of changes back in the queue, each with its audit entry.
  auto requeue = [&](std::vector<store::OutboxItem>& items) -> Status {
    std::vector<audit::Entry> entries;
    for (store::OutboxItem& o : items) {
      o.status = store::OutboxStatus::kPending;
      o.attempts = 0;
      o.next_attempt_at = now;
      o.finished_at.reset();
      SENDSYNC_RETURN_IF_ERROR(store::UpdateOutbox(conn, o));
      audit::Entry e;
      e.actor = actor;
      e.action = "outbox.retry";
      e.kind = o.kind;
      e.record_id = o.record_id;
      e.detail = {{"outbox_id", o.id}, {"bulk", true}};
      entries.push_back(std::move(e));
      done.push_back(o.id);
    }
    return audit::Append(conn, entries);
  };
  if (!filter.ids.empty()) {
    std::vector<store::OutboxItem> items;
    std::set<int64_t> seen;
    for (int64_t id : filter.ids) {
      if (!seen.insert(id).second) continue;
      auto o = store::GetOutbox(conn, id);
      if (!o.ok()) return o.status();
      const std::string what = "change " + std::to_string(id);
      if (store::OutboxStatusName(o->status) != status)
        return Status::FailedPrecondition(what + " is " + store::OutboxStatusName(o->status) +
                                          ", not " + status + "; nothing was retried");
      if (f.link_id && o->link_id != f.link_id)
        return Status::FailedPrecondition(what + " is not for link '" + filter.link +
                                          "'; nothing was retried");
      if (!filter.school_urn.empty()) {
        auto l = store::GetLinkById(conn, o->link_id);
        if (!l.ok() || l->school_urn != filter.school_urn)
          return Status::FailedPrecondition(what + " is not for school " + filter.school_urn +
                                            "; nothing was retried");
      }
      items.push_back(std::move(*o));
    }
    SENDSYNC_RETURN_IF_ERROR(requeue(items));
  } else {
    f.limit = 1000;
    for (;;) {  // page by id: each page is updated before the next is read
      auto items = store::ListOutbox(conn, f);
      if (!items.ok()) return items.status();
      if (items->empty()) break;
      f.after_id = items->back().id;
      SENDSYNC_RETURN_IF_ERROR(requeue(*items));
    }
  }
  SENDSYNC_RETURN_IF_ERROR(tx.Commit());
  return done;
}

namespace {

using ImportItems = std::map<std::string, std::vector<detail::Incoming>>;

// Reads an import file: one canonical record per line, by kind. Lines that are not a valid
// record are reported in `rep` (with warnings for lines that are).
Result<ImportItems> ReadImportFile(const std::string& path, Engine::ImportReport& rep) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read " + path);
  ImportItems by_kind;
  std::string line;
  while (std::getline(in, line)) {
    ++rep.lines;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const std::string where = "line " + std::to_string(rep.lines);
    json j = json::parse(line, nullptr, false);
    if (!j.is_object()) {
      rep.errors.push_back(where + ": not a JSON object");
      continue;
    }
    bool bad = false;
    for (const domain::Issue& i : domain::ValidateJson(j)) {
      if (i.severity == domain::Severity::kError) {
        rep.errors.push_back(where + ": " + i.path + ": " + i.message);
        bad = true;
      } else {
        rep.warnings.push_back(where + ": " + i.path + ": " + i.message + " (" + i.code + ")");
      }
    }
    if (bad) continue;
    detail::Incoming inc;
    inc.raw = std::move(j);
    inc.ext_id = where;
    by_kind[inc.raw.value("kind", "")].push_back(std::move(inc));
  }
  return by_kind;
}

// The built-in link imports go through; created on first use.
Status EnsureImportLink(store::Conn& conn) {
  auto link = store::GetLink(conn, kImportLink);
  if (!link.ok()) {
    store::Link l;
    l.name = kImportLink;
    l.school_urn = "000000";
    l.adapter_id = kImportAdapter;
    l.config = json::object();
    LinkSettings s;
    for (auto k : records::AllKinds()) {
      KindSettings ks;
      ks.read = true;
      ks.authority["*"] = FieldAuthority::kLink;
      ks.allow = DefaultAllow(records::KindName(k));
      s.kinds[records::KindName(k)] = ks;
    }
    l.settings = s.ToJson();
    l.schedule = "manual";
    auto id = store::CreateLink(conn, l);
    if (!id.ok()) return id.status();
  }
  return Status::OK();
}

// A file written by export-json names records by their hub ids ("h12"). Where such an id is a
// hub record of the same kind — a pupil with the same UPN, or a record of the same pupil — it is
// that record: the import link learns the id, so the file applies to the hub it came from
// instead of looking like new, ambiguous pupils. A file from another hub matches nothing here.
Status LearnFileHubIds(store::Conn& conn, const detail::LinkCtx& import_link,
                       const ImportItems& by_kind) {
  const detail::LinkCtx* ctx = &import_link;
  struct FileRef {
    std::string kind, upn, pupil_id;
  };
  std::map<int64_t, FileRef> hub_ids;  // record id -> what the file says of it
  for (const auto& [kind, items] : by_kind)
    for (const detail::Incoming& inc : items) {
      const std::string id = inc.raw.value("id", "");
      if (kind == "sen" || id.empty() || id[0] != 'h') continue;
      int64_t rid = hub::ParseHubId(id);
      if (!rid) continue;
      FileRef f{kind, inc.raw.value("upn", ""), ""};
      if (auto p = inc.raw.find("pupil"); p != inc.raw.end() && p->is_object())
        f.pupil_id = p->value("id", "");
      hub_ids[rid] = f;
    }
  std::vector<int64_t> ids;
  for (const auto& [rid, f] : hub_ids) ids.push_back(rid);
  auto rows = store::LoadRecords(conn, ids);
  if (!rows.ok()) return rows.status();
  std::set<int64_t> same_pupils;  // hub pupils the file names by their hub id and UPN
  for (const store::RecordRow& r : *rows)
    if (r.id && r.kind == "pupil" && hub_ids[r.id].kind == "pupil" && !r.upn.empty() &&
        hub_ids[r.id].upn == r.upn)
      same_pupils.insert(r.id);
  std::vector<store::LinkRecord> learn;
  for (const store::RecordRow& r : *rows) {
    const FileRef& f = hub_ids[r.id];
    if (!r.id || r.kind != f.kind) continue;
    const bool same = r.kind == "pupil" ? same_pupils.count(r.id) > 0
                                        : same_pupils.count(r.pupil_id) > 0 &&
                                              f.pupil_id == hub::HubId(r.pupil_id);
    if (!same) continue;
    store::LinkRecord lr;
    lr.link_id = ctx->link.id;
    lr.kind = r.kind;
    lr.external_id = hub::HubId(r.id);
    lr.record_id = r.id;
    auto known = store::LinkRecordsByExternal(conn, ctx->link.id, r.kind, {lr.external_id});
    if (!known.ok()) return known.status();
    if (known->empty()) learn.push_back(std::move(lr));
  }
  SENDSYNC_RETURN_IF_ERROR(store::UpsertLinkRecords(conn, learn));
  return Status::OK();
}

}  // namespace

Result<Engine::ImportReport> Engine::ImportJsonLines(const std::string& path,
                                                     const std::string& actor) {
  ImportReport rep;
  auto read = ReadImportFile(path, rep);
  if (!read.ok()) return read.status();
  ImportItems& by_kind = *read;
  if (!rep.errors.empty()) return rep;

  auto conn_r = impl_->store.Connect();
  if (!conn_r.ok()) return conn_r.status();
  store::Conn& conn = **conn_r;
  store::Tx tx(conn);
  SENDSYNC_RETURN_IF_ERROR(tx.status());
  // Before EnsureImportLink's first write (plan.h says why).
  SENDSYNC_RETURN_IF_ERROR(detail::TakeCommitTurn(conn));
  // The import link owns every field it sends: an admin's file is an instruction.
  SENDSYNC_RETURN_IF_ERROR(EnsureImportLink(conn));
  auto ctx = detail::LoadLink(conn, kImportLink);
  if (!ctx.ok()) return ctx.status();
  ctx->actor = actor;
  SENDSYNC_RETURN_IF_ERROR(LearnFileHubIds(conn, *ctx, by_kind));
  for (auto k : records::AllKinds()) {
    auto it = by_kind.find(records::KindName(k));
    if (it == by_kind.end()) continue;
    detail::BatchOptions bo;
    bo.quarantine_failures = false;
    auto plan = PlanAndCommit(conn, *ctx, it->first, it->second, bo);
    if (!plan.ok()) return plan.status();
    const detail::BatchResult& br = *plan;
    rep.created += br.created;
    rep.updated += br.updated;
    rep.unchanged += br.unchanged;
    for (const auto& e : br.errors) rep.errors.push_back(e);
    if (br.matches > 0)
      rep.errors.push_back(
          std::to_string(br.matches) + " " + it->first +
          " record(s) match a pupil ambiguously (same UPN, different date of birth, "
          "or shared UPN); fix the file");
    if (br.conflicts > 0)
      rep.errors.push_back(std::to_string(br.conflicts) + " " + it->first + " field(s) conflict");
  }
  if (!rep.errors.empty()) return rep;  // nothing half-written: the transaction rolls back
  SENDSYNC_RETURN_IF_ERROR(tx.Commit());
  return rep;
}

}  // namespace sendsync::sync
