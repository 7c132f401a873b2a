#include "referral_api.h"
#include <sendsync/sdk/json_limits.h>

namespace sendsync::la_portal {

namespace http = sdk::http;
using nlohmann::json;

Result<std::unique_ptr<ReferralApi>> ReferralApi::Create(const Config& config) {
  http::ClientOptions o;
  o.base_url = config.base_url;
  o.ca_file = config.ca_file;
  o.verify_tls = config.verify_tls;
  o.timeout = config.timeout;
  o.connect_timeout = std::min(config.timeout, std::chrono::milliseconds(10000));
  o.user_agent = "sendsync-la-portal/1.0";
  auto client = http::Client::Create(o);
  if (!client.ok()) return client.status().WithContext("base_url");
  std::unique_ptr<TokenCache> tokens;
  if (config.auth.type == "oauth2") {
    auto t = TokenCache::Create(config.auth, o);
    if (!t.ok()) return t.status();
    tokens = std::move(*t);
  }
  return std::unique_ptr<ReferralApi>(
      new ReferralApi(config, std::move(*client), std::move(tokens)));
}

Status ReferralApi::Authorise(http::Request& r) {
  if (!tokens_) {
    r.headers.push_back({auth_.header, auth_.key});
    return Status::OK();
  }
  auto token = tokens_->Get();
  if (!token.ok()) return token.status();
  r.headers.push_back({"Authorization", "Bearer " + *token});
  return Status::OK();
}

Result<http::Response> ReferralApi::Send(http::Request request, bool* sent) {
  const auto plain_headers = request.headers;
  SENDSYNC_RETURN_IF_ERROR(Authorise(request));
  if (sent) *sent = true;
  auto resp = client_->Send(request);
  if (!resp.ok() || resp->status != 401 || !tokens_) return resp;
  // The token may have been revoked or expired early: one fresh token, one more try.
  tokens_->Invalidate();
  request.headers = plain_headers;
  SENDSYNC_RETURN_IF_ERROR(Authorise(request));
  return client_->Send(request);
}

Status ProblemStatus(const http::Response& response, const std::string& what) {
  Status st = http::Classify(response, what);
  if (st.ok() || st.code() == Status::Code::kUnauthenticated ||
      st.code() == Status::Code::kPermissionDenied || st.transient())
    return st;
  json p = sdk::ParseJson(response.body);
  if (!p.is_object() || !p.contains("errors") || !p["errors"].is_array()) return st;
  std::string fields;
  int n = 0;
  for (const json& e : p["errors"]) {
    if (!e.is_object()) continue;
    if (++n > 20) {
      fields += "; …";
      break;
    }
    fields += "; " + e.value("path", std::string("?")) + ": " +
              e.value("message", std::string("invalid"));
  }
  if (fields.empty()) return st;
  std::string msg = st.message() + fields;
  return st.code() == Status::Code::kNotFound ? Status::NotFound(msg)
                                              : Status::InvalidArgument(msg);
}

}  // namespace sendsync::la_portal
