// Conflicts, quarantine, the match queue and the outbox: list, show, and resolve through the
// engine (which audits each resolution with the token's name).
#include <set>

#include "core/hub/hub.h"
#include "core/server/handlers.h"

namespace sendsync::server::handlers {

using nlohmann::json;

namespace {

const char* kOtherSchool = "this token is limited to another school";

// Parses status (default `fallback`; "all" = any), link, school and the page into a filter.
std::optional<Reply> QueueFilterOf(Call& call, const std::set<std::string>& statuses,
                                   const std::string& fallback, store::QueueFilter& f, Page& page) {
  if (auto r = ParsePage(call, page)) return r;
  f.status = call.Query("status", fallback);
  if (f.status != "all" && !statuses.count(f.status)) {
    std::string all;
    for (const auto& s : statuses) all += s + ", ";
    Errors e;
    e.Add("query:status", "must be one of " + all + "or all");
    return e.ToReply();
  }
  if (f.status == "all") f.status.clear();
  if (auto r = LinkFilter(call, f.link_id)) return r;
  f.school_urn = call.School();
  f.after_id = page.cursor.empty() ? 0 : std::stoll(page.cursor);
  f.limit = page.limit + 1;
  return std::nullopt;
}

// Wraps a page read with limit + 1: the extra item only says there is a next page.
template <typename T, typename F>
json PageOf(std::vector<T>& items, const Page& page, F&& to_json) {
  std::string next;
  if (static_cast<int64_t>(items.size()) > page.limit) {
    items.resize(static_cast<size_t>(page.limit));
    next = std::to_string(items.back().id);
  }
  json out = json::array();
  for (const auto& x : items) out.push_back(to_json(x));
  return Page::Wrap(std::move(out), next);
}

json ParseOpt(const std::optional<std::string>& v) {
  return v ? json::parse(*v, nullptr, false) : json();
}

// The UPN and name ("forename surname") of the pupil a record is about; empty when unknown.
std::pair<std::string, std::string> PupilOfRecord(store::Conn& conn, int64_t record_id) {
  auto rec = store::LoadRecords(conn, {record_id});
  if (!rec.ok() || rec->empty()) return {};
  const int64_t pid = (*rec)[0].kind == "pupil" ? (*rec)[0].id : (*rec)[0].pupil_id;
  auto p = pid == (*rec)[0].id ? rec : store::LoadRecords(conn, {pid});
  if (!p.ok() || p->empty()) return {};
  const json body = json::parse((*p)[0].body, nullptr, false);
  std::string name;
  if (body.is_object())
    name = body.value("legal_forename", "") + " " + body.value("legal_surname", "");
  return {(*p)[0].upn, name == " " ? "" : name};
}

json ConflictJson(store::Conn& conn, LinkCache& links, const store::Conflict& c) {
  const auto [upn, name] = PupilOfRecord(conn, c.record_id);
  const store::Link* l = links.Get(c.link_id);
  return {
      {"id", c.id},
      {"link", links.Name(c.link_id)},
      {"adapter", l ? json(l->adapter_id) : json()},
      {"school_urn", links.School(c.link_id)},
      {"kind", c.kind},
      {"record_id", hub::HubId(c.record_id)},
      {"upn", upn},
      {"name", name},
      {"field", c.field},
      {"base", ParseOpt(c.base)},
      {"ours", ParseOpt(c.ours)},
      {"theirs", ParseOpt(c.theirs)},
      {"status", store::ReviewStatusName(c.status)},
      {"created_at", IsoTime(c.created_at)},
      {"resolved_by", c.resolved_by.empty() ? json() : json(c.resolved_by)},
      {"resolution", c.resolution ? json(store::ConflictResolutionName(*c.resolution)) : json()}};
}

json QuarantineJson(LinkCache& links, const store::QuarantineItem& q, bool with_raw) {
  json j = {{"id", q.id},
            {"link", links.Name(q.link_id)},
            {"school_urn", links.School(q.link_id)},
            {"kind", q.kind},
            {"source_id", q.external_id},
            {"upn", q.upn},
            {"reasons", q.reasons},
            {"status", store::ReviewStatusName(q.status)},
            {"created_at", IsoTime(q.created_at)},
            {"times_seen", q.times_seen},
            {"last_seen_at", IsoTime(q.last_seen_at)},
            {"note", q.note}};
  if (with_raw) j["raw"] = q.raw;
  return j;
}

json MatchJson(LinkCache& links, const store::MatchItem& m, bool with_raw) {
  json cands = m.candidates.is_array() ? m.candidates : json::array();
  for (json& c : cands)
    if (c.contains("record_id") && c["record_id"].is_number())
      c["record_id"] = hub::HubId(c["record_id"].get<int64_t>());
  json j = {{"id", m.id},
            {"link", links.Name(m.link_id)},
            {"school_urn", links.School(m.link_id)},
            {"kind", m.kind},
            {"source_id", m.external_id},
            {"upn", m.upn},
            {"reason", m.reason},
            {"candidates", cands},
            {"status", store::ReviewStatusName(m.status)},
            {"resolution", m.resolution}};
  if (with_raw) j["raw"] = m.raw;
  return j;
}

json OutboxJson(LinkCache& links, const store::OutboxItem& x) {
  return {{"id", x.id},
          {"link", links.Name(x.link_id)},
          {"school_urn", links.School(x.link_id)},
          {"kind", x.kind},
          {"record_id", hub::HubId(x.record_id)},
          {"op", ChangeOpName(x.op)},
          {"key", x.idem_key},
          {"status", store::OutboxStatusName(x.status)},
          {"attempts", x.attempts},
          {"next_attempt_at",
           x.status == store::OutboxStatus::kPending ? IsoTime(x.next_attempt_at) : json()},
          {"last_error", x.last_error},
          {"remote_id", x.remote_id}};
}

}  // namespace

// ---- conflicts ----

Reply ListConflicts(Call& call) {
  store::QueueFilter f;
  Page page;
  if (auto r = QueueFilterOf(call, {"open", "resolved"}, "open", f, page)) return *r;
  auto items = store::ListConflicts(*call.conn, f);
  if (!items.ok()) return FromStatus(items.status());
  LinkCache links(*call.conn);
  return {200, PageOf(*items, page, [&](const store::Conflict& c) {
            return ConflictJson(*call.conn, links, c);
          })};
}

Reply ShowConflict(Call& call) {
  int64_t id = 0;
  if (auto r = IdParam(call, "conflict_id", id)) return *r;
  auto c = store::GetConflict(*call.conn, id);
  if (!c.ok()) return FromStatus(c.status());
  LinkCache links(*call.conn);
  if (!call.MaySee(links.School(c->link_id))) return Problem(403, kOtherSchool);
  return {200, ConflictJson(*call.conn, links, *c)};
}

Reply ResolveConflict(Call& call) {
  int64_t id = 0;
  if (auto r = IdParam(call, "conflict_id", id)) return *r;
  auto c = store::GetConflict(*call.conn, id);
  if (!c.ok()) return FromStatus(c.status());
  LinkCache links(*call.conn);
  if (!call.MaySee(links.School(c->link_id))) return Problem(403, kOtherSchool);
  Errors e;
  const json& b = call.body;
  std::optional<store::ConflictResolution> take;
  if (!b.is_object() || !b.contains("take")) {
    e.Add("/take", "is required: ours, theirs or value");
  } else {
    auto parsed = store::ParseConflictResolution(
        b["take"].is_string() ? b["take"].get_ref<const std::string&>() : "");
    if (parsed.ok())
      take = *parsed;
    else
      e.Add("/take", "must be ours, theirs or value");
  }
  OnlyFields(b, {"take", "value", "whole_record"}, e);
  std::optional<std::string> value;
  if (take == store::ConflictResolution::kValue) {
    if (!b.contains("value"))
      e.Add("/value", "is required with take=value (any JSON value)");
    else
      value = b["value"].dump();
  } else if (b.is_object() && b.contains("value")) {
    e.Add("/value", "only goes with take=value");
  }
  bool whole = false;
  if (b.is_object() && b.contains("whole_record")) {
    if (!b["whole_record"].is_boolean())
      e.Add("/whole_record", "must be true or false");
    else
      whole = b["whole_record"].get<bool>();
  }
  if (!e.empty()) return e.ToReply();
  Status st = call.env.engine.ResolveConflict(id, *take, value, call.caller.Actor(), whole);
  if (!st.ok()) return FromStatus(st);
  auto after = store::GetConflict(*call.conn, id);
  if (!after.ok()) return FromStatus(after.status());
  return {200, ConflictJson(*call.conn, links, *after)};
}

// ---- quarantine ----

Reply ListQuarantine(Call& call) {
  store::QueueFilter f;
  Page page;
  if (auto r = QueueFilterOf(call, {"open", "applied", "discarded", "superseded"}, "open", f, page))
    return *r;
  auto items = store::ListQuarantine(*call.conn, f);
  if (!items.ok()) return FromStatus(items.status());
  LinkCache links(*call.conn);
  return {200, PageOf(*items, page, [&](const store::QuarantineItem& q) {
            return QuarantineJson(links, q, false);
          })};
}

namespace {
// The quarantined item named by the path, checked against the caller's school.
std::optional<Reply> QuarantineParam(Call& call, LinkCache& links, store::QuarantineItem& out) {
  int64_t id = 0;
  if (auto r = IdParam(call, "quarantine_id", id)) return r;
  auto q = store::GetQuarantine(*call.conn, id);
  if (!q.ok()) return FromStatus(q.status());
  if (!call.MaySee(links.School(q->link_id))) return Problem(403, kOtherSchool);
  out = *q;
  return std::nullopt;
}
}  // namespace

Reply ShowQuarantine(Call& call) {
  LinkCache links(*call.conn);
  store::QuarantineItem q;
  if (auto r = QuarantineParam(call, links, q)) return *r;
  return {200, QuarantineJson(links, q, true)};
}

Reply RetryQuarantine(Call& call) {
  LinkCache links(*call.conn);
  store::QuarantineItem q;
  if (auto r = QuarantineParam(call, links, q)) return *r;
  Errors e;
  OnlyFields(call.body, {"payload"}, e);
  std::optional<std::string> payload;
  if (call.body.is_object() && call.body.contains("payload")) {
    if (!call.body["payload"].is_object())
      e.Add("/payload", "must be a JSON object (a canonical record)");
    else
      payload = call.body["payload"].dump();
  }
  if (!e.empty()) return e.ToReply();
  Status st = call.env.engine.RetryQuarantine(q.id, payload, call.caller.Actor());
  if (st.code() == Status::Code::kInvalidArgument) return Problem(422, st.message());
  if (!st.ok()) return FromStatus(st);
  auto after = store::GetQuarantine(*call.conn, q.id);
  if (!after.ok()) return FromStatus(after.status());
  return {200, QuarantineJson(links, *after, true)};
}

Reply DiscardQuarantine(Call& call) {
  LinkCache links(*call.conn);
  store::QuarantineItem q;
  if (auto r = QuarantineParam(call, links, q)) return *r;
  Errors e;
  OnlyFields(call.body, {"reason"}, e);
  std::string reason;
  if (!call.body.is_object() || !call.body.contains("reason"))
    e.Add("/reason", "is required: say why");
  else if (!call.body["reason"].is_string() || call.body["reason"].get<std::string>().empty() ||
           call.body["reason"].get<std::string>().size() > 2000)
    e.Add("/reason", "must be text of 1..2000 characters");
  else
    reason = call.body["reason"].get<std::string>();
  if (!e.empty()) return e.ToReply();
  Status st = call.env.engine.DiscardQuarantine(q.id, reason, call.caller.Actor());
  if (!st.ok()) return FromStatus(st);
  auto after = store::GetQuarantine(*call.conn, q.id);
  if (!after.ok()) return FromStatus(after.status());
  return {200, QuarantineJson(links, *after, true)};
}

namespace {

// The body of a bulk quarantine action: the action, 1..1000 ids, and for discard its reason.
std::optional<Reply> BulkQuarantineBody(Call& call, std::string& action, std::vector<int64_t>& ids,
                                        std::string& reason) {
  Errors e;
  const json& b = call.body;
  OnlyFields(b, {"action", "ids", "reason"}, e);
  if (!b.is_object() || !b.contains("action") || !b["action"].is_string() ||
      (b["action"] != "retry" && b["action"] != "discard"))
    e.Add("/action", "must be retry or discard");
  else
    action = b["action"].get<std::string>();
  if (!b.is_object() || !b.contains("ids") || !b["ids"].is_array() || b["ids"].empty() ||
      b["ids"].size() > 1000) {
    e.Add("/ids", "must be a list of 1 to 1000 quarantined record ids");
  } else {
    std::set<int64_t> seen;
    for (size_t i = 0; i < b["ids"].size(); ++i) {
      const json& id = b["ids"][i];
      if (!id.is_number_integer() || id.get<int64_t>() < 1)
        e.Add("/ids/" + std::to_string(i), "must be a quarantined record id (a whole number)");
      else if (!seen.insert(id.get<int64_t>()).second)
        e.Add("/ids/" + std::to_string(i), "is listed twice");
      else
        ids.push_back(id.get<int64_t>());
    }
  }
  if (b.is_object() && b.contains("reason") &&
      (!b["reason"].is_string() || b["reason"].get<std::string>().size() > 2000))
    e.Add("/reason", "must be text of up to 2000 characters");
  else if (b.is_object() && b.contains("reason"))
    reason = b["reason"].get<std::string>();
  if (action == "discard" && reason.empty()) e.Add("/reason", "is required to discard: say why");
  if (action == "retry" && !reason.empty()) e.Add("/reason", "is only for discard");
  if (!e.empty()) return e.ToReply();
  return std::nullopt;
}

}  // namespace

// Many quarantined records at once, each through the engine as one at a time would be (each
// retried or discarded record is audited under the token's name), after every id has been checked
// against the caller's school: one the caller may not see changes nothing. A record that cannot be
// retried (still failing the checks) or is no longer open is reported and the others go ahead.
Reply BulkQuarantine(Call& call) {
  std::string action, reason;
  std::vector<int64_t> ids;
  if (auto r = BulkQuarantineBody(call, action, ids, reason)) return *r;
  LinkCache links(*call.conn);
  for (int64_t id : ids) {
    auto q = store::GetQuarantine(*call.conn, id);
    if (!q.ok()) return FromStatus(q.status());
    if (!call.MaySee(links.School(q->link_id))) return Problem(403, kOtherSchool);
  }
  json done = json::array(), failed = json::array();
  for (int64_t id : ids) {
    Status st = action == "retry"
                    ? call.env.engine.RetryQuarantine(id, std::nullopt, call.caller.Actor())
                    : call.env.engine.DiscardQuarantine(id, reason, call.caller.Actor());
    if (st.ok())
      done.push_back(id);
    else
      failed.push_back({{"id", id}, {"detail", st.message()}});
  }
  return {200, {{"action", action}, {"done", done}, {"failed", failed}}};
}

// ---- match queue ----

Reply ListMatches(Call& call) {
  store::QueueFilter f;
  Page page;
  if (auto r = QueueFilterOf(call, {"open", "resolved"}, "open", f, page)) return *r;
  auto items = store::ListMatches(*call.conn, f);
  if (!items.ok()) return FromStatus(items.status());
  LinkCache links(*call.conn);
  return {200, PageOf(*items, page,
                      [&](const store::MatchItem& m) { return MatchJson(links, m, false); })};
}

namespace {
std::optional<Reply> MatchParam(Call& call, LinkCache& links, store::MatchItem& out) {
  int64_t id = 0;
  if (auto r = IdParam(call, "match_id", id)) return r;
  auto m = store::GetMatch(*call.conn, id);
  if (!m.ok()) return FromStatus(m.status());
  if (!call.MaySee(links.School(m->link_id))) return Problem(403, kOtherSchool);
  out = *m;
  return std::nullopt;
}
}  // namespace

Reply ShowMatch(Call& call) {
  LinkCache links(*call.conn);
  store::MatchItem m;
  if (auto r = MatchParam(call, links, m)) return *r;
  return {200, MatchJson(links, m, true)};
}

Reply ResolveMatch(Call& call) {
  LinkCache links(*call.conn);
  store::MatchItem m;
  if (auto r = MatchParam(call, links, m)) return *r;
  Errors e;
  OnlyFields(call.body, {"to"}, e);
  std::string to;
  if (!call.body.is_object() || !call.body.contains("to")) {
    e.Add("/to", "is required: a hub pupil id (h12), new, or discard");
  } else if (!call.body["to"].is_string()) {
    e.Add("/to", "must be text: a hub pupil id (h12), new, or discard");
  } else {
    to = call.body["to"].get<std::string>();
    if (to != "new" && to != "discard" &&
        (to.size() < 2 || to[0] != 'h' || hub::ParseHubId(to) == 0))
      e.Add("/to", "must be a hub pupil id (h12), new, or discard");
  }
  if (!e.empty()) return e.ToReply();
  if (to != "new" && to != "discard" && !call.caller.school_urn.empty()) {
    // A pupil of another school is refused exactly as one that does not exist (the engine's
    // words), so a school-limited token can neither link to it nor learn that it exists.
    auto rows = store::LoadRecords(*call.conn, {hub::ParseHubId(to)});
    if (!rows.ok()) return FromStatus(rows.status());
    if (!rows->empty() && (*rows)[0].kind == "pupil" && !call.MaySee((*rows)[0].school_urn))
      return FromStatus(Status::InvalidArgument("'" + to + "' is not a pupil in the hub"));
  }
  const std::string resolution = to == "new" || to == "discard" ? to : "record:" + to;
  Status st = call.env.engine.ResolveMatch(m.id, resolution, call.caller.Actor());
  if (!st.ok()) return FromStatus(st);
  auto after = store::GetMatch(*call.conn, m.id);
  if (!after.ok()) return FromStatus(after.status());
  return {200, MatchJson(links, *after, true)};
}

// ---- outbox ----

Reply ListOutbox(Call& call) {
  store::QueueFilter f;
  Page page;
  if (auto r = QueueFilterOf(call, {"pending", "delivered", "rejected", "dead", "superseded"},
                             "all", f, page))
    return *r;
  auto items = store::ListOutbox(*call.conn, f);
  if (!items.ok()) return FromStatus(items.status());
  LinkCache links(*call.conn);
  return {200,
          PageOf(*items, page, [&](const store::OutboxItem& x) { return OutboxJson(links, x); })};
}

Reply RetryOutbox(Call& call) {
  int64_t id = 0;
  if (auto r = IdParam(call, "outbox_id", id)) return *r;
  auto x = store::GetOutbox(*call.conn, id);
  if (!x.ok()) return FromStatus(x.status());
  LinkCache links(*call.conn);
  if (!call.MaySee(links.School(x->link_id))) return Problem(403, kOtherSchool);
  Status st = call.env.engine.RetryOutbox(id, call.caller.Actor());
  if (!st.ok()) return FromStatus(st);
  auto after = store::GetOutbox(*call.conn, id);
  if (!after.ok()) return FromStatus(after.status());
  return {200, OutboxJson(links, *after)};
}

// Many changes at once: every dead-lettered (or rejected) change of the caller's school, of one
// link, or those listed. All or nothing: a listed change that may not be retried retries none.
Reply RetryOutboxBulk(Call& call) {
  Errors e;
  const json& b = call.body;
  OnlyFields(b, {"status", "link", "ids"}, e);
  sync::Engine::OutboxRetryFilter f;
  if (b.is_object() && b.contains("status")) {
    if (!b["status"].is_string() || (b["status"] != "dead" && b["status"] != "rejected"))
      e.Add("/status", "must be dead or rejected");
    else
      f.status = b["status"].get<std::string>();
  }
  if (b.is_object() && b.contains("link")) {
    if (!b["link"].is_string() || b["link"].get<std::string>().empty())
      e.Add("/link", "must be a link's name");
    else
      f.link = b["link"].get<std::string>();
  }
  if (b.is_object() && b.contains("ids")) {
    const json& ids = b["ids"];
    if (!ids.is_array() || ids.empty() || ids.size() > 1000) {
      e.Add("/ids", "must be a list of 1 to 1000 outbox change ids");
    } else {
      for (size_t i = 0; i < ids.size(); ++i) {
        if (!ids[i].is_number_integer() || ids[i].get<int64_t>() < 1)
          e.Add("/ids/" + std::to_string(i), "must be an outbox change id (a whole number)");
        else
          f.ids.push_back(ids[i].get<int64_t>());
      }
    }
  }
  if (!e.empty()) return e.ToReply();
  LinkCache links(*call.conn);
  if (!f.link.empty()) {
    auto l = store::GetLink(*call.conn, f.link);
    if (!l.ok()) return FromStatus(l.status());
    if (!call.MaySee(l->school_urn)) return Problem(403, kOtherSchool);
  }
  for (int64_t id : f.ids) {
    auto x = store::GetOutbox(*call.conn, id);
    if (!x.ok()) return FromStatus(x.status());
    if (!call.MaySee(links.School(x->link_id))) return Problem(403, kOtherSchool);
  }
  f.school_urn = call.School();
  auto done = call.env.engine.RetryOutboxMatching(f, call.caller.Actor());
  if (!done.ok()) return FromStatus(done.status());
  json out = {{"retried", done->size()}, {"status", f.status}, {"ids", *done}};
  if (!f.link.empty()) out["link"] = f.link;
  if (!f.school_urn.empty()) out["school_urn"] = f.school_urn;
  return {200, out};
}

}  // namespace sendsync::server::handlers
