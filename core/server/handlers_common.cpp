// Helpers the admin API's handlers share.
#include <set>

#include "core/audit/audit.h"
#include "core/server/handlers.h"
#include "sendsync/sdk/records.h"

namespace sendsync::server::handlers {

using nlohmann::json;

void Errors::Add(const std::string& path, const std::string& message) {
  list_.push_back({{"path", path}, {"message", message}});
}

Reply Errors::ToReply() const {
  return Problem(400, "the request has " + std::to_string(list_.size()) + " problem(s)", list_);
}

std::optional<Reply> IdParam(const Call& call, const char* name, int64_t& out) {
  auto it = call.params.find(name);
  const std::string v = it == call.params.end() ? "" : it->second;
  if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos) {
    Errors e;
    e.Add(std::string("path:") + name, "must be a whole number");
    return e.ToReply();
  }
  out = std::stoll(v);
  return std::nullopt;
}

const store::Link* LinkCache::Get(int64_t id) {
  auto it = links_.find(id);
  if (it == links_.end()) {
    auto l = store::GetLinkById(conn_, id);
    it = links_.emplace(id, l.ok() ? std::optional<store::Link>(*l) : std::nullopt).first;
  }
  return it->second ? &*it->second : nullptr;
}

std::string LinkCache::Name(int64_t id) {
  const store::Link* l = Get(id);
  return l ? l->name.substr(0, l->name.find("#removed-")) : "link " + std::to_string(id);
}

std::string LinkCache::School(int64_t id) {
  const store::Link* l = Get(id);
  return l ? l->school_urn : "";
}

std::optional<Reply> LinkParam(Call& call, store::Link& out) {
  auto l = store::GetLink(*call.conn, call.params["name"]);
  if (!l.ok()) return FromStatus(l.status());
  if (!call.MaySee(l->school_urn)) return Problem(403, "this token is limited to another school");
  out = *l;
  return std::nullopt;
}

std::optional<Reply> LinkFilter(Call& call, int64_t& link_id) {
  link_id = 0;
  const std::string name = call.Query("link");
  if (name.empty()) return std::nullopt;
  auto l = store::GetLink(*call.conn, name, true);
  if (!l.ok()) return FromStatus(l.status());
  if (!call.MaySee(l->school_urn)) return Problem(403, "this token is limited to another school");
  link_id = l->id;
  return std::nullopt;
}

namespace {

// A running run's saved progress (sync::Progress::ToJson, with updated_at and host) as the API
// shows it: times as ISO 8601, and only the fields it documents.
json ProgressJson(const json& saved) {
  json p = json::object();
  for (const char* k : {"phase", "kind", "host"})
    if (saved.contains(k) && saved[k].is_string()) p[k] = saved[k];
  for (const char* k : {"records", "total", "rate", "seconds_left"})
    if (saved.contains(k) && saved[k].is_number_integer()) p[k] = saved[k];
  for (const char* k : {"started_at", "updated_at"})
    if (saved.contains(k) && saved[k].is_number_integer()) p[k] = IsoTime(saved[k].get<int64_t>());
  return p;
}

}  // namespace

json RunJson(const store::Run& r, const std::string& link, const std::string& school) {
  json j = {{"id", r.id},
            {"link", link},
            {"school_urn", school},
            {"mode", r.mode},
            {"status", r.status},
            {"started_at", IsoTime(r.started_at)},
            {"finished_at", IsoTime(r.finished_at.value_or(0))},
            {"error", r.error},
            {"summary", r.summary.is_null() ? json::object() : r.summary}};
  if (r.status == "running" && r.progress.is_object()) j["progress"] = ProgressJson(r.progress);
  return j;
}

json LinkJson(Call& call, const store::Link& l, bool details) {
  auto& sched = call.env.scheduler;
  RunHistory h = sched.HistoryOf(*call.conn, l.id);
  auto next = sched.NextRunAt(l, h, store::NowMs());
  json j = {{"name", l.name},
            {"school_urn", l.school_urn},
            {"adapter", l.adapter_id},
            {"adapter_version", l.adapter_version.empty() ? json() : json(l.adapter_version)},
            {"schedule", l.schedule},
            {"enabled", l.enabled},
            {"running", sched.RunningAnywhere(*call.conn, l)},
            {"next_run_at", next ? IsoTime(*next) : json()},
            {"consecutive_failures", h.consecutive_failures},
            {"last_run", nullptr}};
  auto runs = store::ListRuns(*call.conn, l.id, 1);
  if (runs.ok() && !runs->empty()) {
    json r = RunJson((*runs)[0], l.name, l.school_urn);
    r.erase("link");
    r.erase("school_urn");
    j["last_run"] = r;
  }
  // Health counts what waits for a person, not only how the last run ended: a run can end "ok"
  // while changes an earlier run dead-lettered are still undelivered.
  auto counts = store::OutboxCounts(*call.conn, l.id);
  const int64_t dead = counts.ok() && counts->count("dead") ? counts->at("dead") : 0;
  const std::string last = j["last_run"].is_object() ? j["last_run"].value("status", "") : "";
  j["dead_letters"] = dead;
  j["health"] = h.consecutive_failures > 0 || last == "failed" || last == "abandoned" ? "failing"
                : dead > 0 || last == "needs_person" ? "needs_person"
                : last.empty()                       ? "never_run"
                                                     : "ok";
  if (details) {
    j["config"] = l.config;  // secrets are references (env:NAME / file:PATH), never values
    j["settings"] = l.settings;
    json cursors = json::object();
    for (auto k : records::AllKinds()) {
      auto c = store::GetCursor(*call.conn, l.id, records::KindName(k));
      if (c.ok() && !c->empty()) cursors[records::KindName(k)] = *c;
    }
    j["cursors"] = cursors;
    j["outbox"] = counts.ok() ? json(*counts) : json::object();
  }
  return j;
}

void OnlyFields(const json& body, const std::set<std::string>& allowed, Errors& e) {
  if (!body.is_object()) return;
  for (auto it = body.begin(); it != body.end(); ++it)
    if (!allowed.count(it.key())) e.Add("/" + it.key(), "unknown field");
}

Status AuditAction(Call& call, const std::string& action, json detail) {
  std::vector<audit::Entry> e(1);
  e[0].actor = call.caller.Actor();
  e[0].action = action;
  e[0].detail = std::move(detail);
  return audit::Append(*call.conn, e);
}

}  // namespace sendsync::server::handlers
