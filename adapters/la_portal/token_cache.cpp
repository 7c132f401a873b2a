#include "token_cache.h"

#include <algorithm>
#include <sstream>

#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>
#include <Poco/URI.h>
#include <sendsync/sdk/json_limits.h>

namespace sendsync::la_portal {

namespace http = sdk::http;
using nlohmann::json;

namespace {

std::string FormEncode(const std::string& s) {
  std::string out;
  Poco::URI::encode(s, "!#$&'()*+,/:;=?@[]~", out);
  return out;
}

std::string Base64(const std::string& s) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);
  enc << s;
  enc.close();
  return out.str();
}

}  // namespace

std::chrono::milliseconds TokenCache::Margin(std::chrono::seconds expires_in) {
  auto fifth = std::chrono::duration_cast<std::chrono::milliseconds>(expires_in) / 5;
  return std::min<std::chrono::milliseconds>(fifth, std::chrono::seconds(60));
}

Result<std::unique_ptr<TokenCache>> TokenCache::Create(const AuthConfig& auth,
                                                       const http::ClientOptions& tls) {
  Poco::URI u;
  try {
    u = Poco::URI(auth.token_url);
  } catch (const Poco::Exception&) {
    return Status::InvalidArgument("auth.token_url is not a URL");
  }
  http::ClientOptions o = tls;
  o.base_url = u.getScheme() + "://" + u.getAuthority();
  auto client = http::Client::Create(o);
  if (!client.ok()) return client.status().WithContext("auth.token_url");
  std::string target = u.getPathEtc();
  if (target.empty()) target = "/";
  return std::unique_ptr<TokenCache>(new TokenCache(auth, target, std::move(*client)));
}

Result<std::string> TokenCache::Get() {
  if (!token_.empty() && std::chrono::steady_clock::now() < use_until_) return token_;
  return Fetch();
}

void TokenCache::Invalidate() {
  token_.clear();
  use_until_ = {};
}

Result<std::string> TokenCache::Fetch() {
  Invalidate();
  http::Request r;
  r.method = "POST";
  r.target = target_;
  r.content_type = "application/x-www-form-urlencoded";
  r.body = "grant_type=client_credentials";
  if (!auth_.scope.empty()) r.body += "&scope=" + FormEncode(auth_.scope);
  if (auth_.client_auth == "form") {
    r.body += "&client_id=" + FormEncode(auth_.client_id) +
              "&client_secret=" + FormEncode(auth_.client_secret);
  } else {
    // RFC 6749 §2.3.1: each part form-encoded, then joined and base64-encoded.
    r.headers.push_back({"Authorization", "Basic " + Base64(FormEncode(auth_.client_id) + ":" +
                                                            FormEncode(auth_.client_secret))});
  }
  auto resp = client_->Send(r);
  if (!resp.ok()) return resp.status().WithContext("token request");
  const std::string what = "POST token URL";
  if (resp->status == 400 || resp->status == 401) {
    // RFC 6749 §5.2: {"error": "invalid_client", ...}. Only the error code is repeated.
    json e = sdk::ParseJson(resp->body);
    std::string code = e.is_object() && e.contains("error") && e["error"].is_string()
                           ? e["error"].get<std::string>()
                           : "HTTP " + std::to_string(resp->status);
    if (code.size() > 60) code = code.substr(0, 60);
    return Status::Unauthenticated(what + ": the LA's token endpoint refused this link's client (" +
                                   code + "); check auth.client_id and auth.client_secret");
  }
  Status st = http::Classify(*resp, what);
  if (!st.ok()) return st;
  json j = sdk::ParseJson(resp->body);
  if (!j.is_object() || !j.contains("access_token") || !j["access_token"].is_string() ||
      j["access_token"].get<std::string>().empty())
    return Status::InvalidArgument(what + ": the token response has no access_token");
  std::string type = j.value("token_type", "");
  std::transform(type.begin(), type.end(), type.begin(), ::tolower);
  if (type != "bearer") return Status::InvalidArgument(what + ": the token type is not Bearer");
  // Without expires_in (RFC 6749 calls it RECOMMENDED) assume a short life: five minutes.
  long expires = 300;
  if (j.contains("expires_in") && j["expires_in"].is_number())
    expires = std::max<long>(1, static_cast<long>(j["expires_in"].get<double>()));
  const std::chrono::seconds life(expires);
  token_ = j["access_token"].get<std::string>();
  use_until_ = std::chrono::steady_clock::now() + life - Margin(life);
  ++fetched_;
  return token_;
}

}  // namespace sendsync::la_portal
