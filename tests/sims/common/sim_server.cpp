#include "sim_server.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

namespace sendsync::sims {

using nlohmann::json;

std::string SimRequest::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

void SimResponse::Json(int code, const json& j) {
  status = code;
  content_type = "application/json";
  body = j.dump();
}

void SimResponse::Problem(int code, const std::string& title, const std::string& detail,
                          const json& errors) {
  status = code;
  content_type = "application/problem+json";
  json p = {{"type", "about:blank"}, {"title", title}, {"status", code}, {"detail", detail}};
  if (!errors.is_null()) p["errors"] = errors;
  body = p.dump();
}

json FaultConfig::ToJson() const {
  return {{"latency_ms", latency_ms},
          {"error_rate", error_rate},
          {"fail_next", fail_next},
          {"rate_limit_next", rate_limit_next},
          {"retry_after_seconds", retry_after_seconds},
          {"drop_next", drop_next},
          {"drop_after_handling_next", drop_after_handling_next},
          {"drop_rate", drop_rate},
          {"rate_limit_rate", rate_limit_rate},
          {"drop_after_handling_rate", drop_after_handling_rate},
          {"seed", seed}};
}

Result<FaultConfig> FaultConfig::FromJson(const json& j) {
  if (!j.is_object()) return Status::InvalidArgument("faults must be a JSON object");
  FaultConfig f;
  try {
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string& k = it.key();
      if (k == "latency_ms")
        f.latency_ms = it->get<int>();
      else if (k == "error_rate")
        f.error_rate = it->get<double>();
      else if (k == "fail_next")
        f.fail_next = it->get<int>();
      else if (k == "rate_limit_next")
        f.rate_limit_next = it->get<int>();
      else if (k == "retry_after_seconds")
        f.retry_after_seconds = it->get<int>();
      else if (k == "drop_next")
        f.drop_next = it->get<int>();
      else if (k == "drop_after_handling_next")
        f.drop_after_handling_next = it->get<int>();
      else if (k == "drop_rate")
        f.drop_rate = it->get<double>();
      else if (k == "rate_limit_rate")
        f.rate_limit_rate = it->get<double>();
      else if (k == "drop_after_handling_rate")
        f.drop_after_handling_rate = it->get<double>();
      else if (k == "seed")
        f.seed = it->get<uint64_t>();
      else
        return Status::InvalidArgument("unknown fault '" + k + "'");
    }
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("bad fault value: ") + e.what());
  }
  return f;
}

json SimStats::ToJson() const {
  return {{"requests", requests},
          {"handled", handled},
          {"injected_errors", injected_errors},
          {"injected_rate_limits", injected_rate_limits},
          {"dropped_before", dropped_before},
          {"dropped_after", dropped_after},
          {"max_in_flight", max_in_flight}};
}

struct SimServer::Impl {
  Handler handler;
  Handler control;
  std::unique_ptr<Poco::ThreadPool> pool;
  mutable std::mutex mu;  // guards faults, rng, stats
  FaultConfig faults;
  std::mt19937_64 rng{42};
  SimStats stats;
  uint64_t in_flight = 0;  // requests between their arrival and their answer (guarded by mu)
  std::map<std::string, uint64_t> requests_by_key;  // every request carrying the key, faulted too
  std::unique_ptr<Poco::Net::HTTPServer> server;
  uint16_t port = 0;
  bool tls = false;

  enum class Fate { kHandle, kFail, kRateLimit, kDropBefore, kDropAfter, kError };

  Fate Decide(int& latency, int& retry_after) {
    std::lock_guard<std::mutex> lock(mu);
    ++stats.requests;
    latency = faults.latency_ms;
    retry_after = faults.retry_after_seconds;
    if (faults.drop_next > 0) {
      --faults.drop_next;
      ++stats.dropped_before;
      return Fate::kDropBefore;
    }
    if (faults.fail_next > 0) {
      --faults.fail_next;
      ++stats.injected_errors;
      return Fate::kFail;
    }
    if (faults.rate_limit_next > 0) {
      --faults.rate_limit_next;
      ++stats.injected_rate_limits;
      return Fate::kRateLimit;
    }
    if (faults.error_rate > 0 &&
        std::uniform_real_distribution<double>(0, 1)(rng) < faults.error_rate) {
      ++stats.injected_errors;
      return Fate::kError;
    }
    const bool mixed =
        faults.drop_rate > 0 || faults.rate_limit_rate > 0 || faults.drop_after_handling_rate > 0;
    const double u = mixed ? std::uniform_real_distribution<double>(0, 1)(rng) : 1.0;
    if (u < faults.drop_rate) {
      ++stats.dropped_before;
      return Fate::kDropBefore;
    }
    if (u < faults.drop_rate + faults.rate_limit_rate) {
      ++stats.injected_rate_limits;
      return Fate::kRateLimit;
    }
    ++stats.handled;
    if (faults.drop_after_handling_next > 0 ||
        u < faults.drop_rate + faults.rate_limit_rate + faults.drop_after_handling_rate) {
      if (faults.drop_after_handling_next > 0) --faults.drop_after_handling_next;
      ++stats.dropped_after;
      return Fate::kDropAfter;
    }
    return Fate::kHandle;
  }
};

namespace {

void Drop(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
  response.setKeepAlive(false);
  auto& impl = static_cast<Poco::Net::HTTPServerRequestImpl&>(request);
  Poco::Net::StreamSocket s = impl.detachSocket();
  try {
    s.shutdown();
  } catch (const Poco::Exception&) {
  }
  s.close();
}

void Send(Poco::Net::HTTPServerResponse& response, const SimResponse& r) {
  response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(r.status));
  response.setContentType(r.content_type);
  for (const auto& [k, v] : r.headers) response.set(k, v);
  response.setContentLength(static_cast<std::streamsize>(r.body.size()));
  response.send() << r.body;
}

// Counts a request as in flight while it lives, and the most at once in the stats.
class InFlight {
 public:
  explicit InFlight(SimServer::Impl& impl) : impl_(impl) {
    std::lock_guard<std::mutex> lock(impl_.mu);
    impl_.stats.max_in_flight = std::max(impl_.stats.max_in_flight, ++impl_.in_flight);
  }
  ~InFlight() {
    std::lock_guard<std::mutex> lock(impl_.mu);
    --impl_.in_flight;
  }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  SimServer::Impl& impl_;
};

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(SimServer::Impl& impl, SimServer& owner) : impl_(impl), owner_(owner) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    SimRequest req;
    req.method = request.getMethod();
    Poco::URI uri(request.getURI());
    req.path = uri.getPath();
    req.query = uri.getRawQuery();
    for (const auto& [k, v] : uri.getQueryParameters()) req.params[k] = v;
    for (const auto& [k, v] : request) {
      std::string key = k;
      std::transform(key.begin(), key.end(), key.begin(), ::tolower);
      req.headers[key] = v;
    }
    Poco::StreamCopier::copyToString(request.stream(), req.body);

    SimResponse resp;
    if (req.path.rfind("/_sim/", 0) == 0) {
      Control(req, resp);
      Send(response, resp);
      return;
    }
    if (std::string k = req.Header("idempotency-key"); !k.empty()) {
      std::lock_guard<std::mutex> lock(impl_.mu);
      ++impl_.requests_by_key[k];
    }
    InFlight counted(impl_);
    int latency = 0, retry_after = 0;
    SimServer::Impl::Fate fate = impl_.Decide(latency, retry_after);
    if (latency > 0) std::this_thread::sleep_for(std::chrono::milliseconds(latency));
    using Fate = SimServer::Impl::Fate;
    switch (fate) {
      case Fate::kDropBefore:
        return Drop(request, response);
      case Fate::kFail:
        resp.Problem(503, "Service Unavailable", "injected fault: unavailable");
        return Send(response, resp);
      case Fate::kError:
        resp.Problem(500, "Internal Server Error", "injected fault: server error");
        return Send(response, resp);
      case Fate::kRateLimit:
        resp.Problem(429, "Too Many Requests", "injected fault: rate limited");
        resp.headers.push_back({"Retry-After", std::to_string(retry_after)});
        return Send(response, resp);
      case Fate::kHandle:
      case Fate::kDropAfter:
        break;
    }
    try {
      impl_.handler(req, resp);
    } catch (const std::exception& e) {
      resp.Problem(500, "Simulator error", e.what());
    }
    if (fate == Fate::kDropAfter) return Drop(request, response);
    Send(response, resp);
  }

 private:
  void Control(const SimRequest& req, SimResponse& resp) {
    if (req.path == "/_sim/faults" && req.method == "POST") {
      json j = json::parse(req.body, nullptr, false);
      auto f = FaultConfig::FromJson(j);
      if (!f.ok()) return resp.Problem(400, "Bad faults", f.status().message());
      owner_.SetFaults(*f);
      return resp.Json(200, f->ToJson());
    }
    if (req.path == "/_sim/faults") return resp.Json(200, owner_.faults().ToJson());
    if (req.path == "/_sim/stats") return resp.Json(200, owner_.stats().ToJson());
    if (impl_.control) {
      try {
        return impl_.control(req, resp);
      } catch (const std::exception& e) {
        return resp.Problem(500, "Simulator error", e.what());
      }
    }
    resp.Problem(404, "Not Found", "no such control endpoint");
  }

  SimServer::Impl& impl_;
  SimServer& owner_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Factory(SimServer::Impl& impl, SimServer& owner) : impl_(impl), owner_(owner) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(impl_, owner_);
  }

 private:
  SimServer::Impl& impl_;
  SimServer& owner_;
};

}  // namespace

SimServer::SimServer(Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
}

SimServer::~SimServer() {
  Stop();
}

Status SimServer::Start(uint16_t port, const std::string& cert, const std::string& key) {
  try {
    Poco::Net::SocketAddress addr("127.0.0.1", port);
    std::unique_ptr<Poco::Net::ServerSocket> socket;
    if (!cert.empty()) {
      Poco::Net::initializeSSL();
      Poco::Net::Context::Ptr ctx = new Poco::Net::Context(
          Poco::Net::Context::TLS_SERVER_USE, key, cert, "", Poco::Net::Context::VERIFY_NONE);
      socket = std::make_unique<Poco::Net::SecureServerSocket>(addr, 64, ctx);
      impl_->tls = true;
    } else {
      socket = std::make_unique<Poco::Net::ServerSocket>(addr, 64);
    }
    impl_->port = socket->address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(16);
    params->setKeepAlive(true);
    params->setTimeout(Poco::Timespan(10, 0));
    // Our own pool, so Stop can wait for every handler (Poco's default pool outlives us).
    impl_->pool = std::make_unique<Poco::ThreadPool>(2, 16);
    impl_->server = std::make_unique<Poco::Net::HTTPServer>(new Factory(*impl_, *this),
                                                            *impl_->pool, *socket, params);
    impl_->server->start();
  } catch (const Poco::Exception& e) {
    return Status::Unavailable("simulator cannot listen: " + e.displayText());
  }
  return Status::OK();
}

void SimServer::Stop() {
  if (impl_ && impl_->server) {
    impl_->server->stopAll(true);
    impl_->server.reset();
  }
  if (impl_ && impl_->pool) {
    impl_->pool->joinAll();
    impl_->pool.reset();
  }
}

void SimServer::SetControlHandler(Handler handler) {
  impl_->control = std::move(handler);
}

uint16_t SimServer::port() const {
  return impl_->port;
}

std::string SimServer::base_url() const {
  return std::string(impl_->tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(impl_->port);
}

void SimServer::SetFaults(const FaultConfig& f) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (f.seed != impl_->faults.seed) impl_->rng.seed(f.seed);
  impl_->faults = f;
}

uint64_t SimServer::RequestsWithKey(const std::string& key) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->requests_by_key.find(key);
  return it == impl_->requests_by_key.end() ? 0 : it->second;
}

FaultConfig SimServer::faults() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->faults;
}

SimStats SimServer::stats() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->stats;
}

Result<SimMainOptions> ParseSimArgs(std::vector<std::string>& args) {
  SimMainOptions o;
  std::vector<std::string> rest;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const char* name) -> Result<std::string> {
      if (i + 1 >= args.size())
        return Status::InvalidArgument(std::string(name) + " needs a value");
      return args[++i];
    };
    if (a == "--port") {
      auto v = value("--port");
      if (!v.ok()) return v.status();
      int p = std::atoi(v->c_str());
      if (p < 0 || p > 65535) return Status::InvalidArgument("--port must be 0..65535");
      o.port = static_cast<uint16_t>(p);
    } else if (a == "--port-file" || a == "--tls-cert" || a == "--tls-key") {
      auto v = value(a.c_str());
      if (!v.ok()) return v.status();
      (a == "--port-file" ? o.port_file : a == "--tls-cert" ? o.tls_cert : o.tls_key) = *v;
    } else if (a == "--faults") {
      auto v = value("--faults");
      if (!v.ok()) return v.status();
      auto f = FaultConfig::FromJson(json::parse(*v, nullptr, false));
      if (!f.ok()) return f.status();
      o.faults = *f;
    } else {
      rest.push_back(a);
    }
  }
  args = std::move(rest);
  return o;
}

int ServeUntilSignalled(SimServer& server, const SimMainOptions& o, const std::string& name) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // before any server thread starts
  server.SetFaults(o.faults);
  Status st = server.Start(o.port, o.tls_cert, o.tls_key);
  if (!st.ok()) {
    std::fprintf(stderr, "%s: %s\n", name.c_str(), st.message().c_str());
    return 1;
  }
  if (!o.port_file.empty()) {
    std::string tmp = o.port_file + ".tmp";
    std::ofstream(tmp) << server.port() << "\n";
    std::rename(tmp.c_str(), o.port_file.c_str());
  }
  std::fprintf(stderr, "%s: listening on %s\n", name.c_str(), server.base_url().c_str());
  int sig = 0;
  sigwait(&set, &sig);
  server.Stop();
  return 0;
}

}  // namespace sendsync::sims
