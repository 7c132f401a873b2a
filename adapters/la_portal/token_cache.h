// OAuth 2.0 client-credentials tokens for one link (RFC 6749 §4.4): fetched from the LA's token
// URL, cached until shortly before they expire, dropped when the API refuses one. The secret goes
// only into the token request; no message this unit makes ever contains it or a token.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "config.h"
#include "sendsync/sdk/http.h"
#include "sendsync/sdk/status.h"

namespace sendsync::la_portal {

class TokenCache {
 public:
  // `tls` carries the link's TLS settings and timeouts; the token URL may be on another host.
  static Result<std::unique_ptr<TokenCache>> Create(const AuthConfig& auth,
                                                    const sdk::http::ClientOptions& tls);

  // A token valid for a while yet: the cached one, or a new one from the token URL.
  // Unauthenticated when the LA refuses the client credentials; Unavailable when the token URL
  // cannot be reached or fails (5xx, 429, timeouts).
  Result<std::string> Get();
  // Forgets the cached token (the API answered 401 with it).
  void Invalidate();
  // How many tokens this cache has fetched (for describe() and tests).
  int fetched() const { return fetched_; }

  // How long before expiry a token stops being used: a fifth of its life, at most 60 s.
  static std::chrono::milliseconds Margin(std::chrono::seconds expires_in);

 private:
  TokenCache(AuthConfig auth, std::string target, std::unique_ptr<sdk::http::Client> client)
      : auth_(std::move(auth)), target_(std::move(target)), client_(std::move(client)) {}
  Result<std::string> Fetch();

  const AuthConfig auth_;
  const std::string target_;  // path and query of the token URL
  std::unique_ptr<sdk::http::Client> client_;
  std::string token_;
  std::chrono::steady_clock::time_point use_until_{};
  int fetched_ = 0;
};

}  // namespace sendsync::la_portal
