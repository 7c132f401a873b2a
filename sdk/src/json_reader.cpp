#include "json_reader.h"

#include <cmath>
#include <limits>
#include <string_view>

#include "sendsync/sdk/records.h"

namespace sendsync::records::detail {

using nlohmann::json;

namespace {

// The U+ form of a code point, for messages: "U+0000".
std::string CodePoint(uint32_t cp) {
  static const char* hex = "0123456789ABCDEF";
  std::string out = "U+";
  for (int shift = 12; shift >= 0; shift -= 4) out += hex[(cp >> shift) & 0xF];
  return out;
}

}  // namespace

std::optional<std::string> TextProblem(std::string_view key, std::string_view value) {
  const TextLimit limit = TextLimitOf(key);
  size_t chars = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte: part of the character before
    ++chars;
    uint32_t cp = c;
    // C1 controls (U+0080..U+009F) are the two bytes C2 80..C2 9F.
    if (c == 0xC2 && i + 1 < value.size()) {
      const unsigned char next = static_cast<unsigned char>(value[i + 1]);
      if (next >= 0x80 && next <= 0x9F) cp = next;
    }
    const bool control = cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
    const bool allowed = limit.multiline && (cp == '\t' || cp == '\n' || cp == '\r');
    if (control && !allowed)
      return "contains a control character (" + CodePoint(cp) + ") at character " +
             std::to_string(chars) + "; " +
             (limit.multiline ? "only tab and line breaks are allowed in this free-text field"
                              : "control characters, tabs and line breaks are not allowed in "
                                "this field");
  }
  if (chars > limit.max_chars)
    return "is " + std::to_string(chars) + " characters long; the limit for this field is " +
           std::to_string(limit.max_chars) + " (docs/records.md, \"Limits\")";
  return std::nullopt;
}

std::optional<std::string> NumberProblem(std::string_view key, double value) {
  if (!std::isfinite(value)) return "must be finite";
  const std::optional<double> max = NumberLimitOf(key);
  if (max && value > *max) {
    std::string shown = std::to_string(*max);
    shown.erase(shown.find('.'));
    return "is out of range: at most " + shown + " (docs/records.md, \"Limits\")";
  }
  return std::nullopt;
}

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
  if (out.empty()) return Fail(key, "must not be empty");
  if (auto problem = TextProblem(key, out)) Fail(key, *problem);
}

void JsonReader::OptStr(const char* key, std::optional<std::string>& out) {
  const json* v = Get(key, false);
  if (!v) return;
  if (!v->is_string()) return Fail(key, "expected a string");
  out = v->get<std::string>();
  if (auto problem = TextProblem(key, *out)) Fail(key, *problem);
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
  // A value past int would wrap around in get<int>(): refuse it instead.
  const bool fits = v->is_number_unsigned()
                        ? v->get<uint64_t>() <= uint64_t(std::numeric_limits<int>::max())
                        : v->get<int64_t>() >= std::numeric_limits<int>::min() &&
                              v->get<int64_t>() <= std::numeric_limits<int>::max();
  if (!fits)
    return Fail(key, "is out of range: " + v->dump() + " is not a whole number sendsync can hold");
  out = v->get<int>();
  if (auto problem = NumberProblem(key, out)) Fail(key, *problem);
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
  if (auto problem = NumberProblem(key, out)) Fail(key, *problem);
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
    if (auto problem = TextProblem(key, out.back()))
      Fail(std::string(key) + "[" + std::to_string(i) + "]", *problem);
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
    if (k.rfind("x_", 0) == 0) {
      // Extensions are kept as they come, so they get a size cap of their own.
      constexpr size_t kMaxExtensionBytes = 64 * 1024;
      if (it->dump().size() > kMaxExtensionBytes)
        Fail(k, "is larger than " + std::to_string(kMaxExtensionBytes) +
                    " bytes, the limit for an extension field (docs/records.md, \"Limits\")");
      continue;
    }
    if (known.count(k)) continue;
    Fail(k, "is not a field of this record (extensions must start with x_)");
  }
}

}  // namespace sendsync::records::detail
