// The mis-api adapter's way to the API: the SDK HTTP client plus the bearer token, the school's
// paths, and Retry-After handling. Internal to adapters/mis_api.
//
// A 429 or 503 whose Retry-After is at most max_retry_after_seconds is waited out here (polling
// the host's cancel flag) and the request sent again, a few times at most; any other answer is
// handed back for the caller to classify (sdk::http::Classify), so a longer Retry-After becomes
// RETRY for the host to back off.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <sendsync/sdk/http.h>
#include <sendsync/sdk/status.h>
#include <nlohmann/json.hpp>

#include "config.h"

namespace sendsync::mis_api_adapter {

class ApiClient {
 public:
  // `cancelled` says when the host wants the current call to stop.
  static Result<std::unique_ptr<ApiClient>> Create(const Config& config,
                                                   std::function<bool()> cancelled);

  // "schools/<school>" + suffix, with the school id percent-encoded.
  std::string SchoolPath(const std::string& suffix) const;

  // Sends a GET and returns the parsed JSON of a 2xx answer; any other outcome as a Status
  // (Unavailable for the transient ones, so the host retries).
  Result<nlohmann::json> GetJson(const std::string& target, const std::string& what);

  // Sends a POST carrying `idempotency_key` and returns the answer whatever its status; only
  // transport failures (and cancellation) come back as a Status.
  Result<sdk::http::Response> Post(const std::string& target, const nlohmann::json& body,
                                   const std::string& idempotency_key, const std::string& what);

 private:
  ApiClient(Config config, std::unique_ptr<sdk::http::Client> http,
            std::function<bool()> cancelled);
  Result<sdk::http::Response> Send(sdk::http::Request request, const std::string& what);
  // Sleeps `seconds`, waking to check for cancellation. False when cancelled.
  bool Wait(long seconds) const;

  const Config config_;
  std::unique_ptr<sdk::http::Client> http_;
  std::function<bool()> cancelled_;
};

}  // namespace sendsync::mis_api_adapter
