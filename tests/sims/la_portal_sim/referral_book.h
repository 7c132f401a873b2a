// What the simulated LA holds: referrals, their documents, the status changes it has published,
// and a simulated calendar on which scripted LA steps (decide to assess on day 35, ask for more
// information on day 14, …) fall due. No HTTP here: la_portal_sim.cpp serves it and the control
// endpoints drive it. Not thread-safe; the simulator locks around every call.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sendsync/sdk/date.h"
#include "sendsync/sdk/status.h"

namespace sendsync::sims {

// One LA step, due `day` days after the referral was received (day 0 = the received date).
// action: request_more_information (items, respond_by_days), information_received,
// decide_to_assess, decide_not_to_assess (reason), issue_draft_plan, issue_final_plan
// (named_setting), decide_not_to_issue (reason), withdraw (reason), clock_exception (reason,
// from_day, to_day).
struct ScriptStep {
  int day = 0;
  std::string action;
  nlohmann::json params = nlohmann::json::object();
};

// Named step lists: manual (none), on_time, late_decision, more_information, not_to_assess,
// no_plan. Unknown name: nullopt.
std::optional<std::vector<ScriptStep>> Scenario(const std::string& name);
const std::vector<std::string>& ScenarioNames();
// Reads {"scenario": name} or {"steps": [{"day", "action", ...params}]}.
Result<std::vector<ScriptStep>> StepsFromJson(const nlohmann::json& j);

struct StoredDocument {
  std::string id, filename, media_type, category, title, sha256, received_at;
  std::string bytes;
  nlohmann::json ToJson(const std::string& referral_id) const;  // the API's Document
};

struct StoredReferral {
  std::string id, client_reference, la, la_reference, upn, idempotency_key;
  nlohmann::json submission;
  Date received;
  std::string status = "received";
  std::optional<Date> decision_date, draft_plan_date, final_plan_date, no_plan_date, withdrawn_date;
  std::optional<std::string> decision, decision_reason, no_plan_reason, plan_id;
  std::string request_outcome = "A";
  std::optional<std::string> assessment_outcome;
  nlohmann::json clock_exceptions = nlohmann::json::array();
  std::vector<StoredDocument> documents;
  std::vector<ScriptStep> pending;  // not yet fired, in order of day
  nlohmann::json State() const;     // the API's ReferralState
};

class ReferralBook {
 public:
  ReferralBook(std::string la, Date today);

  const std::string& la() const { return la_; }
  Date today() const { return today_; }
  // Moves the calendar forward (never back) and fires every step now due, in date order.
  Status SetToday(Date today);
  Status Advance(int days);

  // Steps for the next referral matching `match` ({"client_reference": …}, {"upn": …} or {} for
  // any), used once; or, with default_for_all, for every referral no script matches.
  void AddScript(const nlohmann::json& match, std::vector<ScriptStep> steps);
  void SetDefaultSteps(std::vector<ScriptStep> steps) { default_steps_ = std::move(steps); }
  // Replaces a received referral's pending steps; steps already due fire at once.
  Status ScriptReferral(const std::string& id, std::vector<ScriptStep> steps);

  // A new referral received today from a valid submission; emits "received".
  StoredReferral& Receive(const nlohmann::json& submission, const std::string& idempotency_key);
  StoredReferral* Find(const std::string& id);
  StoredReferral* FindByClientReference(const std::string& client_reference);
  const std::vector<StoredReferral>& referrals() const { return referrals_; }

  // Performs `action` (as a ScriptStep's) for a referral on `date` (default today). Refused with
  // FailedPrecondition when the referral's status does not allow it.
  Status Act(const std::string& id, const std::string& action, const nlohmann::json& params,
             std::optional<Date> date = std::nullopt);

  // Stores a document; while more information is requested, the LA records it as received.
  const StoredDocument& AddDocument(StoredReferral& r, StoredDocument doc);

  // Published changes after `since` (0 = from the start), at most `limit`.
  std::vector<nlohmann::json> ChangesAfter(uint64_t since, size_t limit, bool* more) const;
  uint64_t last_seq() const { return events_.empty() ? 0 : events_.size(); }

  // Scripted steps that could not be performed (wrong status), for people.
  const std::vector<std::string>& script_errors() const { return script_errors_; }

 private:
  void Emit(StoredReferral& r, const std::string& type, Date date, nlohmann::json extra);
  void FireDue();

  std::string la_;
  Date today_;
  std::vector<StoredReferral> referrals_;
  std::vector<nlohmann::json> events_;  // seq = index + 1
  struct PendingScript {
    nlohmann::json match;
    std::vector<ScriptStep> steps;
  };
  std::vector<PendingScript> scripts_;
  std::vector<ScriptStep> default_steps_;
  std::vector<std::string> script_errors_;
  int plans_ = 0;
};

}  // namespace sendsync::sims
