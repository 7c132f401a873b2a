#include "core/server/http_server.h"

#include "core/server/fair_gate.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include "core/log/log.h"

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

namespace {

// Same-origin scripts and styles only, no inline script: the dashboard's page asks for the token
// and must not be scriptable by anything it displays.
const char* kCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'";

void Send(Poco::Net::HTTPServerResponse& res, int status, const std::string& content_type,
          const std::string& body, bool no_store) {
  res.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Content-Security-Policy", kCsp);
  res.set("Referrer-Policy", "no-referrer");
  res.set("X-Frame-Options", "DENY");
  if (no_store) res.set("Cache-Control", "no-store");
  res.setContentType(content_type);
  res.setContentLength(static_cast<std::streamsize>(body.size()));
  res.send() << body;
}

void SendJson(Poco::Net::HTTPServerResponse& res, const Reply& r) {
  if (r.status == 401) res.set("WWW-Authenticate", "Bearer realm=\"sendsync\"");
  if (r.raw) {
    Send(res, r.status, r.content_type, *r.raw, true);
    return;
  }
  std::string body = r.body.dump(-1, ' ', false, json::error_handler_t::replace);
  Send(res, r.status, r.content_type, body, true);
}

struct Shared {
  ApiEnv& env;
  HttpOptions options;
  // Four per core: enough that a slot handed to a waiter that is still waking up leaves the cores
  // busy (measured: 2 or 1 per core gave lower throughput and no better p99).
  FairGate gate{4 * std::clamp(std::thread::hardware_concurrency(), 1u, 256u)};
};

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(Shared& shared) : s_(shared) {}

  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& res) override {
    const auto t0 = std::chrono::steady_clock::now();
    int status = 500;
    try {
      status = Handle(req, res);
    } catch (const std::exception& e) {
      log::Write(log::Level::kError, "http.exception", {{"method", req.getMethod()}});
      log::Write(log::Level::kDebug, "http.exception_detail", {{"what", e.what()}});
      if (!res.sent()) {
        Reply r = Problem(500, "internal error; see the service log");
        SendJson(res, r);
      }
    }
    if (log::Enabled(log::Level::kDebug)) {
      const auto ms = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - t0)
                          .count() /
                      1000.0;
      log::Write(log::Level::kDebug, "http.request",
                 {{"method", req.getMethod()},
                  {"path", Poco::URI(req.getURI()).getPath()},
                  {"status", status},
                  {"ms", ms}});
    }
  }

 private:
  int Handle(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& res) {
    Poco::URI uri(req.getURI());
    const std::string path = uri.getPath();
    const std::string& method = req.getMethod();

    if (path == "/healthz" && method == "GET") {
      auto [ok, body] = s_.options.health();
      Send(res, ok ? 200 : 503, "application/json", body.dump(), true);
      return ok ? 200 : 503;
    }
    if (path == "/metrics" && method == "GET") {
      Send(res, 200, "text/plain; version=0.0.4; charset=utf-8", s_.options.metrics(), true);
      return 200;
    }
    if (path == "/" || path == "/index.html" || path.rfind("/ui/", 0) == 0) {
      if (method != "GET" && method != "HEAD") {
        SendJson(res, Problem(405, "static files take GET"));
        return 405;
      }
      const std::string rel = path.rfind("/ui/", 0) == 0 ? path.substr(4) : "index.html";
      const std::string file = SafeStaticPath(s_.options.web_root, rel);
      const std::string type = StaticContentType(file);
      if (file.empty() || type.empty()) {
        Send(res, 404, "text/plain; charset=utf-8", "not found\n", false);
        return 404;
      }
      std::ifstream in(file, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      Send(res, 200, type, ss.str(), rel == "index.html");
      return 200;
    }
    if (path.rfind("/api/", 0) != 0) {
      Send(res, 404, "text/plain; charset=utf-8", "not found\n", false);
      return 404;
    }

    Request r;
    r.method = method;
    r.path = path;
    r.query = ParseQuery(uri.getRawQuery());
    r.authorization = req.get("Authorization", "");
    const int64_t max = s_.env.max_request_bytes;
    if (req.hasContentLength() && req.getContentLength64() > max) {
      Reply too = Problem(413, "the request body is larger than " + std::to_string(max) + " bytes");
      res.setKeepAlive(false);  // the unread body would be taken for the next request
      SendJson(res, too);
      return 413;
    }
    if (method == "POST" || method == "PUT" || method == "PATCH") {
      std::istream& in = req.stream();
      char buf[8192];
      while (in.read(buf, sizeof buf) || in.gcount() > 0) {
        r.body.append(buf, static_cast<size_t>(in.gcount()));
        if (static_cast<int64_t>(r.body.size()) > max) {
          Reply too =
              Problem(413, "the request body is larger than " + std::to_string(max) + " bytes");
          res.setKeepAlive(false);
          SendJson(res, too);
          return 413;
        }
      }
    }
    // At most a few calls work at once, first come first served (they are CPU-bound, and a busy
    // server has hundreds of connection threads that would otherwise all compete for the cores);
    // a call that waits longer than a moment goes ahead anyway, so a slow call (a dry run, an
    // audit check) never holds up the rest.
    const bool gated = s_.gate.Enter(std::chrono::milliseconds(50));
    Reply reply = Dispatch(s_.env, r);
    if (gated) s_.gate.Leave();
    SendJson(res, reply);
    return reply.status;
  }

  Shared& s_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(Shared& shared) : s_(shared) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(s_);
  }

 private:
  Shared& s_;
};

}  // namespace

struct HttpServer::Impl {
  explicit Impl(ApiEnv& e) : shared{e, {}} {}
  Shared shared;
  std::unique_ptr<Poco::ThreadPool> pool;
  std::unique_ptr<Poco::Net::HTTPServer> server;
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
      socket = std::make_unique<Poco::Net::SecureServerSocket>(addr, 256, ctx);
      impl_->tls = true;
    } else {
      socket = std::make_unique<Poco::Net::ServerSocket>(addr, 256);
    }
    impl_->port = socket->address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(options.threads);
    params->setMaxQueued(4 * options.threads);
    params->setKeepAlive(true);
    params->setMaxKeepAliveRequests(1000);
    params->setKeepAliveTimeout(Poco::Timespan(5, 0));
    params->setTimeout(Poco::Timespan(30, 0));
    // Our own pool, so Stop can wait for every handler still running.
    impl_->pool = std::make_unique<Poco::ThreadPool>(2, options.threads);
    impl_->server = std::make_unique<Poco::Net::HTTPServer>(new Factory(impl_->shared),
                                                            *impl_->pool, *socket, params);
    impl_->server->start();
  } catch (const Poco::Exception& e) {
    impl_->server.reset();
    impl_->pool.reset();
    return Status::Unavailable("cannot listen on " + options.host + ":" +
                               std::to_string(options.port) + ": " + e.displayText());
  }
  return Status::OK();
}

void HttpServer::Stop() {
  if (impl_->server) {
    impl_->server->stopAll(true);
    impl_->server.reset();
  }
  if (impl_->pool) {
    impl_->pool->joinAll();
    impl_->pool.reset();
  }
}

uint16_t HttpServer::port() const {
  return impl_->port;
}
bool HttpServer::tls() const {
  return impl_->tls;
}

}  // namespace sendsync::server
