// Shared set-up for the server's tests: a fresh SQLite store in a temporary folder (or PostgreSQL),
// a plugin folder with jsonl-folder and the slow-source fixture, links with pupils to pull, tokens
// of each role, a Service started on 127.0.0.1 with an ephemeral port, and a small HTTP client.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/server/auth.h"
#include "core/server/service.h"
#include "core/store/store.h"

namespace sendsync::server_test {

namespace fs = std::filesystem;
using nlohmann::json;

// A valid UPN (check letter computed by the domain) for serial n.
std::string Upn(int n);

struct Response {
  int status = 0;
  std::string content_type;
  std::string body;
  std::map<std::string, std::string> headers;
  json Json() const { return json::parse(body, nullptr, false); }
};

// One request to 127.0.0.1:port. `token` empty: no Authorization header.
Response Http(uint16_t port, const std::string& method, const std::string& path,
              const std::string& token = "", const std::string& body = "");

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Options for Start: scheduler off unless asked, fast ticks, in-process adapters.
  server::ServiceOptions Options(bool scheduler = false);
  void Start(const server::ServiceOptions& options);
  void Start(bool scheduler = false) { Start(Options(scheduler)); }
  void Stop();

  // Writes pupils [from, from + count) for school `urn` to <folder>/pupil.jsonl (appending).
  void WritePupils(const std::string& folder, int from, int count,
                   const std::string& urn = "100000");
  // Adds a link reading pupils from <dir>/<folder> (made if missing).
  int64_t AddLink(const std::string& name, const std::string& folder,
                  const std::string& urn = "100000", const std::string& schedule = "manual",
                  const std::string& adapter = "jsonl-folder", json extra_config = json::object());
  std::string Token(server::Role role, const std::string& school = "");

  Response Get(const std::string& path, const std::string& token) {
    return Http(port(), "GET", path, token);
  }
  Response Post(const std::string& path, const std::string& token, const std::string& body = "") {
    return Http(port(), "POST", path, token, body);
  }
  uint16_t port() const { return svc_->port(); }
  std::unique_ptr<store::Conn> Conn();
  // Polls `cond` every 20 ms until true or `limit` passes.
  bool WaitFor(const std::function<bool()>& cond,
               std::chrono::milliseconds limit = std::chrono::seconds(10));

  fs::path dir_;
  // Set by a derived fixture's constructor: the store is a fresh database on the test PostgreSQL
  // server (tests/common/pg_server.h) instead of a SQLite file in dir_.
  bool postgres_ = false;
  std::string store_url_;
  std::unique_ptr<store::Store> store_;  // for seeding and checking; the service opens its own
  std::unique_ptr<server::Service> svc_;
  int tokens_made_ = 0;
};

}  // namespace sendsync::server_test
