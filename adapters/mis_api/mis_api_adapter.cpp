// mis-api: sendsync's adapter for a broker-style REST school-data API (shaped like the UK MIS
// brokers' public APIs). Reads pupils, SEN status and needs, and SEN reviews; writes SEN status,
// needs and reviews back. docs/adapters/mis-api.md is both the admin guide and the API a MIS
// vendor implements.
//
// The pieces: config.h (settings), api_client.h (HTTP, token, Retry-After), reader.h (paging and
// the cursor of cursor.h), writer.h (write-back), record_mapping.h (API JSON <-> canonical). This
// file wires them to the SDK and keeps the token out of everything that leaves the adapter.
#include <memory>

#include <sendsync/sdk/adapter.h>
#include <nlohmann/json.hpp>

#include "api_client.h"
#include "config.h"
#include "reader.h"
#include "writer.h"

namespace {

using nlohmann::json;
using sendsync::Result;
using sendsync::Status;
namespace sdk = sendsync::sdk;
namespace mis = sendsync::mis_api_adapter;

class MisApiAdapter : public sdk::Adapter {
 public:
  static json Manifest() {
    return {{"id", "mis-api"},
            {"name", "MIS REST API (broker style)"},
            {"version", "1.0.0"},
            {"vendor", "sendsync"},
            {"description",
             "Pulls pupils, SEN status and needs, and SEN reviews from a school's MIS through a "
             "REST API shaped like the MIS brokers' (per-school base URL, bearer token, paged "
             "students with include= and updated_after=), and writes SEN status, needs and "
             "reviews back with idempotency keys. See docs/adapters/mis-api.md."},
            {"reads", {"pupil", "sen", "review"}},
            {"writes", {"sen", "review"}},
            {"config_schema", mis::ConfigSchema()}};
  }

  Status Configure(const json& config) override {
    Result<mis::Config> c = mis::ParseConfig(config);
    if (!c.ok()) return c.status();
    config_ = std::move(*c);
    auto cancelled = [this] { return host().Cancelled(); };
    Result<std::unique_ptr<mis::ApiClient>> api = mis::ApiClient::Create(config_, cancelled);
    if (!api.ok()) return Scrub(api.status().WithContext("config"));
    api_ = std::move(*api);
    // Clients of their own for the pages read ahead (one per request in flight).
    std::vector<std::unique_ptr<mis::ApiClient>> fetchers;
    for (int i = 0; i < config_.requests_in_flight && config_.requests_in_flight > 1; ++i) {
      Result<std::unique_ptr<mis::ApiClient>> f = mis::ApiClient::Create(config_, cancelled);
      if (!f.ok()) return Scrub(f.status().WithContext("config"));
      fetchers.push_back(std::move(*f));
    }
    reader_ = std::make_unique<mis::Reader>(config_, *api_, cancelled, std::move(fetchers));
    writer_ = std::make_unique<mis::Writer>(*api_, cancelled);
    if (!config_.verify_tls && config_.base_url.rfind("https://", 0) == 0)
      host().Warn("mis-api: TLS certificate verification is off for " + config_.base_url +
                  "; use this only in a test lab");
    return Status::OK();
  }

  Result<json> Describe() override {
    return json{{"adapter", "mis-api"},
                {"base_url", config_.base_url},
                {"school_id", config_.school_id},
                {"verify_tls", config_.verify_tls},
                {"ca_file", config_.ca_file.empty() ? json(nullptr) : json(config_.ca_file)},
                {"per_page", config_.per_page},
                {"requests_in_flight", config_.requests_in_flight},
                {"timeout_seconds", config_.timeout_seconds},
                {"max_retry_after_seconds", config_.max_retry_after_seconds}};
  }

  Status Check() override {
    Result<json> school = api_->GetJson(api_->SchoolPath(""), "GET school");
    return Scrub(school.status());
  }

  Result<json> Discover() override {
    Result<json> school = api_->GetJson(api_->SchoolPath(""), "GET school");
    if (!school.ok()) return Scrub(school.status());
    json data = school->is_object() ? school->value("data", json::object()) : json::object();
    return json::array(
        {{{"school", data}, {"reads", {"pupil", "sen", "review"}}, {"writes", {"sen", "review"}}}});
  }

  Status Read(const sdk::ReadRequest& request, sdk::ReadResult& result) override {
    Status st = Scrub(reader_->Read(request, result));
    for (sdk::Reject& r : result.rejects) {
      r.reason = ScrubText(r.reason);
      r.raw = ScrubText(r.raw);
    }
    return st;
  }

  Status Write(const sdk::WriteRequest& request, sdk::WriteResult& result) override {
    Status st = Scrub(writer_->Write(request, result));
    for (sdk::ChangeResult& r : result.results) r.reason = ScrubText(r.reason);
    return st;
  }

 private:
  // The token never leaves the adapter, even if a server were to echo it back in an error.
  std::string ScrubText(std::string text) const {
    if (config_.token.empty()) return text;
    for (size_t at = text.find(config_.token); at != std::string::npos;
         at = text.find(config_.token, at))
      text.replace(at, config_.token.size(), "[token]");
    return text;
  }
  Status Scrub(const Status& st) const {
    if (st.ok() || st.message().find(config_.token) == std::string::npos) return st;
    std::string m = ScrubText(st.message());
    switch (st.code()) {
      case Status::Code::kUnavailable:
        return Status::Unavailable(m);
      case Status::Code::kCancelled:
        return Status::Cancelled(m);
      case Status::Code::kDeadlineExceeded:
        return Status::DeadlineExceeded(m);
      case Status::Code::kUnauthenticated:
        return Status::Unauthenticated(m);
      case Status::Code::kPermissionDenied:
        return Status::PermissionDenied(m);
      case Status::Code::kNotFound:
        return Status::NotFound(m);
      case Status::Code::kFailedPrecondition:
        return Status::FailedPrecondition(m);
      default:
        return Status::InvalidArgument(m);
    }
  }

  mis::Config config_;
  std::unique_ptr<mis::ApiClient> api_;
  std::unique_ptr<mis::Reader> reader_;
  std::unique_ptr<mis::Writer> writer_;
};

}  // namespace

SENDSYNC_EXPORT_ADAPTER(MisApiAdapter);
