// Pupils' SEN summaries, referral readiness, due reviews and clocks, referrals, and the audit log.
#include <algorithm>
#include <map>
#include <memory>
#include <regex>
#include <set>

#include <sendsync/sdk/json_limits.h>

#include "core/audit/anchor.h"
#include "core/audit/audit.h"
#include "core/hub/hub.h"
#include "core/server/handlers.h"

namespace sendsync::server::handlers {

using nlohmann::json;

namespace {

std::optional<Reply> AsOf(const Call& call, Date& out) {
  const std::string text = call.Query("as_of");
  if (text.empty()) {
    out = call.Today();
    return std::nullopt;
  }
  auto d = Date::Parse(text);
  if (!d) {
    Errors e;
    e.Add("query:as_of", "must be a date yyyy-mm-dd");
    return e.ToReply();
  }
  out = *d;
  return std::nullopt;
}

// A 400 unless {upn} has the shape of a UPN.
std::optional<Reply> UpnShape(Call& call) {
  const std::string& upn = call.params["upn"];
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  if (upn.size() == 13 && upper(upn[0]) && std::all_of(upn.begin() + 1, upn.begin() + 12, digit) &&
      (digit(upn[12]) || upper(upn[12])))
    return std::nullopt;
  Errors e;
  e.Add("path:upn", "must be a UPN: a letter, 11 digits, and a digit or letter");
  return e.ToReply();
}

// The answer for a UPN the caller may not see: the same for a pupil of another school as for one
// that does not exist, so a school-limited token cannot learn which UPNs exist elsewhere.
Reply NoSuchPupil() {
  return Problem(404, "no pupil with that UPN");
}

// The pupil named by {upn}, checked against the caller's school. Error bodies do not repeat the
// UPN.
std::optional<Reply> PupilParam(Call& call, store::RecordRow& out) {
  if (auto r = UpnShape(call)) return *r;
  auto p = hub::FindPupil(*call.conn, call.params["upn"]);
  if (!p.ok()) {
    if (p.status().code() == Status::Code::kNotFound) return NoSuchPupil();
    if (p.status().code() == Status::Code::kFailedPrecondition)
      return Problem(409, "several pupils share that UPN; resolve the match queue first");
    return FromStatus(p.status());
  }
  if (!call.MaySee(p->school_urn)) return NoSuchPupil();
  out = *p;
  return std::nullopt;
}

// Statutory clocks are the law's (the EHC 6/16/20 weeks, annual reviews, amendments, phase
// transfer, advice); the rest are the school's own rhythm (SEN support reviews, parent meetings,
// a stage model's steps and intervention letters).
bool StatutoryClock(const std::string& clock) {
  return clock != "review_overdue" && clock != "parent_meetings" &&
         clock != "intervention_letter" && clock.rfind("stage_", 0) != 0 &&
         clock.rfind("calendar_", 0) != 0;
}

json OffsetPage(const json& all, const Page& page) {
  const size_t from = page.cursor.empty() ? 0 : static_cast<size_t>(std::stoll(page.cursor));
  json items = json::array();
  for (size_t i = from; i < all.size() && items.size() < static_cast<size_t>(page.limit); ++i)
    items.push_back(all[i]);
  const size_t end = from + items.size();
  return Page::Wrap(std::move(items), end < all.size() ? std::to_string(end) : "");
}

}  // namespace

Reply ShowPupil(Call& call) {
  Date as_of;
  if (auto r = AsOf(call, as_of)) return *r;
  // Kept under the generation read when the call began, before the summary is built: a change
  // committed meanwhile moves the generation past it, so such an entry is never served.
  SummaryCache* cache = call.env.summaries;
  const std::string key = call.params["upn"] + "|" + as_of.ToString();
  if (cache) {
    if (auto r = UpnShape(call)) return *r;
    if (auto hit = cache->Find(key, call.generation)) {
      if (!call.MaySee(hit->school_urn)) return NoSuchPupil();
      Reply r;
      r.raw = std::move(hit->body);
      return r;
    }
  }
  store::RecordRow p;
  if (auto r = PupilParam(call, p)) return *r;
  auto s = hub::PupilSummary(*call.conn, p.id, as_of);
  if (!s.ok()) return FromStatus(s.status());
  // Each clock says whether the law sets it or the school's own rhythm, as the due list does.
  if (s->contains("clocks") && (*s)["clocks"].is_array())
    for (json& c : (*s)["clocks"])
      c["kind"] = StatutoryClock(c.value("clock", "")) ? "statutory" : "school";
  Reply r;
  r.raw = std::make_shared<const std::string>(
      s->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (cache) cache->Put(key, {call.generation, p.school_urn, r.raw});
  return r;
}

// What each link was sent about the pupil and accepted: the records' fields and when, from the
// outbox (the report a school needs to answer a subject-access request).
Reply PupilDisclosures(Call& call) {
  store::RecordRow p;
  if (auto r = PupilParam(call, p)) return *r;
  auto rows = store::RecordsOfPupil(*call.conn, p.id);
  if (!rows.ok()) return FromStatus(rows.status());
  std::vector<int64_t> ids;
  for (const auto& r : *rows) ids.push_back(r.id);
  auto sent = store::OutboxOfRecords(*call.conn, ids);
  if (!sent.ok()) return FromStatus(sent.status());
  LinkCache links(*call.conn);
  json items = json::array();
  for (const auto& o : *sent) {
    if (o.status != store::OutboxStatus::kDelivered)
      continue;  // only what the other system accepted
    json payload = sdk::ParseJson(o.payload);
    json fields = json::array();
    if (payload.is_object() && payload.contains("record") && payload["record"].is_object())
      for (auto it = payload["record"].begin(); it != payload["record"].end(); ++it)
        fields.push_back(it.key());
    const store::Link* l = links.Get(o.link_id);
    items.push_back({{"link", links.Name(o.link_id)},
                     {"adapter", l ? json(l->adapter_id) : json()},
                     {"school_urn", links.School(o.link_id)},
                     {"kind", o.kind},
                     {"record_id", hub::HubId(o.record_id)},
                     {"op", ChangeOpName(o.op)},
                     {"fields", fields},
                     {"queued_at", IsoTime(o.created_at)},
                     {"delivered_at", IsoTime(o.finished_at.value_or(0))}});
  }
  return {200, {{"upn", p.upn}, {"items", items}}};
}

Reply PupilReadiness(Call& call) {
  Date as_of;
  if (auto r = AsOf(call, as_of)) return *r;
  store::RecordRow p;
  if (auto r = PupilParam(call, p)) return *r;
  auto s = hub::ReadinessOf(*call.conn, p.id, as_of);
  if (!s.ok()) return FromStatus(s.status());
  return {200, std::move(*s)};
}

Reply ListDue(Call& call) {
  Page page;
  if (auto r = ParsePage(call, page)) return *r;
  Date as_of;
  if (auto r = AsOf(call, as_of)) return *r;
  Errors e;
  int within = 0;
  const std::string w = call.Query("within");
  if (!w.empty()) {
    if (w.size() > 3 || w.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(w) < 1 || std::stoi(w) > 366)
      e.Add("query:within", "must be a number of days 1..366");
    else
      within = std::stoi(w);
  }
  static const std::set<std::string> kOwners = {"school", "la", "family"},
                                     kKinds = {"statutory", "school"},
                                     kStates = {"upcoming", "due", "overdue", "suspended"};
  const std::string owner = call.Query("owner"), kind = call.Query("kind"),
                    state = call.Query("state");
  if (!owner.empty() && !kOwners.count(owner))
    e.Add("query:owner", "must be school, la or family (who must act)");
  if (!kind.empty() && !kKinds.count(kind)) e.Add("query:kind", "must be statutory or school");
  if (!state.empty() && !kStates.count(state))
    e.Add("query:state", "must be upcoming, due, overdue or suspended");
  std::optional<Date> from, to;
  for (auto [name, out] :
       {std::pair<const char*, std::optional<Date>*>{"from", &from}, {"to", &to}}) {
    const std::string t = call.Query(name);
    if (t.empty()) continue;
    *out = Date::Parse(t);
    if (!*out) e.Add(std::string("query:") + name, "must be a date yyyy-mm-dd");
  }
  if (from && to && *to < *from) e.Add("query:to", "is before from");
  if (!e.empty()) return e.ToReply();
  // The lines come from the cache when they were computed at the call's generation, for the same
  // school (a school-limited token's is always its own), date and window; the filters, totals and
  // page are made from them on each call.
  const std::string school = call.School();
  std::shared_ptr<const DueCache::Lines> lines;
  const std::string key = DueCache::Key(school, as_of, within);
  if (call.env.due) lines = call.env.due->Find(key, call.generation);
  if (!lines) {
    auto due = hub::DueEntries(*call.conn, as_of, school, within);
    if (!due.ok()) return FromStatus(due.status());
    lines = std::make_shared<const DueCache::Lines>(std::move(*due));
    if (call.env.due) call.env.due->Put(key, call.generation, lines);
  }
  // Totals per state count what the other filters kept, so the page can show them all at once.
  std::map<std::string, int64_t> totals = {
      {"upcoming", 0}, {"due", 0}, {"overdue", 0}, {"suspended", 0}};
  std::vector<const hub::DueEntry*> kept;
  for (const hub::DueEntry& line : *lines) {
    const domain::DueItem& item = line.item;
    if (!call.MaySee(line.school_urn)) continue;  // never another school's, whatever the key
    if (!owner.empty() && item.owner != owner) continue;
    if (!kind.empty() && (StatutoryClock(item.clock) ? "statutory" : "school") != kind) continue;
    if (from && item.due < *from) continue;
    if (to && *to < item.due) continue;
    if (auto t = totals.find(item.state); t != totals.end()) ++t->second;
    if (!state.empty() && item.state != state) continue;
    kept.push_back(&line);
  }
  // Only the page's lines become JSON.
  const size_t start = page.cursor.empty() ? 0 : static_cast<size_t>(std::stoll(page.cursor));
  json items = json::array();
  for (size_t i = start; i < kept.size() && items.size() < static_cast<size_t>(page.limit); ++i) {
    json j = hub::DueEntryJson(*kept[i]);
    j["kind"] = StatutoryClock(kept[i]->item.clock) ? "statutory" : "school";
    items.push_back(std::move(j));
  }
  const size_t end = start + items.size();
  json out = Page::Wrap(std::move(items), end < kept.size() ? std::to_string(end) : "");
  out["as_of"] = as_of.ToString();
  out["totals"] = totals;
  out["total"] = kept.size();
  return {200, out};
}

Reply ListReferrals(Call& call) {
  static const std::set<std::string> kStatuses = {
      "draft",     "submitted",     "received",   "more_info_requested",
      "assessing", "not_assessing", "draft_plan", "plan_issued",
      "no_plan",   "withdrawn"};
  Page page;
  if (auto r = ParsePage(call, page)) return *r;
  const std::string status = call.Query("status");
  if (!status.empty() && !kStatuses.count(status)) {
    Errors e;
    e.Add("query:status", "is not a referral status (draft, submitted, received, ...)");
    return e.ToReply();
  }
  auto ids = store::PupilsWithRecords(*call.conn, call.School());
  if (!ids.ok()) return FromStatus(ids.status());
  auto refs = store::RecordsByPupils(*call.conn, "referral", *ids);
  if (!refs.ok()) return FromStatus(refs.status());
  std::vector<int64_t> pupil_ids;
  for (const auto& r : *refs) pupil_ids.push_back(r.pupil_id);
  auto pupils = store::LoadRecords(*call.conn, pupil_ids);
  if (!pupils.ok()) return FromStatus(pupils.status());
  std::map<int64_t, const store::RecordRow*> by_id;
  for (const auto& p : *pupils) by_id[p.id] = &p;
  std::sort(refs->begin(), refs->end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  json all = json::array();
  for (const auto& r : *refs) {
    json body = sdk::ParseJson(r.body);
    if (!body.is_object()) continue;
    if (!status.empty() && body.value("status", "") != status) continue;
    json item = {{"id", hub::HubId(r.id)}};
    auto p = by_id.find(r.pupil_id);
    if (p != by_id.end()) {
      json pb = json::parse(p->second->body, nullptr, false);
      item["upn"] = p->second->upn;
      item["school_urn"] = p->second->school_urn;
      if (pb.is_object())
        item["name"] = pb.value("legal_forename", "") + " " + pb.value("legal_surname", "");
    }
    for (const char* k : {"status", "la", "la_reference", "request_date", "received_date",
                          "decision", "decision_date", "final_plan_date"})
      item[k] = body.contains(k) ? body[k] : json();
    all.push_back(std::move(item));
  }
  return {200, OffsetPage(all, page)};
}

Reply ListAudit(Call& call) {
  Page page;
  if (auto r = ParsePage(call, page)) return *r;
  audit::Query q;
  q.after_seq = page.cursor.empty() ? 0 : std::stoll(page.cursor);
  q.limit = page.limit + 1;
  const std::string upn = call.Query("pupil");
  if (!upn.empty()) {
    auto p = hub::FindPupil(*call.conn, upn);
    if (!p.ok()) {
      if (p.status().code() == Status::Code::kNotFound)
        return Problem(404, "no pupil with that UPN");
      return FromStatus(p.status());
    }
    q.pupil_id = p->id;
  }
  auto entries = audit::List(*call.conn, q);
  if (!entries.ok()) return FromStatus(entries.status());
  std::string next;
  if (static_cast<int64_t>(entries->size()) > page.limit) {
    entries->resize(static_cast<size_t>(page.limit));
    next = std::to_string(entries->back().seq);
  }
  json items = json::array();
  for (const auto& e : *entries)
    items.push_back({{"seq", e.seq},
                     {"time", IsoTime(e.ts)},
                     {"actor", e.actor},
                     {"action", e.action},
                     {"kind", e.kind},
                     {"record_id", e.record_id ? hub::HubId(e.record_id) : ""},
                     {"detail", e.detail},
                     {"hash", e.hash}});
  return {200, Page::Wrap(std::move(items), next)};
}

Reply VerifyAudit(Call& call) {
  const audit::AnchorOptions& anchors = call.env.anchors;
  auto v = anchors.file.empty() ? audit::Verify(*call.conn)
                                : audit::VerifyWithAnchors(*call.conn, anchors, call.env.store_id);
  if (!v.ok()) return FromStatus(v.status());
  json body = {{"ok", v->ok},
               {"checked", v->checked},
               {"first_bad_seq", v->first_bad_seq},
               {"problem", v->problem},
               {"anchors", v->anchors},
               {"anchored_seq", v->anchored_seq},
               {"anchored_at", IsoTime(v->anchored_at)}};
  if (v->missing_from) body["missing"] = {{"from", v->missing_from}, {"to", v->missing_to}};
  return {200, body};
}

}  // namespace sendsync::server::handlers

namespace sendsync::server::handlers {

namespace {

// The engine's messages name the pupil by UPN; the API's error bodies do not.
std::string WithoutUpn(std::string message, const std::string& upn) {
  for (size_t at; !upn.empty() && (at = message.find(upn)) != std::string::npos;)
    message.replace(at, upn.size(), "the pupil");
  return message;
}

}  // namespace

Reply SubmitReferral(Call& call) {
  store::RecordRow p;
  if (auto r = PupilParam(call, p)) return *r;
  Errors e;
  const json& b = call.body;
  sync::ReferralSubmitOptions opt;
  opt.upn = call.params["upn"];
  opt.actor = call.caller.Actor();
  opt.wait_ms = 10000;
  if (b.is_object()) {
    for (auto it = b.begin(); it != b.end(); ++it)
      if (it.key() != "link" && it.key() != "force" && it.key() != "wait_seconds")
        e.Add("/" + it.key(), "unknown field");
    if (b.contains("link")) {
      if (!b["link"].is_string())
        e.Add("/link", "must be a link name");
      else
        opt.link = b["link"].get<std::string>();
    }
    if (b.contains("force")) {
      if (!b["force"].is_boolean())
        e.Add("/force", "must be true or false");
      else
        opt.force = b["force"].get<bool>();
    }
    if (b.contains("wait_seconds")) {
      if (!b["wait_seconds"].is_number_integer() || b["wait_seconds"].get<int64_t>() < 0 ||
          b["wait_seconds"].get<int64_t>() > 120)
        e.Add("/wait_seconds", "must be a whole number of seconds 0..120");
      else
        opt.wait_ms = b["wait_seconds"].get<int64_t>() * 1000;
    }
  }
  if (!e.empty()) return e.ToReply();
  if (!opt.link.empty()) {
    auto l = store::GetLink(*call.conn, opt.link);
    if (!l.ok()) return FromStatus(l.status());
    if (!call.MaySee(l->school_urn)) return Problem(403, "this token is limited to another school");
  }
  auto r = sync::SubmitReferral(call.env.store, call.env.engine_options, opt);
  if (!r.ok()) {
    Reply reply = FromStatus(r.status());
    if (reply.status < 500)
      reply.body["detail"] = WithoutUpn(reply.body.value("detail", ""), opt.upn);
    return reply;
  }
  if (r->outcome == "not_ready") {
    Reply reply =
        Problem(422, "the request is not ready; nothing was sent (see readiness, or force it)");
    reply.body["readiness"] = r->readiness;
    return reply;
  }
  json j = r->ToJson();
  if (j.contains("error")) j["error"] = WithoutUpn(j["error"].get<std::string>(), opt.upn);
  return {200, j};
}

}  // namespace sendsync::server::handlers
