// The control port of the LA portal simulator: the in-process control methods as JSON over HTTP,
// for tests and scripts that run the simulator as a separate program. Faults never touch it.
#include "la_portal_sim.h"

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
