// The Referral API as the adapter calls it (docs/api/referral-api.yaml): one HTTP client to the
// LA's server, the link's credential added to every call (a cached OAuth2 token, refreshed once
// when the API answers 401, or an API key), and the API's problem+json answers turned into reasons
// a person can act on.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "config.h"
#include "sendsync/sdk/http.h"
#include "sendsync/sdk/status.h"
#include "token_cache.h"

namespace sendsync::la_portal {

class ReferralApi {
 public:
  static Result<std::unique_ptr<ReferralApi>> Create(const Config& config);

  // Sends `request` (target relative to the base URL) with the link's credential. A 401 on a
  // cached OAuth2 token drops it, fetches a new one and sends once more. Transport failures and
  // credential failures come back as a Status; any HTTP answer comes back as a Response.
  // `sent` (when given) is set once the request itself went out: a failure after that left the
  // outcome unknown, one before it (no token) did not send anything.
  Result<sdk::http::Response> Send(sdk::http::Request request, bool* sent = nullptr);

  // Tokens fetched so far (0 with an API key).
  int tokens_fetched() const { return tokens_ ? tokens_->fetched() : 0; }

 private:
  ReferralApi(const Config& config, std::unique_ptr<sdk::http::Client> client,
              std::unique_ptr<TokenCache> tokens)
      : auth_(config.auth), client_(std::move(client)), tokens_(std::move(tokens)) {}
  Status Authorise(sdk::http::Request& request);

  const AuthConfig auth_;
  std::unique_ptr<sdk::http::Client> client_;
  std::unique_ptr<TokenCache> tokens_;  // oauth2 only
};

// A Status for an API answer: http::Classify, with the problem's field errors appended
// ("…: HTTP 422: …; /pupil/upn: the check letter does not match").
Status ProblemStatus(const sdk::http::Response& response, const std::string& what);

}  // namespace sendsync::la_portal
