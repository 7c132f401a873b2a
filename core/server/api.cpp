#include "core/server/api.h"

#include <algorithm>
#include <ctime>
#include <regex>
#include <sstream>

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include <sendsync/sdk/json_limits.h>
#include "base/log/log.h"

namespace sendsync::server {

using nlohmann::json;

namespace {

const char* TitleOf(int status) {
  switch (status) {
    case 400:
      return "Invalid input";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not found";
    case 405:
      return "Method not allowed";
    case 408:
      return "Request timeout";
    case 411:
      return "Length required";
    case 409:
      return "Conflict";
    case 413:
      return "Payload too large";
    case 431:
      return "Request headers too large";
    case 422:
      return "Unprocessable";
    case 503:
      return "Unavailable";
    default:
      return "Internal error";
  }
}

const char* SlugOf(int status) {
  switch (status) {
    case 400:
      return "invalid-input";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not-found";
    case 405:
      return "method-not-allowed";
    case 408:
      return "timeout";
    case 411:
      return "length-required";
    case 409:
      return "conflict";
    case 413:
      return "too-large";
    case 431:
      return "headers-too-large";
    case 422:
      return "unprocessable";
    case 503:
      return "unavailable";
    default:
      return "internal";
  }
}

std::vector<std::string> Segments(const std::string& path) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : path) {
    if (c == '/') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

bool Match(const std::vector<std::string>& pat, const std::vector<std::string>& path,
           std::map<std::string, std::string>& params) {
  if (pat.size() != path.size()) return false;
  std::map<std::string, std::string> got;
  for (size_t i = 0; i < pat.size(); ++i) {
    if (pat[i].size() > 2 && pat[i].front() == '{' && pat[i].back() == '}') {
      std::string value;
      try {
        Poco::URI::decode(path[i], value);
      } catch (const Poco::Exception&) {
        return false;
      }
      got[pat[i].substr(1, pat[i].size() - 2)] = value;
    } else if (pat[i] != path[i]) {
      return false;
    }
  }
  params = std::move(got);
  return true;
}

bool IsUrn(const std::string& s) {
  static const std::regex kUrn(R"([0-9]{6})");
  return std::regex_match(s, kUrn);
}

}  // namespace

Reply Problem(int status, const std::string& detail, json errors) {
  Reply r;
  r.status = status;
  r.content_type = "application/problem+json";
  r.body = {{"type", std::string("urn:sendsync:problem:") + SlugOf(status)},
            {"title", TitleOf(status)},
            {"status", status},
            {"detail", detail}};
  if (!errors.is_null()) r.body["errors"] = std::move(errors);
  return r;
}

Reply FromStatus(const Status& st) {
  switch (st.code()) {
    case Status::Code::kInvalidArgument:
      return Problem(400, st.message());
    case Status::Code::kNotFound:
      return Problem(404, st.message());
    case Status::Code::kAlreadyExists:
    case Status::Code::kFailedPrecondition:
      return Problem(409, st.message());
    case Status::Code::kPermissionDenied:
      return Problem(403, st.message());
    case Status::Code::kUnauthenticated:
      return Problem(401, st.message());
    case Status::Code::kUnavailable:
    case Status::Code::kDeadlineExceeded:
      return Problem(503, "the store or an adapter is unavailable; try again");
    default:
      // Internal messages can name records; the log has them at debug level only.
      log::Write(log::Level::kError, "api.internal_error", {{"code", static_cast<int>(st.code())}});
      log::Write(log::Level::kDebug, "api.internal_error_detail", {{"message", st.message()}});
      return Problem(500, "internal error; see the service log");
  }
}

std::string Call::Query(const std::string& name, const std::string& fallback) const {
  auto it = query.find(name);
  return it == query.end() ? fallback : it->second;
}

std::string Call::School() const {
  return caller.school_urn.empty() ? Query("school") : caller.school_urn;
}

bool Call::MaySee(const std::string& school_urn) const {
  return caller.school_urn.empty() || caller.school_urn == school_urn;
}

Date Call::Today() const {
  return env.today ? env.today() : sendsync::Today();
}

json Page::Wrap(json items, const std::string& next) {
  return {{"items", std::move(items)}, {"next_cursor", next.empty() ? json() : json(next)}};
}

std::optional<Reply> ParsePage(const Call& call, Page& page) {
  json errors = json::array();
  const std::string limit = call.Query("limit");
  if (!limit.empty()) {
    if (limit.size() > 3 || limit.find_first_not_of("0123456789") != std::string::npos ||
        std::stoll(limit) < 1 || std::stoll(limit) > 500)
      errors.push_back({{"path", "query:limit"}, {"message", "must be a whole number 1..500"}});
    else
      page.limit = std::stoll(limit);
  }
  page.cursor = call.Query("cursor");
  if (!page.cursor.empty() &&
      (page.cursor.size() > 18 || page.cursor.find_first_not_of("0123456789") != std::string::npos))
    errors.push_back({{"path", "query:cursor"}, {"message", "is not a cursor this list gave out"}});
  if (!errors.empty())
    return Problem(400, "the request has " + std::to_string(errors.size()) + " problem(s)", errors);
  return std::nullopt;
}

std::map<std::string, std::string> ParseQuery(const std::string& raw) {
  std::map<std::string, std::string> out;
  std::stringstream ss(raw);
  std::string part;
  while (std::getline(ss, part, '&')) {
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string k = part.substr(0, eq), v = eq == std::string::npos ? "" : part.substr(eq + 1);
    for (std::string* s : {&k, &v})
      for (char& c : *s)
        if (c == '+') c = ' ';
    std::string dk, dv;
    try {
      Poco::URI::decode(k, dk);
      Poco::URI::decode(v, dv);
    } catch (const Poco::Exception&) {
      continue;
    }
    out[dk] = dv;
  }
  return out;
}

json IsoTime(int64_t ms) {
  if (ms <= 0) return nullptr;
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf);
}

Reply Dispatch(ApiEnv& env, const Request& req) {
  // The routes' patterns as segments, split once.
  static const std::vector<std::vector<std::string>> kPatterns = [] {
    std::vector<std::vector<std::string>> out;
    for (const Route& r : Routes()) out.push_back(Segments(r.pattern));
    return out;
  }();
  const auto path = Segments(req.path);
  const Route* route = nullptr;
  std::string allow;  // the methods the path takes
  std::map<std::string, std::string> params;
  for (size_t i = 0; i < Routes().size(); ++i) {
    const Route& r = Routes()[i];
    std::map<std::string, std::string> p;
    if (!Match(kPatterns[i], path, p)) continue;
    if (allow.find(r.method) == std::string::npos)
      allow += (allow.empty() ? "" : ", ") + std::string(r.method);
    if (req.method == r.method && !route) {
      route = &r;
      params = std::move(p);
    }
  }
  if (allow.empty()) return Problem(404, "no such API path (see docs/api/admin-api.yaml)");
  if (!route) {
    Reply r = Problem(405, "this path does not take " + req.method + "; it takes " + allow);
    r.allow = allow;
    return r;
  }
  for (const auto& [name, value] : params)
    if (std::any_of(value.begin(), value.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
      return Problem(400, "the request has 1 problem(s)",
                     json::array({{{"path", "path:" + name},
                                   {"message", "must not hold a control character"}}}));

  auto conn = env.store.Connect();
  if (!conn.ok()) return FromStatus(Status::Unavailable(conn.status().message()));

  // The generation first: what the caches below hand out was built at or after it.
  auto generation = store::HubGeneration(**conn);
  if (!generation.ok()) return FromStatus(generation.status());
  auto caller = Authenticate(**conn, BearerToken(req.authorization), env.tokens, *generation);
  if (!caller.ok()) {
    if (caller.status().code() == Status::Code::kUnauthenticated)
      return Problem(401, caller.status().message());
    return FromStatus(caller.status());
  }
  if (!RoleAllows(caller->role, route->perm))
    return Problem(
        403, std::string("role ") + RoleName(caller->role) + " may not " + PermName(route->perm));
  if (route->scope == Scope::kGlobal && !caller->school_urn.empty())
    return Problem(
        403, "this call is about the whole host; a token limited to one school may not make it");
  auto school = req.query.find("school");
  if (school != req.query.end()) {
    if (!IsUrn(school->second))
      return Problem(400, "the request has 1 problem(s)",
                     json::array({{{"path", "query:school"},
                                   {"message", "must be a school URN (6 digits)"}}}));
    if (!caller->school_urn.empty() && school->second != caller->school_urn)
      return Problem(403, "this token is limited to another school");
  }

  Call call{env,       *route,  *caller,          std::move(params),
            req.query, nullptr, std::move(*conn), *generation};
  if (!req.body.empty()) {
    if (static_cast<int64_t>(req.body.size()) > env.max_request_bytes)
      return Problem(413, "the request body is larger than " +
                              std::to_string(env.max_request_bytes) + " bytes");
    std::string parse_error;
    call.body = sdk::ParseJson(req.body, &parse_error);
    if (call.body.is_discarded())
      return Problem(400, "the body is not valid JSON: " + parse_error,
                     json::array({{{"path", ""}, {"message", "not valid JSON"}}}));
    if (!call.body.is_object())
      return Problem(400, "the body must be a JSON object",
                     json::array({{{"path", ""}, {"message", "must be a JSON object"}}}));
  }
  try {
    return route->handler(call);
  } catch (const std::exception& e) {
    log::Write(log::Level::kError, "api.exception", {{"route", route->pattern}});
    log::Write(log::Level::kDebug, "api.exception_detail", {{"what", e.what()}});
    return Problem(500, "internal error; see the service log");
  }
}

}  // namespace sendsync::server
