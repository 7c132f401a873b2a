#include "sendsync/sdk/http.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <sstream>

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>
#include "sendsync/sdk/json_limits.h"

namespace sendsync::sdk::http {

namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

Poco::Timespan Span(std::chrono::milliseconds ms) {
  return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(ms.count()) * 1000);
}

bool SafeToRepeat(const Request& r) {
  if (r.method == "GET" || r.method == "HEAD") return true;
  for (const auto& [k, v] : r.headers)
    if (Lower(k) == "idempotency-key" && !v.empty()) return true;
  return false;
}

}  // namespace

struct Client::Impl {
  Poco::URI base;
  Poco::Net::Context::Ptr tls;  // null for http
  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  std::mutex mu;

  Poco::Net::HTTPClientSession& Session(const ClientOptions& o) {
    if (!session) {
      if (tls)
        session = std::make_unique<Poco::Net::HTTPSClientSession>(base.getHost(), base.getPort(),
                                                                   tls);
      else
        session = std::make_unique<Poco::Net::HTTPClientSession>(base.getHost(), base.getPort());
      session->setKeepAlive(true);
      session->setTimeout(Span(o.connect_timeout), Span(o.timeout), Span(o.timeout));
    }
    return *session;
  }
};

Client::Client(ClientOptions options, std::unique_ptr<Impl> impl)
    : options_(std::move(options)), impl_(std::move(impl)) {}
Client::~Client() = default;

Result<std::unique_ptr<Client>> Client::Create(const ClientOptions& o) {
  auto impl = std::make_unique<Impl>();
  try {
    impl->base = Poco::URI(o.base_url);
  } catch (const Poco::Exception& e) {
    return Status::InvalidArgument("base URL '" + o.base_url + "' is not a URL: " + e.message());
  }
  const std::string scheme = impl->base.getScheme();
  if (scheme != "http" && scheme != "https")
    return Status::InvalidArgument("base URL '" + o.base_url + "' must start with https://");
  if (impl->base.getHost().empty())
    return Status::InvalidArgument("base URL '" + o.base_url + "' has no host");
  if (!o.ca_file.empty() && ::access(o.ca_file.c_str(), R_OK) != 0)
    return Status::InvalidArgument("CA file '" + o.ca_file + "' cannot be read");
  if (scheme == "https") {
    try {
      static std::once_flag once;
      std::call_once(once, [] { Poco::Net::initializeSSL(); });
      Poco::Net::Context::Params p;
      p.caLocation = o.ca_file;
      p.loadDefaultCAs = true;
      p.verificationMode = o.verify_tls ? Poco::Net::Context::VERIFY_STRICT
                                        : Poco::Net::Context::VERIFY_NONE;
      p.cipherList = "HIGH:!aNULL:!MD5:!RC4";
      impl->tls = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, p);
      impl->tls->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    } catch (const Poco::Exception& e) {
      return Status::InvalidArgument("cannot set up TLS: " + e.displayText());
    }
  }
  return std::unique_ptr<Client>(new Client(o, std::move(impl)));
}

Result<Response> Client::Send(const Request& r) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  // Resolve the target against the base: a relative target joins the base path; an absolute URL
  // must stay on the base's origin, so a hostile "next" link cannot send our token elsewhere.
  std::string path_and_query;
  if (r.target.rfind("http://", 0) == 0 || r.target.rfind("https://", 0) == 0) {
    Poco::URI u;
    try {
      u = Poco::URI(r.target);
    } catch (const Poco::Exception&) {
      return Status::InvalidArgument("the server sent a URL that cannot be parsed");
    }
    if (u.getScheme() != impl_->base.getScheme() || u.getHost() != impl_->base.getHost() ||
        u.getPort() != impl_->base.getPort())
      return Status::InvalidArgument("refusing to follow a URL to another host (" + u.getHost() +
                                     ")");
    path_and_query = u.getPathEtc();
  } else {
    std::string prefix = impl_->base.getPath();
    if (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
    path_and_query = prefix + (r.target.empty() || r.target[0] != '/' ? "/" : "") + r.target;
  }
  const std::string what = r.method + " " + path_and_query.substr(0, path_and_query.find('?'));

  for (int attempt = 0;; ++attempt) {
    bool sent = false;
    try {
      Poco::Net::HTTPClientSession& s = impl_->Session(options_);
      Poco::Net::HTTPRequest req(r.method, path_and_query, Poco::Net::HTTPMessage::HTTP_1_1);
      req.setKeepAlive(true);
      req.set("User-Agent", options_.user_agent);
      req.set("Accept", "application/json");
      for (const auto& [k, v] : r.headers) req.set(k, v);
      if (!r.body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH") {
        req.setContentType(r.content_type.empty() ? "application/json" : r.content_type);
        req.setContentLength(static_cast<std::streamsize>(r.body.size()));
      }
      std::ostream& os = s.sendRequest(req);
      os.write(r.body.data(), static_cast<std::streamsize>(r.body.size()));
      sent = true;
      Poco::Net::HTTPResponse resp;
      std::istream& is = s.receiveResponse(resp);
      Response out;
      out.status = static_cast<int>(resp.getStatus());
      out.reason = resp.getReason();
      for (const auto& [k, v] : resp) out.headers[Lower(k)] = v;
      char buf[16384];
      while (is.read(buf, sizeof buf) || is.gcount() > 0) {
        out.body.append(buf, static_cast<size_t>(is.gcount()));
        if (out.body.size() > options_.max_response_bytes) {
          impl_->session.reset();
          return Status::Unavailable(what + ": response larger than " +
                                     std::to_string(options_.max_response_bytes >> 20) + " MiB");
        }
      }
      if (!resp.getKeepAlive()) impl_->session.reset();
      return out;
    } catch (const Poco::Net::CertificateValidationException& e) {
      impl_->session.reset();
      return Status::FailedPrecondition(what + ": the server's TLS certificate was not accepted (" +
                                        e.message() +
                                        "); check the URL, or configure the CA file that signs it");
    } catch (const Poco::Net::SSLException& e) {
      impl_->session.reset();
      std::string m = e.displayText();
      if (m.find("certificate verify failed") != std::string::npos)
        return Status::FailedPrecondition(
            what + ": the server's TLS certificate was not accepted (certificate verify failed); "
                   "check the URL, or configure the CA file that signs it");
      return Status::Unavailable(what + ": TLS failure: " + m);
    } catch (const Poco::TimeoutException&) {
      impl_->session.reset();
      return Status::Unavailable(what + ": timed out after " +
                                 std::to_string(options_.timeout.count()) + " ms");
    } catch (const Poco::Net::ConnectionRefusedException&) {
      impl_->session.reset();
      return Status::Unavailable(what + ": connection refused by " + impl_->base.getHost());
    } catch (const Poco::Exception& e) {
      // Reset, no message, unexpected end: the connection went away under us.
      impl_->session.reset();
      if (attempt == 0 && (!sent || SafeToRepeat(r))) continue;
      return Status::Unavailable(what + ": connection dropped (" + e.displayText() + ")");
    } catch (const std::exception& e) {
      impl_->session.reset();
      return Status::Unavailable(what + ": " + e.what());
    }
  }
}

std::string Response::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

Result<nlohmann::json> Response::Json() const {
  nlohmann::json j = ParseJson(body);
  if (j.is_discarded())
    return Status::InvalidArgument("the server answered HTTP " + std::to_string(status) +
                                   " with a body that is not JSON");
  return j;
}

std::optional<std::chrono::seconds> RetryAfter(const Response& r) {
  std::string v = r.Header("retry-after");
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); }))
    return std::chrono::seconds(std::stol(v.substr(0, 9)));
  try {
    int tz = 0;
    Poco::DateTime when = Poco::DateTimeParser::parse(Poco::DateTimeFormat::HTTP_FORMAT, v, tz);
    Poco::Timespan left = when - Poco::DateTime();
    return std::chrono::seconds(std::max<long>(0, static_cast<long>(left.totalSeconds())));
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

Status Classify(const Response& r, const std::string& what) {
  if (r.status >= 200 && r.status < 300) return Status::OK();
  const std::string code = "HTTP " + std::to_string(r.status);
  if (r.status == 429 || r.status == 503) {
    auto after = RetryAfter(r);
    std::string wait = after ? "; the server asks to retry after " +
                                   std::to_string(after->count()) + " s"
                             : "";
    return Status::Unavailable(what + ": " + code + (r.status == 429 ? " rate limited" : " unavailable") + wait);
  }
  if (r.status == 408 || r.status >= 500)
    return Status::Unavailable(what + ": " + code + " (server error; will retry)");
  if (r.status == 401)
    return Status::Unauthenticated(
        what + ": " + code + ": the server refused the credentials; check the token or key this "
                             "link is configured with (and that it has not expired)");
  if (r.status == 403)
    return Status::PermissionDenied(
        what + ": " + code + ": access denied; check that the school has approved this "
                             "application and that the credentials cover this school");
  // A problem+json body (RFC 7807) says what was wrong; prefer it to the raw body.
  std::string detail;
  nlohmann::json j = ParseJson(r.body);
  if (j.is_object()) {
    if (j.contains("detail") && j["detail"].is_string()) detail = j["detail"];
    else if (j.contains("title") && j["title"].is_string()) detail = j["title"];
    else if (j.contains("message") && j["message"].is_string()) detail = j["message"];
  }
  if (detail.empty()) detail = r.body.substr(0, 300);
  std::string msg = what + ": " + code + (detail.empty() ? "" : ": " + detail);
  if (r.status == 404) return Status::NotFound(msg);
  return Status::InvalidArgument(msg);
}

std::string Encode(std::string_view text) {
  std::string out;
  Poco::URI::encode(std::string(text), "!#$&'()*+,/:;=?@[]", out);
  return out;
}

}  // namespace sendsync::sdk::http
