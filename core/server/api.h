// The admin API (/api/v1, docs/api/admin-api.yaml) independent of the HTTP server: the route table
// every request is matched against, authentication and the role/school checks done for every
// route, pagination, problem+json replies, and the handlers. The HTTP layer turns a request into
// Dispatch(); the tests iterate Routes() so that no route escapes the access checks.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/config/config.h"
#include "core/audit/anchor.h"
#include "core/server/auth.h"
#include "core/server/due_cache.h"
#include "core/server/metrics.h"
#include "core/server/scheduler.h"
#include "core/server/summary_cache.h"
#include "core/store/store.h"
#include "core/sync/sync.h"

namespace sendsync::server {

// The pupils' register lines the dashboard's lists are built from, per school, kept under the hub
// generation they were read at (handlers_dashboard.cpp).
struct PupilLinesCache;
std::shared_ptr<PupilLinesCache> MakePupilLinesCache();

// What the handlers work with; owned by the service.
struct ApiEnv {
  store::Store& store;
  sync::Engine& engine;
  Scheduler& scheduler;
  Metrics& metrics;
  std::string plugin_dir;
  plugins::RuntimeOptions runtime;
  sync::EngineOptions engine_options;  // for work outside the engine object (referral submission)
  int64_t max_request_bytes = 1 << 20;
  SummaryCache* summaries = nullptr;  // pupils' summaries as sent; null: built on every request
  TokenCache* tokens = nullptr;       // tokens already checked; null: looked up every request
  std::shared_ptr<PupilLinesCache> pupil_lines = nullptr;  // null: read on every request
  DueCache* due = nullptr;  // the due list's lines; null: computed on every request
  // Today's date for the clocks (a call without ?as_of=); null: the local date (Today()). Tests
  // set it to move the date.
  std::function<Date()> today = nullptr;
  // The audit chain's anchors (core/audit/anchor.h) that /audit/verify compares the chain with;
  // an empty file: the chain alone.
  audit::AnchorOptions anchors = {};
  std::string store_id = {};
};

struct Reply {
  int status = 200;
  nlohmann::json body;
  std::string content_type = "application/json";
  std::shared_ptr<const std::string> raw = nullptr;  // when set, sent as the body instead of `body`
  std::string allow = "";  // for 405: the methods the path takes ("GET, POST"), sent as Allow
};

// RFC 7807 problem+json. `errors`: [{"path", "message"}] for invalid input.
Reply Problem(int status, const std::string& detail, nlohmann::json errors = nullptr);
// Maps a Status to the problem for it (InvalidArgument 400, NotFound 404, AlreadyExists and
// FailedPrecondition 409, PermissionDenied 403, Unauthenticated 401, Unavailable 503, else 500
// with a generic detail: internal messages may name records).
Reply FromStatus(const Status& status);

enum class Scope {
  kSchool,  // about one school's links, queues or pupils: school-limited tokens see their own
  kGlobal,  // about the whole host (audit, plugins): refused to school-limited tokens
};

struct Call;
using Handler = Reply (*)(Call&);

struct Route {
  const char* method;   // GET, POST
  const char* pattern;  // "/api/v1/conflicts/{conflict_id}/resolve"
  Perm perm;
  Scope scope;
  Handler handler;
};

// Every /api/v1 route. The only list the server dispatches from.
const std::vector<Route>& Routes();

// One request as the handlers see it.
struct Call {
  ApiEnv& env;
  const Route& route;
  Caller caller;
  std::map<std::string, std::string> params;  // from the path pattern
  std::map<std::string, std::string> query;
  nlohmann::json body;  // null when there was none
  std::unique_ptr<store::Conn> conn;
  int64_t generation = 0;  // the store's hub generation when the call began

  std::string Query(const std::string& name, const std::string& fallback = "") const;
  // The school the caller asks about: ?school=, forced to the token's school for limited tokens.
  std::string School() const;
  // Whether the caller may see things of `school_urn` (always, unless the token is limited).
  bool MaySee(const std::string& school_urn) const;
  // Today's date for the clocks: env.today when set, else the local date.
  Date Today() const;
};

// Pagination: ?limit= (1..500, default 50) and ?cursor= (opaque to clients).
struct Page {
  int64_t limit = 50;
  std::string cursor;
  // Wraps the items of a page: {"items": [...], "next_cursor": next or null}.
  static nlohmann::json Wrap(nlohmann::json items, const std::string& next);
};
// Parses limit and cursor (every cursor this API gives out is a whole number: an id, a sequence
// number or an offset); a problem (400 with query paths) when they are wrong.
std::optional<Reply> ParsePage(const Call& call, Page& page);

// A request after the HTTP layer has read it.
struct Request {
  std::string method, path;
  std::map<std::string, std::string> query;
  std::string authorization;  // the header's value
  std::string body;
};

// Matches, authenticates, checks role and school, parses the body, and runs the handler.
Reply Dispatch(ApiEnv& env, const Request& request);

// Decodes the query part of a URI (form encoding); repeated names keep the last value.
std::map<std::string, std::string> ParseQuery(const std::string& raw_query);
// "2026-11-23T06:30:00Z" for ms since the epoch; null for 0.
nlohmann::json IsoTime(int64_t ms);

}  // namespace sendsync::server
