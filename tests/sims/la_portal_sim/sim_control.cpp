// Controlling the LA portal simulator: the in-process control methods, and the control port that
// offers them as JSON over HTTP to tests and scripts running the simulator as a separate program.
// Faults never touch the control port.

#include "la_portal_sim.h"
#include "sim_state.h"

namespace sendsync::sims {

using nlohmann::json;

namespace {

void Answer(SimResponse& rs, const Status& st, const json& ok_body) {
  if (st.ok()) return rs.Json(200, ok_body);
  int code = 400;
  if (st.code() == Status::Code::kNotFound) code = 404;
  if (st.code() == Status::Code::kFailedPrecondition) code = 409;
  rs.Problem(code, "Control request refused", st.message());
}

std::vector<std::string> Segments(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

}  // namespace

Date LaPortalSim::today() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->book.today();
}

Status LaPortalSim::SetToday(Date today) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->book.SetToday(today);
}

Status LaPortalSim::Advance(int days) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->book.Advance(days);
}

Status LaPortalSim::AddScript(const json& script) {
  auto steps = StepsFromJson(script);
  if (!steps.ok()) return steps.status();
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (script.value("default", false))
    impl_->book.SetDefaultSteps(std::move(*steps));
  else
    impl_->book.AddScript(script.value("match", json::object()), std::move(*steps));
  return Status::OK();
}

Status LaPortalSim::ScriptReferral(const std::string& id, const json& script) {
  auto steps = StepsFromJson(script);
  if (!steps.ok()) return steps.status();
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->book.ScriptReferral(id, std::move(*steps));
}

Status LaPortalSim::Act(const std::string& id, const json& action) {
  if (!action.is_object() || !action.contains("action") || !action["action"].is_string())
    return Status::InvalidArgument("an action needs \"action\"");
  std::optional<Date> date;
  if (action.contains("date")) {
    date =
        action["date"].is_string() ? Date::Parse(action["date"].get<std::string>()) : std::nullopt;
    if (!date) return Status::InvalidArgument("\"date\" must be yyyy-mm-dd");
  }
  json params = action;
  params.erase("action");
  params.erase("date");
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->book.Act(id, action["action"], params, date);
}

void LaPortalSim::SetAuth(const LaPortalAuth& auth) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->auth = auth;
  impl_->tokens.clear();
}

void LaPortalSim::RevokeTokens() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->tokens.clear();
}

void LaPortalSim::Reset() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->book = ReferralBook(impl_->options.la, impl_->book.today());
  impl_->book.SetDefaultSteps(
      Scenario(impl_->options.default_scenario).value_or(std::vector<ScriptStep>{}));
  impl_->keys.clear();
  impl_->request_violations = json::array();
  impl_->response_violations = json::array();
  impl_->counters.clear();
}

json LaPortalSim::Referrals() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  json out = json::array();
  for (const auto& r : impl_->book.referrals()) {
    json docs = json::array();
    for (const auto& d : r.documents) docs.push_back(d.ToJson(r.id));
    out.push_back({{"id", r.id},
                   {"client_reference", r.client_reference},
                   {"la_reference", r.la_reference},
                   {"idempotency_key", r.idempotency_key},
                   {"status", r.status},
                   {"received_date", r.received.ToString()},
                   {"documents", docs}});
  }
  return out;
}

Result<json> LaPortalSim::Referral(const std::string& id) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  for (const auto& r : impl_->book.referrals()) {
    if (r.id != id) continue;
    json docs = json::array();
    for (const auto& d : r.documents) docs.push_back(d.ToJson(r.id));
    json pending = json::array();
    for (const auto& s : r.pending) {
      json p = s.params;
      p["day"] = s.day;
      p["action"] = s.action;
      p["due"] = r.received.AddDays(s.day).ToString();
      pending.push_back(p);
    }
    return json{{"state", r.State()},
                {"submission", r.submission},
                {"idempotency_key", r.idempotency_key},
                {"documents", docs},
                {"pending_steps", pending}};
  }
  return Status::NotFound("no referral " + id);
}

Result<std::string> LaPortalSim::DocumentBytes(const std::string& rid,
                                               const std::string& did) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  for (const auto& r : impl_->book.referrals())
    if (r.id == rid)
      for (const auto& d : r.documents)
        if (d.id == did) return d.bytes;
  return Status::NotFound("no document " + did + " on referral " + rid);
}

json LaPortalSim::Violations() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return {{"requests", impl_->request_violations}, {"responses", impl_->response_violations}};
}

json LaPortalSim::Counters() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  json j = json::object();
  for (const char* k :
       {"referrals", "submit_requests", "replays", "upload_requests", "documents", "change_reads",
        "token_requests", "tokens_issued", "token_refusals", "unauthorized"})
    j[k] = 0;
  for (const auto& [k, v] : impl_->counters) j[k] = v;
  return j;
}

json LaPortalSim::State() const {
  json counters = Counters();
  std::lock_guard<std::mutex> lock(impl_->mu);
  return {{"today", impl_->book.today().ToString()},
          {"la", impl_->book.la()},
          {"auth", impl_->auth.ToJson()},
          {"default_scenario", impl_->options.default_scenario},
          {"scenarios", ScenarioNames()},
          {"referrals", impl_->book.referrals().size()},
          {"last_cursor", std::to_string(impl_->book.last_seq())},
          {"counters", counters},
          {"request_violations", impl_->request_violations.size()},
          {"response_violations", impl_->response_violations.size()},
          {"script_errors", impl_->book.script_errors()}};
}

void LaPortalSim::HandleControl(const SimRequest& rq, SimResponse& rs) {
  const std::vector<std::string> seg = Segments(rq.path);
  if (seg.empty() || seg[0] != "control")
    return rs.Problem(404, "Not Found", "control endpoints are under /control/");
  json body = rq.body.empty() ? json::object() : json::parse(rq.body, nullptr, false);
  if (body.is_discarded()) return rs.Problem(400, "Bad request", "the body is not JSON");
  const bool get = rq.method == "GET", post = rq.method == "POST";
  const size_t n = seg.size();

  if (n == 2 && seg[1] == "state" && get) return rs.Json(200, State());
  if (n == 2 && seg[1] == "counters" && get) return rs.Json(200, Counters());
  if (n == 2 && seg[1] == "violations" && get) return rs.Json(200, Violations());
  if (n == 2 && seg[1] == "reset" && post) {
    Reset();
    return rs.Json(200, State());
  }
  if (n == 2 && seg[1] == "calendar") {
    if (get) return rs.Json(200, {{"today", today().ToString()}});
    if (!post) return rs.Problem(405, "Method Not Allowed", "GET or POST");
    Status st;
    if (body.contains("today")) {
      auto d =
          body["today"].is_string() ? Date::Parse(body["today"].get<std::string>()) : std::nullopt;
      st = d ? SetToday(*d) : Status::InvalidArgument("\"today\" must be yyyy-mm-dd");
    } else if (body.contains("advance_days") && body["advance_days"].is_number_integer()) {
      st = Advance(body["advance_days"].get<int>());
    } else {
      st = Status::InvalidArgument("send {\"today\": \"yyyy-mm-dd\"} or {\"advance_days\": n}");
    }
    return Answer(rs, st, {{"today", today().ToString()}});
  }
  if (n == 2 && seg[1] == "scripts" && post) return Answer(rs, AddScript(body), State());
  if (n == 2 && seg[1] == "auth" && post) {
    auto a = LaPortalAuth::FromJson(body);
    if (!a.ok()) return Answer(rs, a.status(), nullptr);
    SetAuth(*a);
    return rs.Json(200, a->ToJson());
  }
  if (n == 3 && seg[1] == "tokens" && seg[2] == "revoke" && post) {
    RevokeTokens();
    return rs.Json(200, {{"revoked", true}});
  }
  if (n >= 2 && seg[1] == "referrals") {
    if (n == 2 && get) return rs.Json(200, {{"referrals", Referrals()}});
    if (n == 3 && get) {
      auto r = Referral(seg[2]);
      return r.ok() ? rs.Json(200, *r) : Answer(rs, r.status(), nullptr);
    }
    if (n == 4 && seg[3] == "actions" && post) {
      Status st = Act(seg[2], body);
      if (!st.ok()) return Answer(rs, st, nullptr);
      auto r = Referral(seg[2]);
      return rs.Json(200, r.ok() ? *r : json::object());
    }
    if (n == 4 && seg[3] == "script" && post) {
      Status st = ScriptReferral(seg[2], body);
      if (!st.ok()) return Answer(rs, st, nullptr);
      auto r = Referral(seg[2]);
      return rs.Json(200, r.ok() ? *r : json::object());
    }
    if (n == 5 && seg[3] == "documents" && get) {
      auto bytes = DocumentBytes(seg[2], seg[4]);
      if (!bytes.ok()) return Answer(rs, bytes.status(), nullptr);
      auto r = Referral(seg[2]);
      rs.status = 200;
      rs.content_type = "application/octet-stream";
      if (r.ok())
        for (const auto& d : (*r)["documents"])
          if (d["id"] == seg[4]) rs.content_type = d["media_type"];
      rs.body = std::move(*bytes);
      return;
    }
  }
  rs.Problem(404, "Not Found", "no control endpoint " + rq.method + " " + rq.path);
}

}  // namespace sendsync::sims
