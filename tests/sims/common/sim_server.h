// A small HTTP server for simulators of external systems (MIS broker APIs, LA portals), used by
// tests and the demo. It listens on loopback only, on an ephemeral port unless told otherwise, can
// speak TLS, and injects faults on request: latency, 5xx answers, 429 bursts with Retry-After,
// connections dropped before handling, and — the one idempotency is for — connections dropped after
// the request was handled, so the client never hears that it worked.
//
// Faults can be set in code (SetFaults) or over HTTP by a test driving a simulator in another
// process: POST /_sim/faults with a FaultConfig object, GET /_sim/stats for counters.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "sendsync/sdk/status.h"

namespace sendsync::sims {

struct SimRequest {
  std::string method;
  std::string path;                            // without the query string, percent-decoded
  std::string query;                           // raw query string
  std::map<std::string, std::string> params;   // decoded query parameters (last one wins)
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string Header(const std::string& lower_name) const;
};

struct SimResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  void Json(int status_code, const nlohmann::json& j);
  // RFC 7807 problem+json; `errors` (optional) is a list of {"path": ..., "message": ...}.
  void Problem(int status_code, const std::string& title, const std::string& detail,
               const nlohmann::json& errors = nullptr);
};

struct FaultConfig {
  int latency_ms = 0;
  double error_rate = 0;    // chance of a 500 for each request (seeded, so repeatable)
  int fail_next = 0;        // the next N requests answer 503
  int rate_limit_next = 0;  // the next N requests answer 429 with Retry-After
  int retry_after_seconds = 0;
  int drop_next = 0;                 // the next N connections are closed before handling
  int drop_after_handling_next = 0;  // the next N are handled, then closed without an answer
  // Chances per request (seeded, drawn once per request, after the counters above): closed
  // before handling, answered 429 (with retry_after_seconds), or handled and then closed.
  double drop_rate = 0, rate_limit_rate = 0, drop_after_handling_rate = 0;
  uint64_t seed = 42;

  nlohmann::json ToJson() const;
  static Result<FaultConfig> FromJson(const nlohmann::json& j);
};

struct SimStats {
  uint64_t requests = 0;  // requests that reached the simulator, control endpoints excluded
  uint64_t handled = 0;   // requests given to the handler
  uint64_t injected_errors = 0, injected_rate_limits = 0, dropped_before = 0, dropped_after = 0;
  uint64_t max_in_flight = 0;  // the most requests (control endpoints excluded) served at once
  nlohmann::json ToJson() const;
};

class SimServer {
 public:
  using Handler = std::function<void(const SimRequest&, SimResponse&)>;
  // The handler may be called from several threads at once; it must lock its own state.
  explicit SimServer(Handler handler);
  ~SimServer();

  // Listens on 127.0.0.1:`port` (0 = ephemeral). With cert and key files (PEM), speaks HTTPS.
  Status Start(uint16_t port = 0, const std::string& cert_file = "",
               const std::string& key_file = "");
  // Stops listening and waits for every request in progress to finish, so nothing the handlers
  // use may be freed while one still runs.
  void Stop();
  uint16_t port() const;
  std::string base_url() const;  // "http://127.0.0.1:<port>" (https when TLS)

  // Handles /_sim/ paths the server does not know itself (a simulator's own control endpoints).
  // Control requests are never subject to faults and are not counted in stats. Set before Start.
  void SetControlHandler(Handler handler);

  void SetFaults(const FaultConfig& faults);
  FaultConfig faults() const;
  SimStats stats() const;
  // How many requests carrying this Idempotency-Key reached the server, faulted ones included.
  uint64_t RequestsWithKey(const std::string& key) const;

  struct Impl;  // public so the request handler in the .cpp can reach it; opaque to users

 private:
  std::unique_ptr<Impl> impl_;
};

// Options every simulator program takes. ParseSimArgs removes the ones it knows from `args` and
// leaves the simulator's own: --port N, --port-file FILE (the chosen port is written there once
// listening, so a test or script can find it), --tls-cert FILE --tls-key FILE, --faults JSON.
struct SimMainOptions {
  uint16_t port = 0;
  std::string port_file, tls_cert, tls_key;
  FaultConfig faults;
};
Result<SimMainOptions> ParseSimArgs(std::vector<std::string>& args);

// Starts `server` with `options` and serves until SIGTERM or SIGINT. Returns the exit code.
int ServeUntilSignalled(SimServer& server, const SimMainOptions& options, const std::string& name);

}  // namespace sendsync::sims
