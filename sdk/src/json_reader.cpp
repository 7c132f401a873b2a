#include "json_reader.h"

#include <cmath>

namespace sendsync::records::detail {

using nlohmann::json;

JsonReader::JsonReader(const json& j, std::string path, Problems& problems)
    : j_(j), path_(std::move(path)), problems_(problems), ok_(j.is_object()) {
  if (!ok_) problems_.push_back({path_.empty() ? "$" : path_, "expected a JSON object"});
}

std::string JsonReader::PathOf(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

void JsonReader::Fail(const std::string& key, const std::string& message) {
  problems_.push_back({PathOf(key), message});
}

const json* JsonReader::Get(const char* key, bool required) {
  if (!ok_) return nullptr;
  auto it = j_.find(key);
  if (it == j_.end() || it->is_null()) {
    if (required) Fail(key, "is required");
    return nullptr;
  }
  return &*it;
}

void JsonReader::Str(const char* key, std::string& out) {
  const json* v = Get(key, true);
  if (!v) return;
  if (!v->is_string()) return Fail(key, "expected a string");
  out = v->get<std::string>();
  if (out.empty()) Fail(key, "must not be empty");
}

void JsonReader::OptStr(const char* key, std::optional<std::string>& out) {
  const json* v = Get(key, false);
  if (!v) return;
  if (!v->is_string()) return Fail(key, "expected a string");
  out = v->get<std::string>();
}

void JsonReader::DefaultStr(const char* key, std::string& out) {
  std::optional<std::string> v;
  OptStr(key, v);
  if (v) out = *v;
}

void JsonReader::Dt(const char* key, Date& out) {
  const json* v = Get(key, true);
  if (!v) return;
  std::optional<Date> d = v->is_string() ? Date::Parse(v->get<std::string>()) : std::nullopt;
  if (!d) return Fail(key, "expected a date yyyy-mm-dd, got " + v->dump());
  out = *d;
}

void JsonReader::OptDt(const char* key, std::optional<Date>& out) {
  const json* v = Get(key, false);
  if (!v) return;
  std::optional<Date> d = v->is_string() ? Date::Parse(v->get<std::string>()) : std::nullopt;
  if (!d) return Fail(key, "expected a date yyyy-mm-dd, got " + v->dump());
  out = d;
}

void JsonReader::Int(const char* key, int& out, bool required) {
  const json* v = Get(key, required);
  if (!v) return;
  if (!v->is_number_integer()) return Fail(key, "expected a whole number, got " + v->dump());
  out = v->get<int>();
}

void JsonReader::OptInt(const char* key, std::optional<int>& out) {
  int value = 0;
  size_t before = problems_.size();
  if (!Get(key, false)) return;
  Int(key, value, false);
  if (problems_.size() == before) out = value;
}

void JsonReader::Num(const char* key, double& out, bool required) {
  const json* v = Get(key, required);
  if (!v) return;
  if (!v->is_number()) return Fail(key, "expected a number, got " + v->dump());
  out = v->get<double>();
  if (!std::isfinite(out)) Fail(key, "must be finite");
}

void JsonReader::Bool(const char* key, bool& out) {
  const json* v = Get(key, false);
  if (!v) return;
  if (!v->is_boolean()) return Fail(key, "expected true or false, got " + v->dump());
  out = v->get<bool>();
}

void JsonReader::StrList(const char* key, std::vector<std::string>& out) {
  const json* v = Get(key, false);
  if (!v) return;
  if (!v->is_array()) return Fail(key, "expected an array of strings");
  for (size_t i = 0; i < v->size(); ++i) {
    const json& e = (*v)[i];
    if (!e.is_string()) {
      Fail(std::string(key) + "[" + std::to_string(i) + "]", "expected a string");
      continue;
    }
    out.push_back(e.get<std::string>());
  }
}

void JsonReader::Object(const char* key, bool required,
                        const std::function<void(JsonReader&)>& read) {
  const json* v = Get(key, required);
  if (!v) return;
  JsonReader sub(*v, PathOf(key), problems_);
  if (sub.is_object()) read(sub);
}

void JsonReader::List(const char* key, bool required,
                      const std::function<void(JsonReader&)>& read_element) {
  const json* v = Get(key, required);
  if (!v) return;
  if (!v->is_array()) return Fail(key, "expected an array");
  for (size_t i = 0; i < v->size(); ++i) {
    JsonReader sub((*v)[i], PathOf(key) + "[" + std::to_string(i) + "]", problems_);
    if (sub.is_object()) read_element(sub);
  }
}

void JsonReader::RejectUnknown(const std::set<std::string>& known) {
  if (!ok_) return;
  for (auto it = j_.begin(); it != j_.end(); ++it) {
    const std::string& k = it.key();
    if (known.count(k) || k.rfind("x_", 0) == 0) continue;
    Fail(k, "is not a field of this record (extensions must start with x_)");
  }
}

}  // namespace sendsync::records::detail
