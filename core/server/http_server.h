// The HTTP(S) server of `sendsync serve`: /api/v1 through Dispatch, /healthz, /metrics, and the
// dashboard's static files (/ and /ui/<file>) from the web root, with the security headers every
// response carries. Connections, deadlines and limits are HttpFront's (http_front.h); this file
// routes complete requests. Owned by Service.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/server/api.h"
#include "core/server/http_front.h"
#include "sendsync/sdk/status.h"

namespace sendsync::server {

// Where Debian's libjs-chart.js puts Chart.js's UMD build.
inline constexpr const char* kDefaultChartJs = "/usr/share/javascript/chart.js/chart.min.js";
// The one file of a kept library the dashboard loads, at a fixed path: never a path taken from
// the request, so nothing else under /usr/share can be reached through it.
inline constexpr const char* kChartJsPath = "/ui/vendor/chart.js";

struct HttpOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;              // 0: any free port (see HttpServer::port)
  std::string tls_cert, tls_key;  // both: HTTPS
  int threads = 64;               // workers answering complete requests
  FrontLimits limits;    // deadlines and connection caps (workers and body size are set above)
  std::string web_root;  // "" or missing: / and /ui/ answer 404
  std::string chart_js;  // served as /ui/vendor/chart.js; "" or missing: that path answers 404
  // Health as JSON and whether it is good (503 otherwise); the metrics text.
  std::function<std::pair<bool, nlohmann::json>()> health;
  std::function<std::string()> metrics;
};

class HttpServer {
 public:
  explicit HttpServer(ApiEnv& env);
  ~HttpServer();

  // Binds and starts serving. Unavailable naming the address when it cannot listen.
  Status Start(const HttpOptions& options);
  // Stops accepting, closes connections and waits for requests still being handled.
  void Stop();
  uint16_t port() const;
  bool tls() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The Content-Type for a static file by its extension ("" for ones the dashboard does not use).
std::string StaticContentType(const std::string& path);
// Resolves /ui/<rel> under `root`: "" when rel is empty, absolute, has a ".." or "." segment,
// or leads outside root (symlinks included).
std::string SafeStaticPath(const std::string& root, const std::string& rel);
// The configured chart library resolved (symlinks followed, as Debian's javascript folders use
// them): "" unless it is a regular file whose resolved name ends in ".js".
std::string ChartLibraryPath(const std::string& configured);

}  // namespace sendsync::server
