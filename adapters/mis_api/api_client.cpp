#include "api_client.h"

#include <chrono>
#include <thread>

namespace sendsync::mis_api_adapter {

namespace http = sdk::http;
using nlohmann::json;

namespace {

// How many times one request is sent again after waiting out a short Retry-After.
constexpr int kMaxWaits = 3;

}  // namespace

Result<std::unique_ptr<ApiClient>> ApiClient::Create(const Config& config,
                                                     std::function<bool()> cancelled) {
  http::ClientOptions o;
  o.base_url = config.base_url;
  o.timeout = std::chrono::seconds(config.timeout_seconds);
  o.connect_timeout = std::chrono::seconds(std::min(config.timeout_seconds, 10));
  o.verify_tls = config.verify_tls;
  o.ca_file = config.ca_file;
  o.user_agent = "sendsync-mis-api/1.0";
  auto client = http::Client::Create(o);
  if (!client.ok()) return client.status();
  return std::unique_ptr<ApiClient>(
      new ApiClient(config, std::move(*client), std::move(cancelled)));
}

ApiClient::ApiClient(Config config, std::unique_ptr<http::Client> http,
                     std::function<bool()> cancelled)
    : config_(std::move(config)), http_(std::move(http)), cancelled_(std::move(cancelled)) {}

std::string ApiClient::SchoolPath(const std::string& suffix) const {
  return "schools/" + http::Encode(config_.school_id) + suffix;
}

bool ApiClient::Wait(long seconds) const {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (cancelled_ && cancelled_()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return !(cancelled_ && cancelled_());
}

Result<http::Response> ApiClient::Send(http::Request request, const std::string& what) {
  request.headers.push_back({"Authorization", "Bearer " + config_.token});
  for (int waits = 0;; ++waits) {
    Result<http::Response> r = http_->Send(request);
    if (!r.ok()) return r.status();
    if (r->status != 429 && r->status != 503) return r;
    auto after = http::RetryAfter(*r);
    if (!after || after->count() > config_.max_retry_after_seconds || waits >= kMaxWaits) return r;
    if (!Wait(static_cast<long>(after->count())))
      return Status::Cancelled(what + ": stopped while waiting out the server's Retry-After");
  }
}

Result<json> ApiClient::GetJson(const std::string& target, const std::string& what) {
  http::Request req;
  req.target = target;
  Result<http::Response> r = Send(std::move(req), what);
  if (!r.ok()) return r.status();
  Status st = http::Classify(*r, what);
  if (!st.ok()) return st;
  Result<json> j = r->Json();
  if (!j.ok()) return Status::InvalidArgument(what + ": " + j.status().message());
  return j;
}

Result<http::Response> ApiClient::Post(const std::string& target, const json& body,
                                       const std::string& idempotency_key,
                                       const std::string& what) {
  http::Request req;
  req.method = "POST";
  req.target = target;
  req.headers.push_back({"Idempotency-Key", idempotency_key});
  req.body = body.dump();
  req.content_type = "application/json";
  return Send(std::move(req), what);
}

}  // namespace sendsync::mis_api_adapter
