#include "status_reader.h"

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "sendsync/sdk/date.h"

namespace sendsync::la_portal {

using nlohmann::json;

namespace {

const std::set<std::string> kStatuses = {
    "received",   "more_info_requested", "assessing", "not_assessing",
    "draft_plan", "plan_issued",         "no_plan",   "withdrawn"};
const std::set<std::string> kRoles = {"parent", "young_person", "school",
                                      "health", "social_care",  "other"};
const std::set<std::string> kOutcomes = {"Y", "N", "A", "W", "H"};
const std::set<std::string> kExceptionReasons = {
    "school_closure", "exceptional_personal_circumstances", "away_from_area"};

// Collects what is wrong with a change, by field, so one reject names every problem.
class Check {
 public:
  explicit Check(const json& obj, std::string prefix) : obj_(obj), prefix_(std::move(prefix)) {}

  // A required (or optional) string field; "" when absent or wrong.
  std::string Str(const char* key, bool required) {
    auto it = obj_.is_object() ? obj_.find(key) : obj_.end();
    if (!obj_.is_object() || it == obj_.end() || it->is_null()) {
      if (required) Fail(key, "is missing");
      return "";
    }
    if (!it->is_string() || (required && it->get<std::string>().empty())) {
      Fail(key, "must be a non-empty string");
      return "";
    }
    return it->get<std::string>();
  }
  std::string Date(const char* key, bool required) {
    std::string v = Str(key, required);
    if (!v.empty() && !sendsync::Date::Parse(v)) Fail(key, "'" + v + "' is not a yyyy-mm-dd date");
    return v;
  }
  std::string OneOf(const char* key, const std::set<std::string>& allowed, bool required) {
    std::string v = Str(key, required);
    if (!v.empty() && !allowed.count(v)) Fail(key, "'" + v + "' is not a known value");
    return v;
  }
  void Fail(const std::string& key, const std::string& message) {
    problems_.push_back(prefix_ + key + " " + message);
  }
  const std::vector<std::string>& problems() const { return problems_; }
  void Absorb(const Check& other) {
    problems_.insert(problems_.end(), other.problems_.begin(), other.problems_.end());
  }

 private:
  const json& obj_;
  std::string prefix_;
  std::vector<std::string> problems_;
};

void Put(json& j, const char* key, const std::string& v) {
  if (!v.empty()) j[key] = v;
}

// The partial referral a change's state describes; problems name the fields at fault.
json ReferralRecord(const json& change, Check& c) {
  const json& state = change.is_object() && change.contains("state") ? change["state"] : json();
  if (!state.is_object()) {
    c.Fail("state", "is missing");
    return nullptr;
  }
  Check s(state, "state.");
  json r = {{"kind", "referral"}};
  Put(r, "id", c.Str("referral_id", true));
  if (state.contains("pupil") && state["pupil"].is_object()) {
    Check p(state["pupil"], "state.pupil.");
    std::string upn = p.Str("upn", false);
    if (!upn.empty()) r["pupil"] = {{"upn", upn}};
    s.Absorb(p);
  }
  Put(r, "la_reference", s.Str("la_reference", true));
  // The school's own reference for the request: how the host knows a referral it sent whose
  // answer was lost when it comes back here under the LA's id.
  Put(r, "client_reference", s.Str("client_reference", false));
  // The requester as the LA records it for SEN2 (role and RequestSource): a referral record
  // needs its role, and the hub checks the source against it.
  const json& req = state.contains("requester") ? state["requester"] : json();
  if (!req.is_object()) {
    s.Fail("requester", "is missing");
  } else {
    Check q(req, "state.requester.");
    Put(r, "requester_role", q.OneOf("role", kRoles, true));
    if (req.contains("request_source")) {
      const json& src = req["request_source"];
      if (src.is_number_integer() && src.get<int>() >= 1 && src.get<int>() <= 5)
        r["request_source"] = src.get<int>();
      else
        q.Fail("request_source", "must be a SEN2 RequestSource 1 to 5");
    }
    s.Absorb(q);
  }
  Put(r, "status", s.OneOf("status", kStatuses, true));
  Put(r, "received_date", s.Date("received_date", true));
  Put(r, "decision_date", s.Date("decision_date", false));
  Put(r, "decision", s.OneOf("decision", {"assess", "not_assess"}, false));
  Put(r, "decision_reason", s.Str("decision_reason", false));
  Put(r, "draft_plan_date", s.Date("draft_plan_date", false));
  Put(r, "final_plan_date", s.Date("final_plan_date", false));
  Put(r, "no_plan_date", s.Date("no_plan_date", false));
  Put(r, "request_outcome", s.OneOf("request_outcome", kOutcomes, true));
  Put(r, "assessment_outcome", s.OneOf("assessment_outcome", kOutcomes, false));
  if (state.contains("clock_exceptions")) {
    if (!state["clock_exceptions"].is_array()) {
      s.Fail("clock_exceptions", "must be a list");
    } else {
      json list = json::array();
      for (size_t i = 0; i < state["clock_exceptions"].size(); ++i) {
        Check x(state["clock_exceptions"][i], "state.clock_exceptions[" + std::to_string(i) + "].");
        json e = json::object();
        Put(e, "reason", x.OneOf("reason", kExceptionReasons, true));
        Put(e, "from", x.Date("from", true));
        Put(e, "to", x.Date("to", false));
        list.push_back(e);
        s.Absorb(x);
      }
      if (!list.empty()) r["clock_exceptions"] = list;
    }
  }
  c.Absorb(s);
  return r;
}

json PlanRecord(const json& change, const std::string& la, Check& c) {
  const json& plan = change.is_object() && change.contains("plan") ? change["plan"] : json();
  if (!plan.is_object()) {
    c.Fail("plan", "is missing on a final_plan_issued change");
    return nullptr;
  }
  Check p(plan, "plan.");
  json r = {{"kind", "ehc_plan"}};
  Put(r, "id", p.Str("id", true));
  if (change.contains("state") && change["state"].is_object() &&
      change["state"].contains("pupil") && change["state"]["pupil"].is_object()) {
    Check pu(change["state"]["pupil"], "state.pupil.");
    std::string upn = pu.Str("upn", false);
    if (!upn.empty()) r["pupil"] = {{"upn", upn}};
    p.Absorb(pu);
  }
  std::string state_la = change.contains("state") && change["state"].is_object() &&
                                 change["state"].contains("la") && change["state"]["la"].is_string()
                             ? change["state"]["la"].get<std::string>()
                             : la;
  Put(r, "la", state_la);
  Put(r, "issued", p.Date("issued", true));
  Put(r, "named_setting", p.Str("named_setting", false));
  Put(r, "next_annual_review", p.Date("next_annual_review", false));
  Put(r, "referral_id", c.Str("referral_id", true));
  c.Absorb(p);
  return r;
}

// {"requested_on", "items", "respond_by"} of a more_information_requested change (the API's
// `requested`; respond_by when the LA gave one).
json Requested(const json& change) {
  json out = json::object();
  if (change.contains("date") && change["date"].is_string()) out["requested_on"] = change["date"];
  const json& req = change.contains("requested") ? change["requested"] : json();
  json items = json::array();
  if (req.is_object() && req.contains("items") && req["items"].is_array())
    for (const json& i : req["items"])
      if (i.is_string()) items.push_back(i);
  out["items"] = items;
  if (req.is_object() && req.contains("respond_by") && req["respond_by"].is_string() &&
      sendsync::Date::Parse(req["respond_by"].get<std::string>()))
    out["respond_by"] = req["respond_by"];
  return out;
}

}  // namespace

Status PageToRecords(const json& page, const std::string& kind, const std::string& la,
                     sdk::ReadResult& result) {
  if (!page.is_object() || !page.contains("changes") || !page["changes"].is_array() ||
      !page.contains("next_cursor") || !page["next_cursor"].is_string() || !page.contains("more") ||
      !page["more"].is_boolean())
    return Status::InvalidArgument(
        "the LA's API answered GET /v1/status-changes with something that is not a page of "
        "status changes (changes, next_cursor, more)");
  // Referral records: the latest state per referral in this page, in the order of their last
  // change, so the host sees each referral once per page.
  std::vector<std::string> order;
  std::map<std::string, json> latest;
  std::map<std::string, json> asked;  // referral -> what its latest more-information request asks
  for (const json& change : page["changes"]) {
    Check c(change, "");
    const std::string type = c.Str("type", true);
    const std::string where =
        "status change " + (change.is_object() && change.contains("id") && change["id"].is_string()
                                ? change["id"].get<std::string>()
                                : std::string("(no id)"));
    if (kind == "referral") {
      json r = ReferralRecord(change, c);
      if (!c.problems().empty()) {
        std::string reason;
        for (const auto& p : c.problems()) reason += (reason.empty() ? "" : "; ") + p;
        const bool has_id = change.is_object() && change.contains("referral_id") &&
                            change["referral_id"].is_string();
        result.AddReject(change.dump(), where, reason,
                         has_id ? change["referral_id"].get<std::string>() : "");
        continue;
      }
      const std::string id = r["id"];
      if (type == "more_information_requested") asked[id] = Requested(change);
      order.erase(std::remove(order.begin(), order.end(), id), order.end());
      order.push_back(id);
      latest[id] = std::move(r);
    } else if (type == "final_plan_issued") {
      json r = PlanRecord(change, la, c);
      if (!c.problems().empty()) {
        std::string reason;
        for (const auto& p : c.problems()) reason += (reason.empty() ? "" : "; ") + p;
        result.AddReject(change.dump(), where, reason);
        continue;
      }
      result.AddRecord(r);
    }
  }
  for (const std::string& id : order) {
    json& r = latest[id];
    // What the school owes: kept while the LA waits for it, cleared (explicit null) once the
    // referral moves on. A request read in an earlier page is left as the hub has it.
    if (r.value("status", "") != "more_info_requested")
      r[kInformationRequested] = nullptr;
    else if (auto a = asked.find(id); a != asked.end())
      r[kInformationRequested] = a->second;
    result.AddRecord(r);
  }
  result.next_cursor = page["next_cursor"].get<std::string>();
  result.more = page["more"].get<bool>();
  return Status::OK();
}

}  // namespace sendsync::la_portal
