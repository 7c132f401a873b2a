#include "referral_book.h"

#include <algorithm>
#include <cstdio>
#include <tuple>

namespace sendsync::sims {

using nlohmann::json;

namespace {

std::string Pad(int n, int width) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*d", width, n);
  return buf;
}

const std::vector<std::string> kActions = {"request_more_information", "information_received",
                                           "decide_to_assess",         "decide_not_to_assess",
                                           "issue_draft_plan",         "issue_final_plan",
                                           "decide_not_to_issue",      "withdraw",
                                           "clock_exception"};

}  // namespace

const std::vector<std::string>& ScenarioNames() {
  static const std::vector<std::string> kNames = {
      "manual", "on_time", "late_decision", "more_information", "not_to_assess", "no_plan"};
  return kNames;
}

std::optional<std::vector<ScriptStep>> Scenario(const std::string& name) {
  // Days from the received date. The 6-week decision limit is day 42, the 16-week no-plan limit
  // day 112 and the 20-week final plan limit day 140.
  if (name == "manual") return std::vector<ScriptStep>{};
  if (name == "on_time")
    return std::vector<ScriptStep>{
        {35, "decide_to_assess", json::object()},
        {112, "issue_draft_plan", json::object()},
        {133, "issue_final_plan", {{"named_setting", "Current school"}}}};
  if (name == "late_decision")
    return std::vector<ScriptStep>{
        {50, "decide_to_assess", json::object()},
        {126, "issue_draft_plan", json::object()},
        {154, "issue_final_plan", {{"named_setting", "Current school"}}}};
  if (name == "more_information")
    return std::vector<ScriptStep>{
        {14,
         "request_more_information",
         {{"items", {"Educational psychologist's report", "Costed provision map for this term"}},
          {"respond_by_days", 14}}},
        {40, "decide_to_assess", json::object()}};
  if (name == "not_to_assess")
    return std::vector<ScriptStep>{
        {38,
         "decide_not_to_assess",
         {{"reason",
           "The panel found the child's needs can be met from the resources ordinarily available "
           "to the school; continue SEN support with the specialist teacher's advice."}}}};
  if (name == "no_plan")
    return std::vector<ScriptStep>{
        {35, "decide_to_assess", json::object()},
        {105,
         "decide_not_to_issue",
         {{"reason", "The assessment found the needs can be met through SEN support."}}}};
  return std::nullopt;
}

Result<std::vector<ScriptStep>> StepsFromJson(const json& j) {
  if (!j.is_object()) return Status::InvalidArgument("a script must be a JSON object");
  if (j.contains("scenario")) {
    if (!j["scenario"].is_string()) return Status::InvalidArgument("\"scenario\" must be a name");
    auto s = Scenario(j["scenario"].get<std::string>());
    if (!s) {
      std::string names;
      for (const auto& n : ScenarioNames()) names += (names.empty() ? "" : ", ") + n;
      return Status::InvalidArgument("unknown scenario " + j["scenario"].dump() +
                                     " (known: " + names + ")");
    }
    return *s;
  }
  if (!j.contains("steps") || !j["steps"].is_array())
    return Status::InvalidArgument("a script needs \"scenario\" or a \"steps\" list");
  std::vector<ScriptStep> steps;
  for (size_t i = 0; i < j["steps"].size(); ++i) {
    const json& s = j["steps"][i];
    const std::string where = "steps[" + std::to_string(i) + "]";
    if (!s.is_object() || !s.contains("day") || !s["day"].is_number_integer() ||
        s["day"].get<int>() < 0)
      return Status::InvalidArgument(where + ".day must be a whole number of days, 0 or more");
    if (!s.contains("action") || !s["action"].is_string() ||
        std::find(kActions.begin(), kActions.end(), s["action"].get<std::string>()) ==
            kActions.end())
      return Status::InvalidArgument(where + ".action is not a known LA step");
    ScriptStep step{s["day"].get<int>(), s["action"].get<std::string>(), json::object()};
    for (auto it = s.begin(); it != s.end(); ++it)
      if (it.key() != "day" && it.key() != "action") step.params[it.key()] = *it;
    steps.push_back(std::move(step));
  }
  std::stable_sort(steps.begin(), steps.end(),
                   [](const ScriptStep& a, const ScriptStep& b) { return a.day < b.day; });
  return steps;
}

json StoredDocument::ToJson(const std::string& referral_id) const {
  json j = {{"id", id},
            {"referral_id", referral_id},
            {"filename", filename},
            {"media_type", media_type},
            {"category", category},
            {"size", bytes.size()},
            {"sha256", sha256},
            {"received_at", received_at}};
  if (!title.empty()) j["title"] = title;
  return j;
}

json StoredReferral::State() const {
  json j = {{"id", id},
            {"client_reference", client_reference},
            {"la", la},
            {"la_reference", la_reference},
            {"status", status},
            {"received_date", received.ToString()},
            {"decision_due_date", received.AddDays(42).ToString()},
            {"plan_due_date", received.AddDays(140).ToString()},
            {"request_outcome", request_outcome}};
  if (!upn.empty()) j["pupil"] = {{"upn", upn}};
  // The school that sent it, as submitted, so a client can check a referral is its own.
  json school = json::object();
  const json sent = submission.value("school", json::object());
  for (const char* k : {"urn", "laestab"})
    if (sent.is_object() && sent.contains(k) && sent[k].is_string()) school[k] = sent[k];
  if (!school.empty()) j["school"] = school;
  // The requester as the LA records it for SEN2: role and RequestSource from the submission.
  const json requester = submission.value("requester", json::object());
  j["requester"] = {{"role", requester.value("role", "other")}};
  if (requester.contains("request_source"))
    j["requester"]["request_source"] = requester["request_source"];
  auto put = [&](const char* k, const std::optional<std::string>& v) {
    if (v) j[k] = *v;
  };
  auto put_date = [&](const char* k, const std::optional<Date>& v) {
    if (v) j[k] = v->ToString();
  };
  put("decision", decision);
  put_date("decision_date", decision_date);
  put("decision_reason", decision_reason);
  put_date("draft_plan_date", draft_plan_date);
  put_date("final_plan_date", final_plan_date);
  put_date("no_plan_date", no_plan_date);
  put("no_plan_reason", no_plan_reason);
  put_date("withdrawn_date", withdrawn_date);
  put("assessment_outcome", assessment_outcome);
  put("plan_id", plan_id);
  if (!clock_exceptions.empty()) j["clock_exceptions"] = clock_exceptions;
  return j;
}

ReferralBook::ReferralBook(std::string la, Date today) : la_(std::move(la)), today_(today) {}

Status ReferralBook::SetToday(Date today) {
  if (today < today_)
    return Status::FailedPrecondition("the calendar only moves forward (today is " +
                                      today_.ToString() + ")");
  today_ = today;
  FireDue();
  return Status::OK();
}

Status ReferralBook::Advance(int days) {
  if (days < 0) return Status::InvalidArgument("advance_days must not be negative");
  return SetToday(today_.AddDays(days));
}

void ReferralBook::AddScript(const json& match, std::vector<ScriptStep> steps) {
  scripts_.push_back({match.is_object() ? match : json::object(), std::move(steps)});
}

Status ReferralBook::ScriptReferral(const std::string& id, std::vector<ScriptStep> steps) {
  StoredReferral* r = Find(id);
  if (!r) return Status::NotFound("no referral " + id);
  r->pending = std::move(steps);
  FireDue();
  return Status::OK();
}

StoredReferral& ReferralBook::Receive(const json& submission, const std::string& key) {
  StoredReferral r;
  const int n = static_cast<int>(referrals_.size()) + 1;
  r.id = "ref-" + Pad(n, 6);
  r.client_reference = submission.value("client_reference", "");
  r.la = la_;
  r.la_reference = "EHC-" + la_ + "-" + std::to_string(today_.year()) + "-" + Pad(n, 5);
  if (submission.contains("pupil") && submission["pupil"].contains("upn"))
    r.upn = submission["pupil"]["upn"].get<std::string>();
  r.idempotency_key = key;
  r.submission = submission;
  r.received = today_;
  // The first script whose match fits is used once; else the default steps.
  r.pending = default_steps_;
  for (auto it = scripts_.begin(); it != scripts_.end(); ++it) {
    bool fits = true;
    for (auto m = it->match.begin(); m != it->match.end(); ++m) {
      if (m.key() == "client_reference")
        fits = fits && *m == r.client_reference;
      else if (m.key() == "upn")
        fits = fits && *m == r.upn;
      else
        fits = false;
    }
    if (fits) {
      r.pending = it->steps;
      scripts_.erase(it);
      break;
    }
  }
  referrals_.push_back(std::move(r));
  StoredReferral& stored = referrals_.back();
  Emit(stored, "received", today_, json::object());
  const std::string id = stored.id;
  FireDue();  // day-0 steps
  return *Find(id);
}

StoredReferral* ReferralBook::Find(const std::string& id) {
  for (auto& r : referrals_)
    if (r.id == id) return &r;
  return nullptr;
}

StoredReferral* ReferralBook::FindByClientReference(const std::string& ref) {
  for (auto& r : referrals_)
    if (r.client_reference == ref) return &r;
  return nullptr;
}

Status ReferralBook::Act(const std::string& id, const std::string& action, const json& params,
                         std::optional<Date> when) {
  StoredReferral* r = Find(id);
  if (!r) return Status::NotFound("no referral " + id);
  const Date date = when.value_or(today_);
  if (date < r->received)
    return Status::InvalidArgument("the date is before the referral was received");
  if (date > today_)
    return Status::InvalidArgument("the date is after the simulated today; advance the calendar");
  auto reason = [&](const char* fallback) {
    return params.contains("reason") && params["reason"].is_string()
               ? params["reason"].get<std::string>()
               : std::string(fallback);
  };
  auto refuse = [&]() {
    return Status::FailedPrecondition(action + " is not possible while the referral is " +
                                      r->status);
  };
  const bool undecided = r->status == "received" || r->status == "more_info_requested";
  if (action == "request_more_information") {
    if (!undecided) return refuse();
    json items = params.value("items", json::array({"Further evidence"}));
    int days = params.value("respond_by_days", 15);
    r->status = "more_info_requested";
    Emit(*r, "more_information_requested", date,
         {{"requested", {{"items", items}, {"respond_by", date.AddDays(days).ToString()}}}});
  } else if (action == "information_received") {
    if (r->status != "more_info_requested") return refuse();
    r->status = "received";
    Emit(*r, "information_received", date, json::object());
  } else if (action == "decide_to_assess") {
    if (!undecided) return refuse();
    r->status = "assessing";
    r->decision = "assess";
    r->decision_date = date;
    r->request_outcome = "Y";
    r->assessment_outcome = "A";
    Emit(*r, "decision_to_assess", date, json::object());
  } else if (action == "decide_not_to_assess") {
    if (!undecided) return refuse();
    r->status = "not_assessing";
    r->decision = "not_assess";
    r->decision_date = date;
    r->decision_reason = reason("The LA decided not to assess.");
    r->request_outcome = "N";
    Emit(*r, "decision_not_to_assess", date, {{"reason", *r->decision_reason}});
  } else if (action == "issue_draft_plan") {
    if (r->status != "assessing") return refuse();
    r->status = "draft_plan";
    r->draft_plan_date = date;
    Emit(*r, "draft_plan_issued", date, json::object());
  } else if (action == "issue_final_plan") {
    if (r->status != "assessing" && r->status != "draft_plan") return refuse();
    r->status = "plan_issued";
    r->final_plan_date = date;
    r->assessment_outcome = "Y";
    r->plan_id = "plan-" + Pad(++plans_, 6);
    json plan = {{"id", *r->plan_id},
                 {"issued", date.ToString()},
                 {"next_annual_review", date.AddMonths(12).ToString()}};
    if (params.contains("named_setting") && params["named_setting"].is_string())
      plan["named_setting"] = params["named_setting"];
    Emit(*r, "final_plan_issued", date, {{"plan", plan}});
  } else if (action == "decide_not_to_issue") {
    if (r->status != "assessing" && r->status != "draft_plan") return refuse();
    r->status = "no_plan";
    r->no_plan_date = date;
    r->no_plan_reason = reason("The LA decided not to issue a plan.");
    r->assessment_outcome = "N";
    Emit(*r, "decision_not_to_issue", date, {{"reason", *r->no_plan_reason}});
  } else if (action == "withdraw") {
    if (r->status == "withdrawn" || r->status == "plan_issued" || r->status == "no_plan" ||
        r->status == "not_assessing")
      return refuse();
    r->status = "withdrawn";
    r->withdrawn_date = date;
    if (r->request_outcome == "A")
      r->request_outcome = "W";
    else if (r->assessment_outcome == std::optional<std::string>("A"))
      r->assessment_outcome = "W";
    Emit(*r, "withdrawn", date, {{"reason", reason("Withdrawn at the family's request.")}});
  } else if (action == "clock_exception") {
    std::string why = params.value("reason", "exceptional_personal_circumstances");
    if (why != "school_closure" && why != "exceptional_personal_circumstances" &&
        why != "away_from_area")
      return Status::InvalidArgument("unknown clock exception reason '" + why + "'");
    json x = {{"reason", why},
              {"from", r->received.AddDays(params.value("from_day", 0)).ToString()}};
    if (params.contains("to_day"))
      x["to"] = r->received.AddDays(params["to_day"].get<int>()).ToString();
    r->clock_exceptions.push_back(x);
    Emit(*r, "clock_exception", date, {{"clock_exception", x}});
  } else {
    return Status::InvalidArgument("unknown action '" + action + "'");
  }
  return Status::OK();
}

const StoredDocument& ReferralBook::AddDocument(StoredReferral& r, StoredDocument doc) {
  doc.id = "doc-" + Pad(static_cast<int>(r.documents.size()) + 1, 4) + "-" + r.id;
  doc.received_at = today_.ToString() + "T12:00:00Z";
  r.documents.push_back(std::move(doc));
  const std::string id = r.id;
  const size_t index = r.documents.size() - 1;
  if (r.status == "more_info_requested") (void)Act(id, "information_received", json::object());
  return Find(id)->documents[index];
}

void ReferralBook::Emit(StoredReferral& r, const std::string& type, Date date, json extra) {
  const uint64_t seq = events_.size() + 1;
  json e = {{"cursor", std::to_string(seq)},
            {"id", "chg-" + Pad(static_cast<int>(seq), 6)},
            {"type", type},
            {"date", date.ToString()},
            {"recorded_at", date.ToString() + "T12:00:00Z"},
            {"referral_id", r.id},
            {"client_reference", r.client_reference},
            {"la_reference", r.la_reference},
            {"state", r.State()}};
  for (auto it = extra.begin(); it != extra.end(); ++it) e[it.key()] = *it;
  events_.push_back(std::move(e));
}

void ReferralBook::FireDue() {
  // (due date, referral index, step index): fire in date order; a referral's own steps keep
  // their order on the same day.
  std::vector<std::tuple<long, size_t, size_t>> due;
  for (size_t i = 0; i < referrals_.size(); ++i)
    for (size_t s = 0; s < referrals_[i].pending.size(); ++s) {
      Date when = referrals_[i].received.AddDays(referrals_[i].pending[s].day);
      if (when <= today_) due.emplace_back(when.days(), i, s);
    }
  std::sort(due.begin(), due.end());
  for (const auto& [days, i, s] : due) {
    const ScriptStep step = referrals_[i].pending[s];
    Status st = Act(referrals_[i].id, step.action, step.params, Date::FromDays(days));
    if (!st.ok())
      script_errors_.push_back(referrals_[i].id + " day " + std::to_string(step.day) + " " +
                               step.action + ": " + st.message());
  }
  for (auto& r : referrals_)
    r.pending.erase(
        std::remove_if(r.pending.begin(), r.pending.end(),
                       [&](const ScriptStep& s) { return r.received.AddDays(s.day) <= today_; }),
        r.pending.end());
}

std::vector<json> ReferralBook::ChangesAfter(uint64_t since, size_t limit, bool* more) const {
  std::vector<json> out;
  for (uint64_t seq = since + 1; seq <= events_.size() && out.size() < limit; ++seq)
    out.push_back(events_[seq - 1]);
  const uint64_t last = out.empty() ? since : std::stoull(out.back()["cursor"].get<std::string>());
  *more = last < events_.size();
  return out;
}

}  // namespace sendsync::sims
