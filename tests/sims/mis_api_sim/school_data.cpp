#include "school_data.h"

#include <cstdio>
#include <set>

#include "sendsync/sdk/date.h"

namespace sendsync::sims::mis_api {

using nlohmann::json;

namespace {

// Includes the API knows, and the load-form field each one shows.
const std::map<std::string, std::string> kIncludeFields = {
    {"sen_status", "sen_status"}, {"sen_needs", "sen_needs"}, {"sen_reviews", "sen_reviews"}};

}  // namespace

std::string DeletionRow::Id() const {
  char buf[32];
  std::snprintf(buf, sizeof buf, "DEL-%012llu", static_cast<unsigned long long>(seq));
  return buf;
}

json DeletionRow::ToJson() const {
  json j = {{"id", Id()},
            {"type", type},
            {"record_id", record_id},
            {"student_id", student_id},
            {"deleted_at", FormatTime(deleted_at)}};
  if (!upn.empty()) j["upn"] = upn;
  return j;
}

Status SchoolData::Load(const json& j, SimClock& clock) {
  if (!j.is_object()) return Status::InvalidArgument("school data must be a JSON object");
  json school = j.value("school", json::object());
  if (!school.is_object() || !school.contains("id") || !school["id"].is_string() ||
      school["id"].get<std::string>().empty())
    return Status::InvalidArgument("school data needs school.id (a non-empty string)");
  json list = j.value("students", json::array());
  if (!list.is_array()) return Status::InvalidArgument("students must be an array");
  std::map<std::string, StudentRow> students;
  std::set<std::string> review_ids;
  for (size_t i = 0; i < list.size(); ++i) {
    json s = list[i];
    const std::string where = "students[" + std::to_string(i) + "]";
    if (!s.is_object() || !s.contains("id") || !s["id"].is_string() ||
        s["id"].get<std::string>().empty())
      return Status::InvalidArgument(where + " needs an id (a non-empty string)");
    std::string id = s["id"];
    if (students.count(id)) return Status::InvalidArgument(where + ": duplicate id " + id);
    StudentRow row;
    if (s.contains("updated_at")) {
      auto t = s["updated_at"].is_string() ? ParseTime(s["updated_at"].get<std::string>())
                                           : std::nullopt;
      if (!t) return Status::InvalidArgument(where + ".updated_at is not an ISO 8601 timestamp");
      row.updated_at = *t;
      clock.Saw(*t);
      s.erase("updated_at");
    }
    for (const char* list_key : {"sen_needs", "sen_reviews"}) {
      if (s.contains(list_key) && !s[list_key].is_array())
        return Status::InvalidArgument(where + "." + list_key + " must be an array");
    }
    if (s.contains("sen_reviews")) {
      for (json& r : s["sen_reviews"]) {
        if (!r.is_object() || !r.contains("id") || !r["id"].is_string())
          return Status::InvalidArgument(where + ": every review needs a string id");
        if (!review_ids.insert(r["id"].get<std::string>()).second)
          return Status::InvalidArgument(where + ": duplicate review id " + r["id"].dump());
      }
    }
    row.data = std::move(s);
    students.emplace(id, std::move(row));
  }
  for (auto& [id, row] : students)
    if (row.updated_at == 0) row.updated_at = clock.Stamp();
  school_ = school;
  school_id_ = school["id"];
  students_ = std::move(students);
  deletions_.clear();
  return Status::OK();
}

json SchoolData::Dump() const {
  json list = json::array();
  for (const auto& [id, row] : students_) {
    json s = row.data;
    s["updated_at"] = FormatTime(row.updated_at);
    list.push_back(std::move(s));
  }
  json dels = json::array();
  for (const DeletionRow& d : deletions_) dels.push_back(d.ToJson());
  return {{"school", school_}, {"students", std::move(list)}, {"deletions", std::move(dels)}};
}

StudentRow* SchoolData::Find(const std::string& id) {
  auto it = students_.find(id);
  return it == students_.end() ? nullptr : &it->second;
}

json SchoolData::ApiStudent(const std::string& id, const std::vector<std::string>& includes) const {
  const StudentRow& row = students_.at(id);
  json out = row.data;
  for (const auto& [name, field] : kIncludeFields) out.erase(field);
  out["updated_at"] = FormatTime(row.updated_at);
  for (const std::string& inc : includes) {
    auto f = kIncludeFields.find(inc);
    if (f == kIncludeFields.end()) continue;
    const bool is_list = inc != "sen_status";
    json value = row.data.contains(f->second) ? row.data[f->second]
                                              : (is_list ? json::array() : json(nullptr));
    out[inc] = {{"data", value}};
  }
  return out;
}

void SchoolData::Upsert(const std::string& id, json data, SimClock& clock) {
  data["id"] = id;
  data.erase("updated_at");
  StudentRow& row = students_[id];
  row.data = std::move(data);
  row.updated_at = clock.Stamp();
}

void SchoolData::SetSenStatus(StudentRow& s, json status, SimClock& clock) {
  json old = s.data.value("sen_status", json(nullptr));
  json history = old.is_object() ? old.value("history", json::array()) : json::array();
  const bool changed = !old.is_object() || old.value("code", "") != status.value("code", "");
  // Like an MIS, a new status starts today unless told otherwise, and a closed episode is kept
  // in the history only when it has a start date (an episode is a dated span).
  if (changed && !status.contains("start_date"))
    status["start_date"] = FormatTime(clock.Now()).substr(0, 10);
  if (!changed && old.contains("start_date") && !status.contains("start_date"))
    status["start_date"] = old["start_date"];
  if (changed && old.is_object() && old.contains("start_date")) {
    // End dates are inclusive, as an MIS shows them: the old status's last day is the day before
    // the new one starts.
    json end = status["start_date"];
    if (auto d = Date::Parse(end.is_string() ? end.get<std::string>() : ""))
      end = d->AddDays(-1).ToString();
    history.push_back({{"code", old.value("code", "")},
                       {"start_date", old["start_date"]},
                       {"end_date", std::move(end)}});
  }
  if (!history.empty()) status["history"] = std::move(history);
  s.data["sen_status"] = std::move(status);
  s.updated_at = clock.Stamp();
}

void SchoolData::SetNeeds(StudentRow& s, json needs, SimClock& clock) {
  s.data["sen_needs"] = std::move(needs);
  s.updated_at = clock.Stamp();
}

std::string SchoolData::NewReviewId() {
  std::set<std::string> used;
  for (const auto& [id, row] : students_)
    for (const json& r : row.data.value("sen_reviews", json::array()))
      used.insert(r.value("id", ""));
  for (;;) {
    std::string id = "REV-W" + std::to_string(next_review_++);
    if (!used.count(id)) return id;
  }
}

json SchoolData::PutReview(StudentRow& s, json review, SimClock& clock) {
  if (!s.data.contains("sen_reviews") || !s.data["sen_reviews"].is_array())
    s.data["sen_reviews"] = json::array();
  json& list = s.data["sen_reviews"];
  if (!review.contains("id")) review["id"] = NewReviewId();
  bool replaced = false;
  for (json& r : list)
    if (r.value("id", "") == review["id"]) {
      r = review;
      replaced = true;
    }
  if (!replaced) list.push_back(review);
  s.updated_at = clock.Stamp();
  return review;
}

bool SchoolData::Remove(const std::string& id, SimClock& clock) {
  auto it = students_.find(id);
  if (it == students_.end()) return false;
  const json& d = it->second.data;
  const std::string upn =
      d.contains("upn") && d["upn"].is_string() ? d["upn"].get<std::string>() : "";
  Millis at = clock.Stamp();
  deletions_.push_back({next_deletion_++, "student", id, id, upn, at});
  for (const json& r : d.value("sen_reviews", json::array()))
    deletions_.push_back({next_deletion_++, "sen_review", r.value("id", ""), id, "", at});
  students_.erase(it);
  return true;
}

bool SchoolData::RemoveReview(StudentRow& s, const std::string& review_id, SimClock& clock) {
  if (!s.data.contains("sen_reviews") || !s.data["sen_reviews"].is_array()) return false;
  json& list = s.data["sen_reviews"];
  for (size_t i = 0; i < list.size(); ++i) {
    if (list[i].value("id", "") != review_id) continue;
    list.erase(list.begin() + static_cast<long>(i));
    s.updated_at = clock.Stamp();
    deletions_.push_back(
        {next_deletion_++, "sen_review", review_id, s.data.value("id", ""), "", s.updated_at});
    return true;
  }
  return false;
}

}  // namespace sendsync::sims::mis_api
