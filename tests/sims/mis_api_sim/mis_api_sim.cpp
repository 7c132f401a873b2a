#include "mis_api_sim.h"

#include <chrono>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <Poco/URI.h>

#include "write_validation.h"

namespace sendsync::sims::mis_api {

using nlohmann::json;

namespace {

const char kApiPrefix[] = "/v1.0";
const char kControlPrefix[] = "/_sim-mis/";
constexpr int kDefaultPerPage = 100;
constexpr int kMaxPerPage = 1000;

std::vector<std::string> Split(const std::string& path, char sep) {
  std::vector<std::string> parts;
  std::stringstream ss(path);
  std::string part;
  while (std::getline(ss, part, sep))
    if (!part.empty()) parts.push_back(part);
  return parts;
}

json ParamError(const std::string& name, const std::string& message) {
  return json::array({{{"path", name}, {"message", message}}});
}

// Reads per_page, updated_after and after, answering 400 on bad values. False when answered.
bool PagingParams(const SimRequest& rq, SimResponse& rs, int& per_page,
                  std::optional<Millis>& updated_after, std::string& after) {
  per_page = kDefaultPerPage;
  if (auto it = rq.params.find("per_page"); it != rq.params.end()) {
    try {
      size_t used = 0;
      per_page = std::stoi(it->second, &used);
      if (used != it->second.size()) throw std::invalid_argument("trailing text");
    } catch (const std::exception&) {
      per_page = -1;
    }
    if (per_page < 1 || per_page > kMaxPerPage) {
      rs.Problem(400, "Bad Request", "per_page must be an integer from 1 to 1000",
                 ParamError("per_page", "must be an integer from 1 to 1000"));
      return false;
    }
  }
  if (auto it = rq.params.find("updated_after"); it != rq.params.end()) {
    updated_after = ParseTime(it->second);
    if (!updated_after) {
      rs.Problem(400, "Bad Request", "updated_after must be an ISO 8601 timestamp with a zone",
                 ParamError("updated_after", "not an ISO 8601 timestamp with a zone"));
      return false;
    }
  }
  if (auto it = rq.params.find("after"); it != rq.params.end()) after = it->second;
  return true;
}

json Meta(const std::string& next, bool more, int per_page, Millis server_time) {
  return {{"pagination",
           {{"next", next.empty() ? json(nullptr) : json(next)},
            {"more", more},
            {"per_page", per_page}}},
          {"server_time", FormatTime(server_time)}};
}

}  // namespace

MisApiSim::MisApiSim(std::string token)
    : token_(std::move(token)),
      server_(std::make_unique<SimServer>(
          [this](const SimRequest& rq, SimResponse& rs) { Handle(rq, rs); })) {
  std::lock_guard<std::mutex> lock(mu_);
  Status loaded =
      data_.Load({{"school", {{"id", "SCH-0001"}, {"name", "Simulated School"}}}}, clock_);
  if (!loaded.ok()) throw std::logic_error("the simulator's own seed data: " + loaded.ToString());
}

MisApiSim::~MisApiSim() {
  Stop();
}

Status MisApiSim::Start(uint16_t port, const std::string& cert, const std::string& key) {
  return server_->Start(port, cert, key);
}

void MisApiSim::Stop() {
  server_->Stop();
  // SimServer::Stop does not wait for requests already accepted: one sleeping through injected
  // latency would call into this object after it is gone. Wait until every request the server
  // decided to hand over has come and gone (bounded, in case one never arrives).
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(server_->faults().latency_ms + 5000);
  while (std::chrono::steady_clock::now() < deadline &&
         (entered_.load() < server_->stats().handled || active_.load() > 0))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

std::string MisApiSim::api_url() const {
  return server_->base_url() + kApiPrefix;
}

Status MisApiSim::LoadSchool(const json& data) {
  std::lock_guard<std::mutex> lock(mu_);
  return data_.Load(data, clock_);
}

json MisApiSim::DumpSchool() const {
  std::lock_guard<std::mutex> lock(mu_);
  return data_.Dump();
}

Status MisApiSim::SetSenStatus(const std::string& id, const json& status) {
  std::lock_guard<std::mutex> lock(mu_);
  StudentRow* s = data_.Find(id);
  if (!s) return Status::NotFound("no student " + id);
  if (!status.is_object() || !status.contains("code") || !status["code"].is_string())
    return Status::InvalidArgument("a SEN status needs a string code");
  data_.SetSenStatus(*s, status, clock_);
  return Status::OK();
}

Status MisApiSim::RemoveStudent(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  return data_.Remove(id, clock_) ? Status::OK() : Status::NotFound("no student " + id);
}

Status MisApiSim::RemoveReview(const std::string& student_id, const std::string& review_id) {
  std::lock_guard<std::mutex> lock(mu_);
  StudentRow* s = data_.Find(student_id);
  if (!s || !data_.RemoveReview(*s, review_id, clock_))
    return Status::NotFound("no review " + review_id + " for student " + student_id);
  return Status::OK();
}

void MisApiSim::AdvanceClock(int64_t seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  clock_.Advance(seconds * 1000);
}

std::string MisApiSim::Now() const {
  std::lock_guard<std::mutex> lock(mu_);
  return FormatTime(clock_.ServerTime());
}

int MisApiSim::Applications(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = applications_.find(key);
  return it == applications_.end() ? 0 : it->second;
}

json MisApiSim::WriteBacks() const {
  std::lock_guard<std::mutex> lock(mu_);
  return write_backs_;
}

void MisApiSim::SetChangeMidPagination(bool on) {
  std::lock_guard<std::mutex> lock(mu_);
  change_mid_pagination_ = on;
}

json MisApiSim::MidPaginationChanges() const {
  std::lock_guard<std::mutex> lock(mu_);
  return mid_pagination_changes_;
}

void MisApiSim::SetApproved(bool approved) {
  std::lock_guard<std::mutex> lock(mu_);
  approved_ = approved;
}

void MisApiSim::SetRangesOffered(bool offered) {
  std::lock_guard<std::mutex> lock(mu_);
  ranges_ = offered;
}

void MisApiSim::Handle(const SimRequest& rq, SimResponse& rs) {
  ++active_;
  ++entered_;
  struct Leave {
    std::atomic<int>& n;
    ~Leave() { --n; }
  } leave{active_};
  if (rq.path.rfind(kControlPrefix, 0) == 0) return Control(rq, rs);
  if (rq.path.rfind(std::string(kApiPrefix) + "/", 0) == 0) return Api(rq, rs);
  rs.Problem(404, "Not Found", "this server serves the API under /v1.0");
}

void MisApiSim::Api(const SimRequest& rq, SimResponse& rs) {
  std::lock_guard<std::mutex> lock(mu_);
  if (rq.Header("authorization") != "Bearer " + token_)
    return rs.Problem(401, "Unauthorized", "missing or invalid bearer token");
  if (!approved_)
    return rs.Problem(403, "Forbidden", "the school has not approved this application");
  // /v1.0/schools/{school}[/students[/{id}/(sen|sen-reviews)] | /deletions]
  std::vector<std::string> p = Split(rq.path.substr(sizeof(kApiPrefix) - 1), '/');
  if (p.size() < 2 || p[0] != "schools") return rs.Problem(404, "Not Found", "no such endpoint");
  if (p[1] != data_.school_id())
    return rs.Problem(404, "Not Found", "no school " + p[1] + " is available to this token");
  if (p.size() == 2 && rq.method == "GET") return rs.Json(200, {{"data", data_.school()}});
  if (p.size() == 3 && p[2] == "students" && rq.method == "GET") return ListStudents(rq, rs);
  if (p.size() == 4 && p[2] == "students" && p[3] == "ranges" && rq.method == "GET" && ranges_)
    return StudentRanges(rq, rs);
  if (p.size() == 3 && p[2] == "deletions" && rq.method == "GET") return ListDeletions(rq, rs);
  if (p.size() == 5 && p[2] == "students" && (p[4] == "sen" || p[4] == "sen-reviews")) {
    if (rq.method != "POST") return rs.Problem(405, "Method Not Allowed", "use POST");
    return Write(rq, rs, p[3], p[4]);
  }
  rs.Problem(404, "Not Found", "no such endpoint");
}

std::string MisApiSim::NextLink(const SimRequest& rq, const std::string& after) const {
  Poco::URI uri(server_->base_url() + rq.path);
  for (const auto& [k, v] : rq.params)
    if (k != "after") uri.addQueryParameter(k, v);
  uri.addQueryParameter("after", after);
  return uri.toString();
}

void MisApiSim::ListStudents(const SimRequest& rq, SimResponse& rs) {
  int per_page = 0;
  std::optional<Millis> updated_after;
  std::string after;
  if (!PagingParams(rq, rs, per_page, updated_after, after)) return;
  std::vector<std::string> includes;
  if (auto it = rq.params.find("include"); it != rq.params.end()) {
    includes = Split(it->second, ',');
    for (const std::string& inc : includes)
      if (inc != "sen_status" && inc != "sen_needs" && inc != "sen_reviews")
        return rs.Problem(400, "Bad Request", "unknown include '" + inc + "'",
                          ParamError("include", "unknown include '" + inc + "'"));
  }
  std::string upn, until;
  if (auto it = rq.params.find("upn"); it != rq.params.end()) upn = it->second;
  if (auto it = rq.params.find("until"); it != rq.params.end()) until = it->second;

  const Millis server_time = clock_.ServerTime();
  const auto& students = data_.students();
  json page = json::array();
  std::vector<std::string> ids;
  bool more = false;
  for (auto it = after.empty() ? students.begin() : students.upper_bound(after);
       it != students.end(); ++it) {
    if (!until.empty() && it->first > until) break;
    if (updated_after && it->second.updated_at < *updated_after) continue;
    if (!upn.empty()) {
      const json u = it->second.data.value("upn", json());
      if (!u.is_string() || u.get<std::string>() != upn) continue;
    }
    if (static_cast<int>(ids.size()) == per_page) {
      more = true;
      break;
    }
    ids.push_back(it->first);
  }
  for (const std::string& id : ids) page.push_back(data_.ApiStudent(id, includes));
  const std::string next = more ? NextLink(rq, ids.back()) : "";
  rs.Json(200, {{"data", std::move(page)}, {"meta", Meta(next, more, per_page, server_time)}});
  if (change_mid_pagination_ && more) {
    change_mid_pagination_ = false;
    ChangeMidPagination(ids.front(), ids.back());
  }
}

// Splits the students an updated_after listing would return into `parts` id ranges of about the
// same size: range i is (after, until], the first open below and the last open above, so that
// together they cover every id, including ones added later.
void MisApiSim::StudentRanges(const SimRequest& rq, SimResponse& rs) {
  int per_page = 0;
  std::optional<Millis> updated_after;
  std::string after;
  if (!PagingParams(rq, rs, per_page, updated_after, after)) return;
  int parts = 0;
  if (auto it = rq.params.find("parts"); it != rq.params.end()) {
    char* end = nullptr;
    long n = std::strtol(it->second.c_str(), &end, 10);
    parts = end && *end == '\0' ? static_cast<int>(n) : 0;
  }
  if (parts < 1 || parts > 64)
    return rs.Problem(400, "Bad Request", "parts must be an integer from 1 to 64",
                      ParamError("parts", "must be an integer from 1 to 64"));
  std::vector<std::string> ids;
  for (const auto& [id, row] : data_.students())
    if (!updated_after || row.updated_at >= *updated_after) ids.push_back(id);
  json ranges = json::array();
  const size_t n = std::min<size_t>(parts, ids.size());
  std::string lower;  // "" = open below
  for (size_t i = 0; i < n; ++i) {
    const bool last = i + 1 == n;
    std::string upper = last ? "" : ids[(i + 1) * ids.size() / n - 1];
    ranges.push_back({{"after", lower.empty() ? json(nullptr) : json(lower)},
                      {"until", upper.empty() ? json(nullptr) : json(upper)}});
    lower = upper;
  }
  rs.Json(200, {{"data", std::move(ranges)},
                {"meta", {{"server_time", FormatTime(clock_.ServerTime())}}}});
}

void MisApiSim::ListDeletions(const SimRequest& rq, SimResponse& rs) {
  int per_page = 0;
  std::optional<Millis> updated_after;
  std::string after;
  if (!PagingParams(rq, rs, per_page, updated_after, after)) return;
  auto type = rq.params.find("type");
  if (type == rq.params.end() || (type->second != "student" && type->second != "sen_review"))
    return rs.Problem(400, "Bad Request", "type must be student or sen_review",
                      ParamError("type", "must be student or sen_review"));
  const Millis server_time = clock_.ServerTime();
  json page = json::array();
  std::string last;
  bool more = false;
  for (const DeletionRow& d : data_.deletions()) {  // in order of seq, so of Id()
    if (d.type != type->second || (!after.empty() && d.Id() <= after)) continue;
    if (updated_after && d.deleted_at < *updated_after) continue;
    if (static_cast<int>(page.size()) == per_page) {
      more = true;
      break;
    }
    page.push_back(d.ToJson());
    last = d.Id();
  }
  const std::string next = more ? NextLink(rq, last) : "";
  rs.Json(200, {{"data", std::move(page)}, {"meta", Meta(next, more, per_page, server_time)}});
}

void MisApiSim::Write(const SimRequest& rq, SimResponse& rs, const std::string& student_id,
                      const std::string& what) {
  const std::string key = rq.Header("idempotency-key");
  if (key.empty())
    return rs.Problem(400, "Bad Request", "an Idempotency-Key header is required on writes");
  const std::string fingerprint = rq.path + "\n" + rq.body;
  if (auto it = idempotency_.find(key); it != idempotency_.end()) {
    if (it->second.fingerprint != fingerprint)
      return rs.Problem(409, "Conflict",
                        "this Idempotency-Key was used before for a different request");
    rs = it->second.response;
    rs.headers.push_back({"Idempotent-Replayed", "true"});
    return;
  }
  json body = json::parse(rq.body, nullptr, false);
  StudentRow* s = data_.Find(student_id);
  if (body.is_discarded() || !body.is_object()) {
    rs.Problem(400, "Bad Request", "the body must be a JSON object");
  } else if (!s) {
    rs.Problem(404, "Not Found", "no student " + student_id + " in this school");
  } else if (what == "sen") {
    WriteSen(body, *s, rs);
  } else {
    WriteReview(body, *s, rs);
  }
  // Outcomes that depend only on the request are kept for repeats; a 5xx would not be.
  if (rs.status < 500) idempotency_[key] = {fingerprint, rs};
  if (rs.status >= 200 && rs.status < 300) {
    ++applications_[key];
    write_backs_.push_back({{"key", key},
                            {"path", rq.path},
                            {"student_id", student_id},
                            {"body", body},
                            {"applied_at", FormatTime(clock_.ServerTime())}});
  }
}

void MisApiSim::WriteSen(const json& body, StudentRow& s, SimResponse& rs) {
  json errors = ValidateSenBody(body);
  if (!errors.empty())
    return rs.Problem(422, "Unprocessable Entity",
                      std::to_string(errors.size()) + " field(s) are not valid", errors);
  data_.SetSenStatus(s, body["sen_status"], clock_);
  data_.SetNeeds(s, body["sen_needs"], clock_);
  rs.Json(200, {{"data", data_.ApiStudent(s.data["id"], {"sen_status", "sen_needs"})}});
}

void MisApiSim::WriteReview(const json& body, StudentRow& s, SimResponse& rs) {
  json errors = ValidateReviewBody(body);
  if (!errors.empty())
    return rs.Problem(422, "Unprocessable Entity",
                      std::to_string(errors.size()) + " field(s) are not valid", errors);
  bool replace = body.contains("id");
  if (replace) {
    bool found = false;
    for (const json& r : s.data.value("sen_reviews", json::array()))
      found |= r.value("id", "") == body["id"];
    if (!found)
      return rs.Problem(404, "Not Found",
                        "no review " + body["id"].get<std::string>() + " for this student");
  }
  json review = data_.PutReview(s, body, clock_);
  rs.Json(replace ? 200 : 201, {{"data", review}});
}

void MisApiSim::ChangeMidPagination(const std::string& first, const std::string& last_served) {
  json changed = json::object();
  // A student already served changes: its new version must come in the client's next pull.
  if (StudentRow* s = data_.Find(first)) {
    json st = s->data.value("sen_status", json::object());
    if (!st.is_object()) st = json::object();
    st.erase("history");
    st["code"] = st.value("code", "") == "K" ? "E" : "K";
    data_.SetSenStatus(*s, st, clock_);
    changed["served_changed"] = first;
  }
  // A new student among the ids already served: it cannot appear in this pull.
  const std::string inserted = first + "-mid";
  data_.Upsert(inserted,
               {{"upn", WithCheckLetter("999999925001")},
                {"legal_surname", "Inserted"},
                {"legal_forename", "Midpage"},
                {"date_of_birth", "2015-05-05"},
                {"gender", "F"},
                {"sen_status", {{"code", "N"}}},
                {"sen_needs", json::array()}},
               clock_);
  changed["inserted"] = inserted;
  // Ten minutes on (past any small overlap), the last student changes: a client that took the
  // latest updated_at it saw as its next starting point would now skip the two changes above.
  clock_.Advance(10 * 60 * 1000);
  const auto& students = data_.students();
  if (!students.empty() && students.rbegin()->first > last_served) {
    StudentRow& s = *data_.Find(students.rbegin()->first);
    json st = s.data.value("sen_status", json::object());
    if (!st.is_object()) st = json::object();
    st.erase("history");
    st["description"] = "updated while a client was paging";
    data_.SetSenStatus(s, st, clock_);
    changed["unserved_changed"] = students.rbegin()->first;
    // One not yet served goes away: it must come back as a deletion, not vanish.
    auto victim = std::next(students.rbegin());
    if (victim != students.rend() && victim->first > last_served) {
      std::string id = victim->first;
      data_.Remove(id, clock_);
      changed["deleted"] = id;
    }
  }
  mid_pagination_changes_ = changed;
}

void MisApiSim::Control(const SimRequest& rq, SimResponse& rs) {
  std::vector<std::string> p = Split(rq.path.substr(sizeof(kControlPrefix) - 1), '/');
  json body = rq.body.empty() ? json::object() : json::parse(rq.body, nullptr, false);
  if (body.is_discarded()) return rs.Problem(400, "Bad Request", "the body is not JSON");
  auto answer = [&](const Status& st) {
    if (st.ok()) return rs.Json(200, {{"ok", true}});
    rs.Problem(st.code() == Status::Code::kNotFound ? 404 : 400, "Refused", st.message());
  };
  if (p == std::vector<std::string>{"school"}) {
    if (rq.method == "PUT") return answer(LoadSchool(body));
    return rs.Json(200, DumpSchool());
  }
  if (p.size() == 3 && p[0] == "students" && p[2] == "sen-status" && rq.method == "POST")
    return answer(SetSenStatus(p[1], body));
  if (p.size() == 2 && p[0] == "students" && rq.method == "DELETE")
    return answer(RemoveStudent(p[1]));
  if (p.size() == 4 && p[0] == "students" && p[2] == "reviews" && rq.method == "DELETE")
    return answer(RemoveReview(p[1], p[3]));
  if (p == std::vector<std::string>{"write-backs"}) {
    std::lock_guard<std::mutex> lock(mu_);
    return rs.Json(200, {{"write_backs", write_backs_}, {"applications", applications_}});
  }
  if (p == std::vector<std::string>{"clock"}) {
    if (rq.method == "POST") {
      if (!body.contains("advance_seconds") || !body["advance_seconds"].is_number_integer())
        return rs.Problem(400, "Bad Request", "advance_seconds (an integer) is required");
      AdvanceClock(body["advance_seconds"].get<int64_t>());
    }
    return rs.Json(200, {{"now", Now()}});
  }
  if (p == std::vector<std::string>{"switches"}) {
    std::lock_guard<std::mutex> lock(mu_);
    if (rq.method == "POST") {
      for (auto it = body.begin(); it != body.end(); ++it) {
        if (!it->is_boolean())
          return rs.Problem(400, "Bad Request", "switch " + it.key() + " must be true or false");
        if (it.key() == "change_mid_pagination")
          change_mid_pagination_ = *it;
        else if (it.key() == "approved")
          approved_ = *it;
        else if (it.key() == "ranges")
          ranges_ = *it;
        else
          return rs.Problem(400, "Bad Request", "unknown switch " + it.key());
      }
    }
    return rs.Json(200, {{"change_mid_pagination", change_mid_pagination_},
                         {"approved", approved_},
                         {"ranges", ranges_},
                         {"mid_pagination_changes", mid_pagination_changes_}});
  }
  rs.Problem(404, "Not Found", "no such control endpoint");
}

}  // namespace sendsync::sims::mis_api
