// Fuzzes the admin server's request handling short of the socket: an HTTP request's head is parsed
// by Poco (as the server's connection does), the URI split into path and query, and the request
// dispatched through the route table, authentication, role and school checks, body parsing and the
// handler (core/server/api.h), against a real store. The first byte picks the caller: no token, a
// wrong one, or a token of each role, so the fuzzer gets past authentication.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <Poco/Net/HTTPRequest.h>
#include <Poco/URI.h>

#include "core/server/api.h"
#include "core/server/auth.h"
#include "core/server/metrics.h"
#include "core/server/scheduler.h"
#include "core/store/store.h"
#include "core/sync/sync.h"

namespace {

using namespace sendsync;
namespace fs = std::filesystem;

struct World {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<sync::Engine> engine;
  server::Metrics metrics;
  std::unique_ptr<server::Scheduler> scheduler;
  std::unique_ptr<server::ApiEnv> env;
  std::vector<std::string> tokens;  // "", a wrong one, then admin, operator, senco, auditor
};

World& TheWorld() {
  static World* w = [] {
    auto* w = new World();
    const char* tmp = std::getenv("TMPDIR");
    const fs::path dir =
        fs::path(tmp && *tmp ? tmp : "/tmp") / ("sendsync-fuzz-http-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "plugins");
    auto s = store::Store::Open("sqlite:" + (dir / "fuzz.db").string(), store::OpenMode::kCreate);
    if (!s.ok()) std::abort();
    w->store = std::move(*s);
    sync::EngineOptions eo;
    eo.plugin_dir = (dir / "plugins").string();
    w->engine = std::make_unique<sync::Engine>(*w->store, eo);
    server::SchedulerOptions so;
    so.enabled = false;
    w->scheduler = std::make_unique<server::Scheduler>(*w->store, *w->engine, w->metrics, so);
    w->env = std::make_unique<server::ApiEnv>(server::ApiEnv{
        *w->store, *w->engine, *w->scheduler, w->metrics, eo.plugin_dir, eo.runtime, eo, 1 << 16});
    w->tokens = {"", "not-a-token"};
    for (auto [name, role, school] : {std::tuple{"a", server::Role::kAdmin, ""},
                                      {"o", server::Role::kOperator, ""},
                                      {"s", server::Role::kSenco, "100001"},
                                      {"u", server::Role::kAuditor, ""}}) {
      auto t = server::CreateToken(*w->store, name, role, school, "fuzz");
      if (!t.ok()) std::abort();
      w->tokens.push_back(*t);
    }
    return w;
  }();
  return *w;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  TheWorld();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  World& w = TheWorld();
  const std::string& token = w.tokens[data[0] % w.tokens.size()];
  std::istringstream in(std::string(reinterpret_cast<const char*>(data + 1), size - 1));
  Poco::Net::HTTPRequest head;
  server::Request r;
  try {
    head.read(in);
    Poco::URI uri(head.getURI());
    r.method = head.getMethod();
    r.path = uri.getPath();
    r.query = server::ParseQuery(uri.getRawQuery());
  } catch (const Poco::Exception&) {
    return 0;  // the server answers 400 before any of our code runs
  }
  if (r.path.rfind("/api/", 0) != 0) return 0;
  r.authorization = token.empty() ? head.get("Authorization", "") : "Bearer " + token;
  // The rest of the input is the body, as the server reads it (up to its limit).
  std::string rest(std::istreambuf_iterator<char>(in), {});
  if (static_cast<int64_t>(rest.size()) <= w.env->max_request_bytes) r.body = std::move(rest);
  server::Reply reply = server::Dispatch(*w.env, r);
  // Serialised as the server sends it (core/server/http_server.cpp): bytes of the request that are
  // not UTF-8 and are named in an error are replaced, never a reason to throw.
  if (reply.raw == nullptr)
    reply.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return 0;
}
