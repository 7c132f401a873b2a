// Shared fixtures of the la-portal tests: a pupil with two completed Assess/Plan/Do/Review cycles
// as the host would send it (record + context), adapter configurations for a simulator, and a
// small driver that opens the adapter in-process and calls it.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "la_portal_sim.h"
#include "sendsync/testkit/conformance.h"

namespace la_portal_test {

using nlohmann::json;

// The referral record the hub would push (id and client_reference both `id`).
json ReferralRecord(const std::string& id = "REF-2024-0001");
// The context the host sends with it: pupil, school, SEN, two completed cycles, reviews, costed
// provision, readiness (ready).
json ReadyContext();
// Yearly cost of a provision fixture the way the hub reckons it (for assertions).
double ProvisionPerYear(const json& provision);

// A configuration for `sim` with API-key auth (the sim is switched to api_key mode).
json ApiKeyConfig(sendsync::sims::LaPortalSim& sim);
// A configuration for `sim` with OAuth2 client credentials (the sim is switched to oauth2).
json OAuthConfig(sendsync::sims::LaPortalSim& sim, int token_ttl_seconds = 3600);

// One in-process adapter instance.
class Adapter {
 public:
  explicit Adapter(const json& config);
  bool ok() const { return caller_ != nullptr; }
  const std::string& open_error() const { return error_; }
  struct Reply {
    int status;  // 0 ok, 1 retry, 2 fatal
    json body;
  };
  Reply Call(const std::string& method, const json& request);
  // write of one referral change; returns the whole reply.
  Reply Write(const json& record, const json& context, const std::string& key,
              const std::string& remote_id = "");
  // The single change result of a successful write call.
  json WriteOne(const json& record, const json& context, const std::string& key,
                const std::string& remote_id = "");
  // Reads `kind` from `cursor` to the end; returns the records and sets *last.
  json ReadAll(const std::string& kind, const std::string& cursor, std::string* last,
               json* rejects = nullptr, size_t limit = 100);

 private:
  std::unique_ptr<sendsync::testkit::Caller> caller_;
  std::string error_;
};

// Starts a fresh simulator on ephemeral ports (fails the test when it cannot).
std::unique_ptr<sendsync::sims::LaPortalSim> StartSim(sendsync::sims::LaPortalSimOptions o = {});

// The referral the sim holds for a client reference ("" when none).
std::string SimReferralId(sendsync::sims::LaPortalSim& sim, const std::string& client_reference);

// Runs a command; returns its exit code and captured stdout.
int RunCommand(const std::string& command, std::string* out = nullptr);

}  // namespace la_portal_test
