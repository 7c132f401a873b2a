// HTTP client helpers for adapters that talk to web APIs (MIS brokers, LA portals). Optional part of
// the SDK: link the `sendsync_sdk_http` library. Built on Poco::Net: one keep-alive connection per
// Client, HTTPS with certificate and host-name verification on by default, timeouts, and one place
// that turns HTTP outcomes into the SDK's Status (and so into OK / RETRY / FATAL for the host).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "sendsync/sdk/status.h"

namespace sendsync::sdk::http {

struct ClientOptions {
  std::string base_url;  // "https://host[:port][/prefix]"; http:// only for loopback tests and labs
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds timeout{30000};  // per request, send and receive
  bool verify_tls = true;  // certificate chain and host name; turn off only for a lab, never live
  std::string ca_file;     // PEM bundle to trust in addition to (or instead of) the system's
  std::string user_agent = "sendsync";
  size_t max_response_bytes = size_t{64} << 20;
};

struct Request {
  std::string method = "GET";
  // Path and query relative to the base URL's path ("/students?page=2"), or an absolute URL on
  // the same scheme, host and port (as pagination links often are). Other hosts are refused.
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type;  // set when body is non-empty
};

struct Response {
  int status = 0;
  std::string reason;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  std::string Header(const std::string& lower_name) const;
  // Parses the body as JSON; InvalidArgument naming the request when it is not JSON.
  Result<nlohmann::json> Json() const;
};

class Client {
 public:
  // Checks the options (URL shape, CA file readable) and prepares, but does not connect.
  static Result<std::unique_ptr<Client>> Create(const ClientOptions& options);
  ~Client();

  // Sends a request and reads the whole response. Transport failures (refused, reset, timed out,
  // TLS failure) come back as Status::Unavailable with a message for the admin; a certificate that
  // fails verification is Status::FailedPrecondition (not worth retrying until someone acts).
  // A request whose keep-alive connection turns out to be closed is retried once on a new
  // connection when it is safe to (GET, or a request carrying an Idempotency-Key header).
  Result<Response> Send(const Request& request);

  const ClientOptions& options() const { return options_; }

 private:
  struct Impl;
  Client(ClientOptions options, std::unique_ptr<Impl> impl);
  ClientOptions options_;
  std::unique_ptr<Impl> impl_;
};

// Turns a response into a Status for the host: 2xx OK; 408, 429, 5xx Unavailable (RETRY);
// 401 Unauthenticated and 403 PermissionDenied with advice to check the credentials or the
// school's approval; 404 NotFound; other 4xx InvalidArgument with the server's problem detail
// (RFC 7807 "detail"/"title", or the body's first 300 characters). `what` names the call
// ("GET students"); no secret or request body is ever put in the message.
Status Classify(const Response& response, const std::string& what);

// The delay a 429 or 503 asks for (Retry-After in seconds or as an HTTP date), if any.
std::optional<std::chrono::seconds> RetryAfter(const Response& response);

// Percent-encodes a query or path component (RFC 3986 unreserved characters kept).
std::string Encode(std::string_view text);

}  // namespace sendsync::sdk::http
