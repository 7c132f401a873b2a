#include "record_mapping.h"

#include <utility>

namespace sendsync::mis_api_adapter {

using nlohmann::json;

namespace {

using Pairs = std::vector<std::pair<const char*, const char*>>;  // {canonical, api}

// Top-level fields copied as they are, apart from the name.
const Pairs kPupilFields = {{"id", "id"},
                            {"upn", "upn"},
                            {"former_upn", "former_upn"},
                            {"uln", "uln"},
                            {"legal_surname", "legal_surname"},
                            {"legal_forename", "legal_forename"},
                            {"middle_names", "middle_names"},
                            {"preferred_surname", "preferred_surname"},
                            {"preferred_forename", "preferred_forename"},
                            {"dob", "date_of_birth"},
                            {"sex", "gender"},
                            {"nc_year", "year_group"},
                            {"on_roll_from", "admission_date"},
                            {"on_roll_to", "leaving_date"}};

const Pairs kReviewFields = {{"id", "id"},
                             {"cycle_id", "cycle_id"},
                             {"date", "date"},
                             {"review_kind", "kind"},
                             {"attendees", "attendees"},
                             {"pupil_voice", "pupil_voice"},
                             {"parent_voice", "parent_voice"},
                             {"parents_met", "parents_met"},
                             {"progress", "progress"},
                             {"impact", "impact"},
                             {"decision", "outcome"},
                             {"next_review", "next_review_date"}};

// A path rule: a canonical head field, its API path, and leaf renames inside it (for lists).
struct PathRule {
  const char* canonical;
  const char* api;
  Pairs leaves;
};

const std::vector<PathRule>& Rules(const std::string& kind) {
  static const std::vector<PathRule> kSen = {
      {"provision", "sen_status.code", {}},
      {"provision_start", "sen_status.start_date", {}},
      {"local_status", "sen_status.description", {}},
      {"sen_unit", "sen_status.sen_unit", {}},
      {"resourced_provision", "sen_status.resourced_provision", {}},
      {"needs", "sen_needs", {{"start", "start_date"}, {"end", "end_date"}}},
      {"history",
       "sen_status.history",
       {{"provision", "code"}, {"start", "start_date"}, {"end", "end_date"}}}};
  static const std::vector<PathRule> kPupil = [] {
    std::vector<PathRule> r;
    for (const auto& [c, a] : kPupilFields) r.push_back({c, a, {}});
    return r;
  }();
  static const std::vector<PathRule> kReview = [] {
    std::vector<PathRule> r;
    for (const auto& [c, a] : kReviewFields) r.push_back({c, a, {}});
    return r;
  }();
  static const std::vector<PathRule> kNone;
  if (kind == "sen") return kSen;
  if (kind == "pupil") return kPupil;
  if (kind == "review") return kReview;
  return kNone;
}

// True when `path` is `head` or continues it with '.' or '['.
bool HasHead(const std::string& path, const std::string& head) {
  return path.rfind(head, 0) == 0 &&
         (path.size() == head.size() || path[head.size()] == '.' || path[head.size()] == '[');
}

std::string RenameLeaf(std::string rest, const Pairs& leaves, bool to_api) {
  size_t dot = rest.rfind('.');
  if (dot == std::string::npos) return rest;
  std::string leaf = rest.substr(dot + 1);
  for (const auto& [c, a] : leaves)
    if (leaf == (to_api ? c : a)) return rest.substr(0, dot + 1) + (to_api ? a : c);
  return rest;
}

std::string Translate(const std::string& kind, const std::string& path, bool to_api) {
  const PathRule* best = nullptr;
  size_t best_len = 0;
  for (const PathRule& r : Rules(kind)) {
    std::string head = to_api ? r.canonical : r.api;
    if (HasHead(path, head) && head.size() > best_len) {
      best = &r;
      best_len = head.size();
    }
  }
  if (!best) return path;
  return std::string(to_api ? best->api : best->canonical) +
         RenameLeaf(path.substr(best_len), best->leaves, to_api);
}

// The value of an include ({"data": ...}), or null.
json Included(const json& student, const char* name) {
  auto it = student.find(name);
  if (it == student.end() || !it->is_object()) return nullptr;
  return it->value("data", json(nullptr));
}

json PupilRef(const json& student) {
  json ref = json::object();
  if (student.contains("id") && student["id"].is_string()) ref["id"] = student["id"];
  if (student.contains("upn") && student["upn"].is_string() &&
      !student["upn"].get<std::string>().empty())
    ref["upn"] = student["upn"];
  return ref;
}

// Copies a present, non-null value from src[from] to dst[to].
void Copy(const json& src, const char* from, json& dst, const char* to) {
  auto it = src.find(from);
  if (it != src.end() && !it->is_null()) dst[to] = *it;
}

}  // namespace

json PupilFromStudent(const json& student) {
  json r = {{"kind", "pupil"}};
  for (const auto& [c, a] : kPupilFields) Copy(student, a, r, c);
  // Some MIS send the year group as a number; the census form is text ("5", "R", "N2").
  if (r.contains("nc_year") && r["nc_year"].is_number_integer())
    r["nc_year"] = std::to_string(r["nc_year"].get<long long>());
  return r;
}

json SenFromStudent(const json& student, std::string* missing) {
  json st = Included(student, "sen_status");
  if (!st.is_object()) {
    *missing =
        "the API sent no sen_status for this student; every student needs one (code N "
        "when the pupil has no special educational needs)";
    return nullptr;
  }
  json r = {{"kind", "sen"}, {"pupil", PupilRef(student)}};
  Copy(st, "code", r, "provision");
  Copy(st, "start_date", r, "provision_start");
  Copy(st, "description", r, "local_status");
  Copy(st, "sen_unit", r, "sen_unit");
  Copy(st, "resourced_provision", r, "resourced_provision");
  json needs = json::array();
  json api_needs = Included(student, "sen_needs");
  if (api_needs.is_array()) {
    for (const json& n : api_needs) {
      if (!n.is_object()) {
        needs.push_back(n);  // left as it is, so the shape check names it
        continue;
      }
      json e = json::object();
      Copy(n, "type", e, "type");
      Copy(n, "rank", e, "rank");
      Copy(n, "start_date", e, "start");
      Copy(n, "end_date", e, "end");
      needs.push_back(std::move(e));
    }
  }
  r["needs"] = std::move(needs);
  if (st.contains("history") && st["history"].is_array() && !st["history"].empty()) {
    json history = json::array();
    for (const json& h : st["history"]) {
      if (!h.is_object()) {
        history.push_back(h);
        continue;
      }
      json e = json::object();
      Copy(h, "code", e, "provision");
      Copy(h, "start_date", e, "start");
      Copy(h, "end_date", e, "end");
      history.push_back(std::move(e));
    }
    r["history"] = std::move(history);
  }
  return r;
}

std::vector<MappedReview> ReviewsFromStudent(const json& student) {
  std::vector<MappedReview> out;
  json reviews = Included(student, "sen_reviews");
  if (!reviews.is_array()) return out;
  for (const json& rv : reviews) {
    json r = {{"kind", "review"}, {"pupil", PupilRef(student)}};
    if (rv.is_object()) {
      for (const auto& [c, a] : kReviewFields) Copy(rv, a, r, c);
    } else {
      r["date"] = rv;  // not an object: keep it visible for the shape check's reason
    }
    out.push_back({std::move(r), rv});
  }
  return out;
}

json SenBody(const records::Sen& sen) {
  json status = {{"code", sen.provision},
                 {"sen_unit", sen.sen_unit},
                 {"resourced_provision", sen.resourced_provision}};
  if (sen.provision_start) status["start_date"] = sen.provision_start->ToString();
  if (sen.local_status) status["description"] = *sen.local_status;
  json needs = json::array();
  for (const records::SenNeed& n : sen.needs) {
    json e = {{"type", n.type}, {"rank", n.rank}};
    if (n.start) e["start_date"] = n.start->ToString();
    if (n.end) e["end_date"] = n.end->ToString();
    needs.push_back(std::move(e));
  }
  return {{"sen_status", std::move(status)}, {"sen_needs", std::move(needs)}};
}

json ReviewBody(const records::Review& review, const std::string& review_id) {
  json canonical;
  records::ToJson(review, canonical);
  json body = json::object();
  for (const auto& [c, a] : kReviewFields)
    if (std::string(c) != "id") Copy(canonical, c, body, a);
  if (!review_id.empty()) body["id"] = review_id;
  return body;
}

std::string CanonicalPath(const std::string& kind, const std::string& api_path) {
  return Translate(kind, api_path, false);
}

std::string ApiPath(const std::string& kind, const std::string& canonical_path) {
  return Translate(kind, canonical_path, true);
}

}  // namespace sendsync::mis_api_adapter
