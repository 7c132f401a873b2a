// The LA portal simulator's state, shared by its API handlers (la_portal_sim.cpp) and its control
// methods (sim_control.cpp). Private to the simulator. Everything but the atomics is guarded by
// `mu`.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "la_portal_sim.h"

namespace sendsync::sims {

struct LaPortalSim::Impl {
  LaPortalSimOptions options;
  std::shared_ptr<const OpenApiContract> contract;
  mutable std::mutex mu;
  ReferralBook book;
  LaPortalAuth auth;
  std::map<std::string, std::chrono::steady_clock::time_point> tokens;  // access token -> expiry
  struct Kept {
    std::string operation, fingerprint;
    SimResponse response;
  };
  std::map<std::string, Kept> keys;  // Idempotency-Key -> first answer
  nlohmann::json request_violations = nlohmann::json::array();
  nlohmann::json response_violations = nlohmann::json::array();
  std::map<std::string, uint64_t> counters;
  std::unique_ptr<SimServer> api, control;
  std::atomic<uint64_t> api_entered{0};  // requests the API handler began (token ones too)
  std::atomic<int> active{0};

  explicit Impl(LaPortalSimOptions o);
  void Count(const std::string& name);
  void RecordRequestViolations(const SimRequest& rq, const std::vector<ContractViolation>& vs);
  void CheckOwnResponse(const SimRequest& rq, const SimResponse& rs);
  bool Authorised(const SimRequest& rq);
  void HandleToken(const SimRequest& rq, SimResponse& rs);
  // Answers a repeated Idempotency-Key from its first answer; true when it did.
  bool Replay(const std::string& operation, const std::string& key, const std::string& body,
              SimResponse& rs);
  void Keep(const std::string& operation, const std::string& key, const std::string& body,
            const SimResponse& rs);
  void Submit(const SimRequest& rq, SimResponse& rs);
  void Upload(const SimRequest& rq, const std::string& id, SimResponse& rs);
  void GetReferral(const std::string& id, SimResponse& rs);
  void ListChanges(const SimRequest& rq, SimResponse& rs);
  void HandleApi(const SimRequest& rq, SimResponse& rs);
};

}  // namespace sendsync::sims
