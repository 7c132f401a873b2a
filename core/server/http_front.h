// The connection stage of the admin HTTP server: one thread accepts connections and reads each
// request's head and body from non-blocking sockets (Poco::Net::PollSet, epoll on Linux) under
// deadlines, and only a complete request is handed to a worker. Idle, slow and half-sent
// connections therefore cost a socket and a buffer, never a worker thread, and the server keeps
// accepting while they wait. Connections are capped per client address and in total; when the
// total is reached the connection that has waited longest without a complete request is dropped
// for the new one. /healthz and calls that carry credentials go to a lane that some workers
// serve exclusively. Internal to core/server: HttpServer owns one.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/ServerSocket.h>

namespace sendsync::server {

struct FrontLimits {
  int header_timeout_ms = 10000;    // from a connection's first byte (or its opening) to its head
  int body_timeout_ms = 30000;      // from the head to the last byte of the body
  int keepalive_timeout_ms = 5000;  // an idle kept-alive connection is closed after this
  int send_timeout_ms = 30000;      // a worker gives up writing an answer after this
  int max_connections = 4096;       // open at once (capped by the file-descriptor limit)
  int max_connections_per_address = 64;
  int64_t max_body_bytes = 1 << 20;  // larger bodies get 413 before they are read
  int max_head_bytes = 16384;        // a larger request line and headers get 431
  int max_requests_per_connection = 1000;
  int workers = 64;  // threads handling complete requests; at least 2
};

// A complete request as a worker sees it.
struct FrontRequest {
  Poco::Net::HTTPRequest head;
  std::string body;
  std::string client;  // the peer's address, without the port
};

// What a worker answers. The front adds Content-Length, Date and Connection.
struct FrontAnswer {
  int status = 200;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool close = false;  // close the connection after this answer
};

struct FrontHandlers {
  // Answers a complete request; called on worker threads, concurrently. Must not throw.
  std::function<FrontAnswer(const FrontRequest&)> handle;
  // The answer for a request refused before it reached a worker (400, 408, 411, 413, 431, 503).
  std::function<FrontAnswer(int status, const std::string& detail)> problem;
};

// The count of open connections per client address and in total. Thread-safe.
class ConnectionCount {
 public:
  ConnectionCount(int max_total, int max_per_address)
      : max_total_(max_total), max_per_address_(max_per_address) {}
  enum class Admit { kYes, kAddressFull, kTotalFull };
  // Counts one more connection from `address` unless a cap is reached (kYes: counted).
  Admit TryAdd(const std::string& address);
  void Remove(const std::string& address);
  int total();

 private:
  const int max_total_, max_per_address_;
  std::mutex mu_;
  std::map<std::string, int> per_address_;
  int total_ = 0;
};

class HttpFront {
 public:
  HttpFront(const FrontLimits& limits, FrontHandlers handlers);
  ~HttpFront();
  HttpFront(const HttpFront&) = delete;
  HttpFront& operator=(const HttpFront&) = delete;

  // Starts the reader thread and the workers on a bound, listening socket (plain or TLS).
  void Start(Poco::Net::ServerSocket socket);
  // Stops accepting, closes waiting connections, lets workers finish the requests they hold and
  // joins every thread. Safe to call more than once.
  void Stop();
  // The limits in force (max_connections lowered to what the descriptor limit allows).
  const FrontLimits& limits() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Raises this process's soft RLIMIT_NOFILE to its hard limit; returns the soft limit now in force.
uint64_t RaiseFileLimit();

}  // namespace sendsync::server
