#include "la_portal_sim.h"

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include <Poco/Base64Decoder.h>
#include <Poco/Exception.h>
#include <Poco/SHA2Engine.h>
#include <Poco/URI.h>

#include "sim_state.h"

namespace sendsync::sims {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

std::string Sha256Hex(const std::string& bytes) {
  Poco::SHA2Engine e(Poco::SHA2Engine::SHA_256);
  e.update(bytes);
  return Poco::DigestEngine::digestToHex(e.digest());
}

std::optional<std::string> Base64Decode(const std::string& text) {
  if (text.size() % 4 != 0) return std::nullopt;
  try {
    std::istringstream in(text);
    Poco::Base64Decoder dec(in);
    std::string out((std::istreambuf_iterator<char>(dec)), std::istreambuf_iterator<char>());
    return out;
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

// UPN check letter (DfE): characters 2–13 weighted by position, sum mod 23, mapped to a letter.
// Written here rather than borrowed from core/domain: the simulator stands for an LA's system.
bool UpnCheckLetterOk(const std::string& upn) {
  static const std::string kLetters = "ABCDEFGHJKLMNPQRTUVWXYZ";
  if (upn.size() != 13) return false;
  int sum = 0;
  for (int i = 1; i < 13; ++i) {
    char c = upn[static_cast<size_t>(i)];
    int v;
    if (c >= '0' && c <= '9')
      v = c - '0';
    else if (i == 12 && kLetters.find(c) != std::string::npos)
      v = static_cast<int>(kLetters.find(c));
    else
      return false;
    sum += v * (i + 1);
  }
  return upn[0] == kLetters[static_cast<size_t>(sum % 23)];
}

std::string RandomHex(size_t bytes) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes; ++i) {
    unsigned v = static_cast<unsigned>(rng() & 0xff);
    out += kHex[v >> 4];
    out += kHex[v & 15];
  }
  return out;
}

std::map<std::string, std::string> ParseForm(const std::string& body) {
  std::map<std::string, std::string> out;
  std::stringstream ss(body);
  std::string pair;
  while (std::getline(ss, pair, '&')) {
    size_t eq = pair.find('=');
    std::string k = pair.substr(0, eq), v = eq == std::string::npos ? "" : pair.substr(eq + 1);
    for (char& c : k)
      if (c == '+') c = ' ';
    for (char& c : v)
      if (c == '+') c = ' ';
    std::string dk, dv;
    Poco::URI::decode(k, dk);
    Poco::URI::decode(v, dv);
    out[dk] = dv;
  }
  return out;
}

// Keeps the most specific errors: drops one whose path is a prefix of another's, and repeats.
json ProblemErrors(const std::vector<ContractViolation>& vs) {
  json out = json::array();
  for (size_t i = 0; i < vs.size(); ++i) {
    bool shadowed = false;
    for (size_t j = 0; j < vs.size() && !shadowed; ++j)
      shadowed = j != i && vs[j].path.size() > vs[i].path.size() &&
                 vs[j].path.compare(0, vs[i].path.size(), vs[i].path) == 0 &&
                 (vs[i].path.empty() || vs[i].path == "/" || vs[j].path[vs[i].path.size()] == '/');
    json e = {{"path", vs[i].path}, {"message", vs[i].message}};
    if (!shadowed && std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
  }
  return out;
}

std::string LowerCase(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

HttpExchange RequestExchange(const SimRequest& rq) {
  HttpExchange ex;
  ex.method = rq.method;
  ex.path = rq.path;
  ex.query = rq.params;
  ex.headers = rq.headers;
  ex.content_type = rq.Header("content-type");
  ex.body = rq.body;
  return ex;
}

}  // namespace

json LaPortalAuth::ToJson() const {
  json j = {{"mode", mode}};
  if (mode == "api_key") j["api_key_header"] = api_key_header;
  if (mode == "oauth2") {
    j["client_id"] = client_id;
    j["token_ttl_seconds"] = token_ttl_seconds;
  }
  return j;
}

Result<LaPortalAuth> LaPortalAuth::FromJson(const json& j) {
  if (!j.is_object()) return Status::InvalidArgument("auth must be a JSON object");
  LaPortalAuth a;
  a.mode = j.value("mode", "none");
  if (a.mode != "none" && a.mode != "api_key" && a.mode != "oauth2")
    return Status::InvalidArgument("auth.mode must be none, api_key or oauth2");
  a.api_key_header = j.value("api_key_header", a.api_key_header);
  a.api_key = j.value("api_key", "");
  a.client_id = j.value("client_id", "");
  a.client_secret = j.value("client_secret", "");
  a.token_ttl_seconds = j.value("token_ttl_seconds", a.token_ttl_seconds);
  if (a.mode == "api_key" && a.api_key.empty())
    return Status::InvalidArgument("auth.api_key is required for mode api_key");
  if (a.mode == "oauth2" && (a.client_id.empty() || a.client_secret.empty()))
    return Status::InvalidArgument("auth.client_id and auth.client_secret are required for oauth2");
  if (a.token_ttl_seconds < 1)
    return Status::InvalidArgument("auth.token_ttl_seconds must be >= 1");
  return a;
}

std::string DefaultReferralApiSpec() {
  return LA_PORTAL_SPEC;
}

LaPortalSim::Impl::Impl(LaPortalSimOptions o)
    : options(std::move(o)), book(options.la, options.today.value_or(Today())), auth(options.auth) {
  book.SetDefaultSteps(Scenario(options.default_scenario).value_or(std::vector<ScriptStep>{}));
}

void LaPortalSim::Impl::Count(const std::string& name) {
  ++counters[name];
}

void LaPortalSim::Impl::RecordRequestViolations(const SimRequest& rq,
                                                const std::vector<ContractViolation>& vs) {
  for (const auto& v : vs)
    request_violations.push_back(
        {{"method", rq.method}, {"path", rq.path}, {"at", v.path}, {"message", v.message}});
}

void LaPortalSim::Impl::CheckOwnResponse(const SimRequest& rq, const SimResponse& rs) {
  HttpExchange ex;
  ex.status = rs.status;
  ex.content_type = rs.content_type;
  ex.body = rs.body;
  for (const auto& v : contract->CheckResponse(rq.method, rq.path, ex))
    response_violations.push_back({{"method", rq.method},
                                   {"path", rq.path},
                                   {"status", rs.status},
                                   {"at", v.path},
                                   {"message", v.message}});
}

bool LaPortalSim::Impl::Authorised(const SimRequest& rq) {
  if (auth.mode == "none") return true;
  if (auth.mode == "api_key") return rq.Header(LowerCase(auth.api_key_header)) == auth.api_key;
  std::string h = rq.Header("authorization");
  if (h.rfind("Bearer ", 0) != 0) return false;
  auto it = tokens.find(h.substr(7));
  return it != tokens.end() && Clock::now() < it->second;
}

void LaPortalSim::Impl::HandleToken(const SimRequest& rq, SimResponse& rs) {
  std::lock_guard<std::mutex> lock(mu);
  Count("token_requests");
  auto oauth_error = [&](int status, const std::string& error, const std::string& description) {
    rs.Json(status, {{"error", error}, {"error_description", description}});
    if (status == 401) rs.headers.push_back({"WWW-Authenticate", "Basic realm=\"token\""});
  };
  if (rq.method != "POST") return oauth_error(400, "invalid_request", "use POST");
  if (rq.Header("content-type").rfind("application/x-www-form-urlencoded", 0) != 0)
    return oauth_error(400, "invalid_request", "the body must be form-encoded");
  if (auth.mode != "oauth2")
    return oauth_error(400, "unauthorized_client", "this LA does not use OAuth 2.0");
  auto form = ParseForm(rq.body);
  if (form["grant_type"] != "client_credentials")
    return oauth_error(400, "unsupported_grant_type", "only client_credentials is supported");
  std::string id = form["client_id"], secret = form["client_secret"];
  std::string basic = rq.Header("authorization");
  if (basic.rfind("Basic ", 0) == 0) {
    auto decoded = Base64Decode(basic.substr(6));
    if (decoded) {
      size_t colon = decoded->find(':');
      // RFC 6749 §2.3.1: both parts are form-encoded before they are joined.
      std::string raw_id = decoded->substr(0, colon);
      std::string raw_secret = colon == std::string::npos ? "" : decoded->substr(colon + 1);
      id.clear();
      secret.clear();
      Poco::URI::decode(raw_id, id);
      Poco::URI::decode(raw_secret, secret);
    }
  }
  if (id != auth.client_id || secret != auth.client_secret) {
    Count("token_refusals");
    return oauth_error(401, "invalid_client", "unknown client or wrong secret");
  }
  std::string token = RandomHex(24);
  tokens[token] = Clock::now() + std::chrono::seconds(auth.token_ttl_seconds);
  Count("tokens_issued");
  rs.Json(200, {{"access_token", token},
                {"token_type", "Bearer"},
                {"expires_in", auth.token_ttl_seconds},
                {"scope", "referrals"}});
  rs.headers.push_back({"Cache-Control", "no-store"});
}

// Answers a repeated key from its first answer; true when it did.
bool LaPortalSim::Impl::Replay(const std::string& operation, const std::string& key,
                               const std::string& body, SimResponse& rs) {
  auto it = keys.find(key);
  if (it == keys.end()) return false;
  if (it->second.operation != operation || it->second.fingerprint != Sha256Hex(body)) {
    rs.Problem(422, "Idempotency-Key reused",
               "this Idempotency-Key was used for a different request",
               json::array({{{"path", "header.Idempotency-Key"},
                             {"message", "already used with a different body"}}}));
    json p = json::parse(rs.body);
    p["type"] = "https://sendsync.org/problems/idempotency-key-reused";
    json first = json::parse(it->second.response.body, nullptr, false);
    if (operation == "submit" && first.is_object() && first.contains("id"))
      p["referral_id"] = first["id"];
    rs.body = p.dump();
    return true;
  }
  rs = it->second.response;
  rs.headers.push_back({"Idempotent-Replayed", "true"});
  Count("replays");
  return true;
}

void LaPortalSim::Impl::Keep(const std::string& operation, const std::string& key,
                             const std::string& body, const SimResponse& rs) {
  keys[key] = {operation, Sha256Hex(body), rs};
}

void LaPortalSim::Impl::Submit(const SimRequest& rq, SimResponse& rs) {
  Count("submit_requests");
  const std::string key = rq.Header("idempotency-key");
  if (Replay("submit", key, rq.body, rs)) return;
  json body = json::parse(rq.body);
  json errors = json::array();
  if (body["la"] != book.la())
    errors.push_back(
        {{"path", "/la"}, {"message", "this server takes requests for LA " + book.la() + " only"}});
  for (const char* f : {"upn", "former_upn"}) {
    if (body["pupil"].contains(f) && !UpnCheckLetterOk(body["pupil"][f].get<std::string>()))
      errors.push_back({{"path", std::string("/pupil/") + f},
                        {"message", "the check letter does not match (census error 1510)"}});
  }
  if (!errors.empty())
    return rs.Problem(422, "Unprocessable referral", "the referral breaks the LA's rules", errors);
  const std::string ref = body["client_reference"];
  if (StoredReferral* existing = book.FindByClientReference(ref)) {
    rs.Problem(409, "Already received",
               "a referral with this client_reference was received under another "
               "Idempotency-Key; attach further evidence to it as documents");
    json p = json::parse(rs.body);
    p["referral_id"] = existing->id;
    rs.body = p.dump();
    return;
  }
  StoredReferral& r = book.Receive(body, key);
  Count("referrals");
  json receipt = {{"id", r.id},
                  {"client_reference", r.client_reference},
                  {"la_reference", r.la_reference},
                  {"status", "received"},
                  {"received_date", r.received.ToString()},
                  {"decision_due_date", r.received.AddDays(42).ToString()},
                  {"documents_url", "/v1/referrals/" + r.id + "/documents"}};
  rs.Json(201, receipt);
  rs.headers.push_back({"Location", "/v1/referrals/" + r.id});
  Keep("submit", key, rq.body, rs);
}

void LaPortalSim::Impl::Upload(const SimRequest& rq, const std::string& id, SimResponse& rs) {
  Count("upload_requests");
  StoredReferral* r = book.Find(id);
  if (!r) return rs.Problem(404, "Not Found", "no referral " + id);
  const std::string key = rq.Header("idempotency-key");
  if (Replay("upload " + id, key, rq.body, rs)) return;
  if (r->status == "withdrawn")
    return rs.Problem(409, "Withdrawn", "the referral is withdrawn and takes no documents");
  json body = json::parse(rq.body);
  auto bytes = Base64Decode(body["content_base64"].get<std::string>());
  if (!bytes)
    return rs.Problem(422, "Bad document", "content_base64 is not base64",
                      json::array({{{"path", "/content_base64"}, {"message", "not base64"}}}));
  if (bytes->size() > (size_t{25} << 20))
    return rs.Problem(413, "Too large", "documents are limited to 25 MiB");
  if (Sha256Hex(*bytes) != body["sha256"])
    return rs.Problem(
        422, "Bad document", "the SHA-256 does not match the content",
        json::array({{{"path", "/sha256"}, {"message", "does not match the decoded content"}}}));
  StoredDocument d;
  d.filename = body["filename"];
  d.media_type = body["media_type"];
  d.category = body["category"];
  d.title = body.value("title", "");
  d.sha256 = body["sha256"];
  d.bytes = std::move(*bytes);
  const StoredDocument& stored = book.AddDocument(*r, std::move(d));
  Count("documents");
  rs.Json(201, stored.ToJson(id));
  Keep("upload " + id, key, rq.body, rs);
}

void LaPortalSim::Impl::GetReferral(const std::string& id, SimResponse& rs) {
  StoredReferral* r = book.Find(id);
  if (!r) return rs.Problem(404, "Not Found", "no referral " + id);
  json docs = json::array();
  for (const auto& d : r->documents) docs.push_back(d.ToJson(r->id));
  rs.Json(200, {{"referral", r->State()}, {"documents", docs}});
}

void LaPortalSim::Impl::ListChanges(const SimRequest& rq, SimResponse& rs) {
  Count("change_reads");
  uint64_t since = 0;
  auto s = rq.params.find("since");
  if (s != rq.params.end()) {
    const std::string& c = s->second;
    bool digits =
        !c.empty() && c.size() <= 18 && c.find_first_not_of("0123456789") == std::string::npos;
    if (!digits)
      return rs.Problem(400, "Bad cursor", "since is not a cursor this server issued",
                        json::array({{{"path", "query.since"}, {"message", "unknown cursor"}}}));
    since = std::stoull(c);
  }
  size_t limit = 100;
  auto l = rq.params.find("limit");
  if (l != rq.params.end()) limit = static_cast<size_t>(std::stoul(l->second));
  bool more = false;
  std::vector<json> changes = book.ChangesAfter(since, limit, &more);
  std::string next =
      changes.empty() ? std::to_string(since) : changes.back()["cursor"].get<std::string>();
  rs.Json(200, {{"changes", changes}, {"next_cursor", next}, {"more", more}});
}

void LaPortalSim::Impl::HandleApi(const SimRequest& rq, SimResponse& rs) {
  ++api_entered;
  if (rq.path == kLaPortalTokenPath) return HandleToken(rq, rs);
  std::lock_guard<std::mutex> lock(mu);
  auto op = contract->Find(rq.method, rq.path);
  if (!op) {
    RecordRequestViolations(rq, {{"", "no operation " + rq.method + " " + rq.path}});
    return rs.Problem(404, "Not Found", "no such endpoint: " + rq.method + " " + rq.path);
  }
  if (!Authorised(rq)) {
    Count("unauthorized");
    rs.Problem(401, "Unauthorized",
               auth.mode == "oauth2" ? "a valid bearer token is required"
                                     : "a valid API key is required in " + auth.api_key_header);
    rs.headers.push_back(
        {"WWW-Authenticate", auth.mode == "oauth2" ? "Bearer error=\"invalid_token\"" : "ApiKey"});
    return CheckOwnResponse(rq, rs);
  }
  std::vector<ContractViolation> vs = contract->CheckRequest(RequestExchange(rq));
  if (!vs.empty()) {
    RecordRequestViolations(rq, vs);
    // Body paths are JSON Pointers; parameter paths are "<in>.<name>"; "" is the whole body.
    bool body_schema = true;
    for (const auto& v : vs)
      if (v.path.empty() || v.path[0] != '/') body_schema = false;
    rs.Problem(body_schema ? 422 : 400, body_schema ? "Unprocessable request" : "Bad request",
               "the request does not keep to the Referral API", ProblemErrors(vs));
    return CheckOwnResponse(rq, rs);
  }
  if (op->id == "submitReferral")
    Submit(rq, rs);
  else if (op->id == "uploadDocument")
    Upload(rq, op->path_params["referralId"], rs);
  else if (op->id == "getReferral")
    GetReferral(op->path_params["referralId"], rs);
  else if (op->id == "listStatusChanges")
    ListChanges(rq, rs);
  else
    rs.Problem(404, "Not Found", "not implemented by the simulator: " + op->id);
  CheckOwnResponse(rq, rs);
}

namespace {

// Counts a handler call in progress, so Stop can wait for it.
class InFlight {
 public:
  explicit InFlight(LaPortalSim::Impl& impl) : impl_(impl) { ++impl_.active; }
  ~InFlight() { --impl_.active; }

 private:
  LaPortalSim::Impl& impl_;
};

}  // namespace

LaPortalSim::LaPortalSim(LaPortalSimOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  impl_->api = std::make_unique<SimServer>([this](const SimRequest& rq, SimResponse& rs) {
    InFlight guard(*impl_);
    impl_->HandleApi(rq, rs);
  });
  impl_->control = std::make_unique<SimServer>([this](const SimRequest& rq, SimResponse& rs) {
    InFlight guard(*impl_);
    HandleControl(rq, rs);
  });
}

LaPortalSim::~LaPortalSim() {
  Stop();
}

Status LaPortalSim::LoadContract() {
  if (impl_->contract) return Status::OK();
  const std::string spec =
      impl_->options.spec_path.empty() ? DefaultReferralApiSpec() : impl_->options.spec_path;
  auto contract = OpenApiContract::Load(spec);
  if (!contract.ok()) return contract.status();
  impl_->contract = *contract;
  return Status::OK();
}

Status LaPortalSim::StartControl(uint16_t control_port) {
  SENDSYNC_RETURN_IF_ERROR(LoadContract());
  return impl_->control->Start(control_port);
}

Status LaPortalSim::Start(uint16_t api_port, uint16_t control_port, const std::string& cert,
                          const std::string& key) {
  SENDSYNC_RETURN_IF_ERROR(StartControl(control_port));
  return impl_->api->Start(api_port, cert, key);
}

void LaPortalSim::Stop() {
  // Each server's acceptor notices a stop only at its next poll timeout (a quarter second in
  // Poco), so the two are stopped side by side rather than one after the other.
  std::thread control([this] { impl_->control->Stop(); });
  impl_->api->Stop();
  control.join();
  // SimServer::Stop does not wait for requests already accepted (one may be sleeping through
  // injected latency); wait until every request handed to the API handler has come and gone,
  // so none calls into this object after it is destroyed. Bounded, in case one never arrives.
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(impl_->api->faults().latency_ms + 5000);
  while (std::chrono::steady_clock::now() < deadline &&
         (impl_->api_entered.load() < impl_->api->stats().handled || impl_->active.load() > 0))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

std::string LaPortalSim::base_url() const {
  return impl_->api->base_url();
}
std::string LaPortalSim::token_url() const {
  return base_url() + kLaPortalTokenPath;
}
std::string LaPortalSim::control_url() const {
  return impl_->control->base_url();
}
SimServer& LaPortalSim::api_server() {
  return *impl_->api;
}
const OpenApiContract* LaPortalSim::contract() const {
  return impl_->contract.get();
}

}  // namespace sendsync::sims
