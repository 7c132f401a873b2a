// The LA portal simulator: a real HTTP server on loopback implementing docs/api/referral-api.yaml
// (submit referrals, upload documents, read a referral, list status changes, an OAuth2 token
// endpoint), checking every request and its own every response against that document, enforcing
// Idempotency-Key, issuing LA references, and moving referrals through the LA's decisions on a
// simulated calendar. Faults (5xx, 429, dropped connections, before or after handling) come from
// the common SimServer and are set on the API port's /_sim/faults.
//
// Two ports: the API (what an adapter talks to) and a control port for tests and scripts, which
// faults never touch. docs/adapters/la-portal.md ("The simulator") lists the control endpoints;
// the methods below do the same in-process. For tests and the demo only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "openapi_contract.h"
#include "referral_book.h"
#include "sendsync/sdk/date.h"
#include "sendsync/sdk/status.h"
#include "sim_server.h"

namespace sendsync::sims {

// How the simulated LA authenticates callers.
struct LaPortalAuth {
  std::string mode = "none";  // none, api_key, oauth2
  std::string api_key_header = "X-API-Key";
  std::string api_key;
  std::string client_id, client_secret;
  int token_ttl_seconds = 3600;

  nlohmann::json ToJson() const;  // secrets left out
  static Result<LaPortalAuth> FromJson(const nlohmann::json& j);
};

struct LaPortalSimOptions {
  std::string spec_path;  // the OpenAPI document; empty: the one in the source tree
  std::string la = "820";
  std::optional<Date> today;  // default: the real today
  std::string default_scenario = "manual";
  LaPortalAuth auth;
};

// The path of the token endpoint on the API port.
inline constexpr const char* kLaPortalTokenPath = "/oauth/token";

class LaPortalSim {
 public:
  explicit LaPortalSim(LaPortalSimOptions options = {});
  ~LaPortalSim();

  // Loads the OpenAPI document and listens on 127.0.0.1 (port 0: ephemeral) for the API and for
  // control. With cert and key, the API speaks HTTPS (control stays plain HTTP on loopback).
  Status Start(uint16_t api_port = 0, uint16_t control_port = 0, const std::string& cert = "",
               const std::string& key = "");
  // For a program that serves the API with ServeUntilSignalled(api_server(), ...): loads the
  // document and starts only the control port.
  Status StartControl(uint16_t control_port = 0);
  void Stop();

  std::string base_url() const;     // the API's base URL (paths /v1/... go after it)
  std::string token_url() const;    // base_url() + /oauth/token
  std::string control_url() const;  // the control port's base URL
  SimServer& api_server();          // faults and counters of the API port

  // ---- Control, in-process (the control port offers the same) ----
  Date today() const;
  Status SetToday(Date today);
  Status Advance(int days);
  // {"match": {...}, "scenario": name | "steps": [...]} or {"default": true, ...}.
  Status AddScript(const nlohmann::json& script);
  Status ScriptReferral(const std::string& id, const nlohmann::json& script);
  // {"action": ..., "date": "yyyy-mm-dd" (optional), ...params}
  Status Act(const std::string& id, const nlohmann::json& action);
  void SetAuth(const LaPortalAuth& auth);
  void RevokeTokens();
  void Reset();  // forgets referrals, changes, keys, violations and counters; keeps auth and today

  nlohmann::json Referrals() const;                              // summaries, oldest first
  Result<nlohmann::json> Referral(const std::string& id) const;  // submission, state, documents
  Result<std::string> DocumentBytes(const std::string& referral_id,
                                    const std::string& document_id) const;
  // {"requests": [...], "responses": [...]}: every exchange that broke the OpenAPI document.
  nlohmann::json Violations() const;
  // referrals, submits, replays, documents, token_requests, tokens_issued, unauthorized, …
  nlohmann::json Counters() const;
  nlohmann::json State() const;  // today, la, auth (no secrets), counters, script errors

  const OpenApiContract* contract() const;

  // The control port's handler (public for tests of the control API).
  void HandleControl(const SimRequest& request, SimResponse& response);

  struct Impl;

 private:
  Status LoadContract();
  std::unique_ptr<Impl> impl_;
};

// The OpenAPI document in the source tree this simulator was built from.
std::string DefaultReferralApiSpec();

}  // namespace sendsync::sims
