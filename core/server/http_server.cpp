#include "core/server/http_server.h"

#include "core/server/fair_gate.h"
#include "core/server/http_front.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <Poco/Net/Context.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/URI.h>

#include "base/log/log.h"

namespace sendsync::server {

namespace fs = std::filesystem;
using nlohmann::json;

std::string StaticContentType(const std::string& path) {
  const std::string ext = fs::path(path).extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".json") return "application/json";
  if (ext == ".woff2") return "font/woff2";
  return "";
}

std::string SafeStaticPath(const std::string& root, const std::string& rel) {
  if (root.empty() || rel.empty() || rel.front() == '/') return "";
  for (const auto& part : fs::path(rel))
    if (part == ".." || part == "." || part.empty()) return "";
  std::error_code ec;
  const fs::path base = fs::canonical(root, ec);
  if (ec) return "";
  const fs::path full = fs::weakly_canonical(base / rel, ec);
  if (ec) return "";
  auto mismatch = std::mismatch(base.begin(), base.end(), full.begin(), full.end());
  if (mismatch.first != base.end()) return "";  // outside the root (a symlink out of it)
  if (!fs::is_regular_file(full, ec)) return "";
  return full.string();
}

std::string ChartLibraryPath(const std::string& configured) {
  if (configured.empty()) return "";
  std::error_code ec;
  const fs::path full = fs::canonical(configured, ec);
  if (ec || full.extension() != ".js" || !fs::is_regular_file(full, ec)) return "";
  return full.string();
}

namespace {

// Same-origin scripts and styles only, no inline script: the dashboard's page asks for the token
// and must not be scriptable by anything it displays.
const char* kCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'";

FrontAnswer Answer(int status, const std::string& content_type, std::string body, bool no_store) {
  FrontAnswer a;
  a.status = status;
  a.content_type = content_type;
  a.headers = {{"X-Content-Type-Options", "nosniff"},
               {"Content-Security-Policy", kCsp},
               {"Referrer-Policy", "no-referrer"},
               {"X-Frame-Options", "DENY"}};
  if (no_store) a.headers.emplace_back("Cache-Control", "no-store");
  a.body = std::move(body);
  return a;
}

FrontAnswer JsonAnswer(const Reply& r) {
  FrontAnswer a =
      Answer(r.status, r.content_type,
             r.raw ? *r.raw : r.body.dump(-1, ' ', false, json::error_handler_t::replace), true);
  if (r.status == 401) a.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"sendsync\"");
  if (r.status == 405 && !r.allow.empty()) a.headers.emplace_back("Allow", r.allow);
  return a;
}

FrontAnswer MethodNotAllowed(const std::string& allow, const std::string& detail) {
  Reply r = Problem(405, detail);
  r.allow = allow;
  return JsonAnswer(r);
}

struct Shared {
  ApiEnv& env;
  HttpOptions options;
  // Four per core: enough that a slot handed to a waiter that is still waking up leaves the cores
  // busy (measured: 2 or 1 per core gave lower throughput and no better p99).
  FairGate gate{4 * std::clamp(std::thread::hardware_concurrency(), 1u, 256u)};
};

// A decoded path with a control character (a NUL from %00 above all) is refused: file APIs and
// logs would read a different path than the one checked.
bool HasControlCharacter(const std::string& path) {
  return std::any_of(path.begin(), path.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

FrontAnswer Route(Shared& s, const FrontRequest& fr) {
  const Poco::Net::HTTPRequest& req = fr.head;
  std::string path, raw_query;
  try {
    Poco::URI uri(req.getURI());
    path = uri.getPath();
    raw_query = uri.getRawQuery();
  } catch (const Poco::Exception&) {
    return JsonAnswer(Problem(400, "the request's URI is not valid"));
  }
  if (HasControlCharacter(path))
    return JsonAnswer(Problem(400, "the path has a control character (such as %00)"));
  const std::string& method = req.getMethod();

  if (path == "/healthz" || path == "/metrics") {
    if (method != "GET") return MethodNotAllowed("GET", path + " takes GET");
    if (path == "/healthz") {
      auto [ok, body] = s.options.health();
      return Answer(ok ? 200 : 503, "application/json", body.dump(), true);
    }
    return Answer(200, "text/plain; version=0.0.4; charset=utf-8", s.options.metrics(), true);
  }
  if (path == kChartJsPath) {
    if (method != "GET" && method != "HEAD")
      return MethodNotAllowed("GET, HEAD", "static files take GET or HEAD");
    const std::string file = ChartLibraryPath(s.options.chart_js);
    if (file.empty())
      return Answer(404, "text/plain; charset=utf-8",
                    "not found: the chart library is not installed on this server (install the "
                    "Debian package libjs-chart.js, or set chart_js in the config); the dashboard "
                    "shows its figures as tables\n",
                    false);
    std::ifstream in(file, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    if (!in) return JsonAnswer(Problem(500, "the chart library could not be read"));
    return Answer(200, "text/javascript; charset=utf-8", ss.str(), false);
  }
  if (path == "/" || path == "/index.html" || path.rfind("/ui/", 0) == 0) {
    if (method != "GET" && method != "HEAD")
      return MethodNotAllowed("GET, HEAD", "static files take GET or HEAD");
    const std::string rel = path.rfind("/ui/", 0) == 0 ? path.substr(4) : "index.html";
    const std::string file = SafeStaticPath(s.options.web_root, rel);
    const std::string type = StaticContentType(file);
    if (file.empty() || type.empty())
      return Answer(404, "text/plain; charset=utf-8", "not found\n", false);
    std::ifstream in(file, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return Answer(200, type, ss.str(), rel == "index.html");
  }
  if (path.rfind("/api/", 0) != 0)
    return Answer(404, "text/plain; charset=utf-8", "not found\n", false);

  Request r;
  r.method = method;
  r.path = path;
  r.query = ParseQuery(raw_query);
  r.authorization = req.get("Authorization", "");
  r.body = fr.body;  // the front refused anything over max_request_bytes before reading it
  // At most a few calls work at once, first come first served (they are CPU-bound, and with many
  // workers they would otherwise all compete for the cores); a call that waits longer than a
  // moment goes ahead anyway, so a slow call (a dry run, an audit check) never holds up the rest.
  const bool gated = s.gate.Enter(std::chrono::milliseconds(50));
  Reply reply = Dispatch(s.env, r);
  if (gated) s.gate.Leave();
  return JsonAnswer(reply);
}

FrontAnswer Handle(Shared& s, const FrontRequest& req) {
  const auto t0 = std::chrono::steady_clock::now();
  FrontAnswer a;
  try {
    a = Route(s, req);
  } catch (const std::exception& e) {
    log::Write(log::Level::kError, "http.exception", {{"method", req.head.getMethod()}});
    log::Write(log::Level::kDebug, "http.exception_detail", {{"what", e.what()}});
    a = JsonAnswer(Problem(500, "internal error; see the service log"));
  }
  if (log::Enabled(log::Level::kDebug)) {
    const auto ms =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
            .count() /
        1000.0;
    std::string path = req.head.getURI();
    path = path.substr(0, path.find('?'));
    log::Write(
        log::Level::kDebug, "http.request",
        {{"method", req.head.getMethod()}, {"path", path}, {"status", a.status}, {"ms", ms}});
  }
  return a;
}

}  // namespace

struct HttpServer::Impl {
  explicit Impl(ApiEnv& e) : shared{e, {}} {}
  Shared shared;
  std::unique_ptr<HttpFront> front;
  uint16_t port = 0;
  bool tls = false;
};

HttpServer::HttpServer(ApiEnv& env) : impl_(std::make_unique<Impl>(env)) {}
HttpServer::~HttpServer() {
  Stop();
}

Status HttpServer::Start(const HttpOptions& options) {
  impl_->shared.options = options;
  try {
    Poco::Net::SocketAddress addr(options.host, options.port);
    std::unique_ptr<Poco::Net::ServerSocket> socket;
    if (!options.tls_cert.empty()) {
      Poco::Net::initializeSSL();
      Poco::Net::Context::Ptr ctx =
          new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, options.tls_key,
                                 options.tls_cert, "", Poco::Net::Context::VERIFY_NONE);
      ctx->disableProtocols(Poco::Net::Context::PROTO_SSLV2 | Poco::Net::Context::PROTO_SSLV3 |
                            Poco::Net::Context::PROTO_TLSV1 | Poco::Net::Context::PROTO_TLSV1_1);
      socket = std::make_unique<Poco::Net::SecureServerSocket>(addr, 1024, ctx);
      impl_->tls = true;
    } else {
      socket = std::make_unique<Poco::Net::ServerSocket>(addr, 1024);
    }
    impl_->port = socket->address().port();
    FrontLimits l = options.limits;
    l.workers = options.threads;
    l.max_body_bytes = impl_->shared.env.max_request_bytes;
    Shared* shared = &impl_->shared;
    FrontHandlers h;
    h.handle = [shared](const FrontRequest& r) { return Handle(*shared, r); };
    h.problem = [](int status, const std::string& detail) {
      return JsonAnswer(Problem(status, detail));
    };
    impl_->front = std::make_unique<HttpFront>(l, std::move(h));
    impl_->front->Start(*socket);
  } catch (const Poco::Exception& e) {
    impl_->front.reset();
    return Status::Unavailable("cannot listen on " + options.host + ":" +
                               std::to_string(options.port) + ": " + e.displayText());
  }
  return Status::OK();
}

void HttpServer::Stop() {
  if (impl_->front) {
    impl_->front->Stop();
    impl_->front.reset();
  }
}

uint16_t HttpServer::port() const {
  return impl_->port;
}
bool HttpServer::tls() const {
  return impl_->tls;
}

}  // namespace sendsync::server
