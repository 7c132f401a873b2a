// Internal to the SDK: reads fields out of a JSON object, collecting a Problem for each field that
// is missing or of the wrong shape instead of stopping at the first.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sendsync/sdk/date.h"
#include "sendsync/sdk/records.h"

namespace sendsync::records::detail {

// What is wrong with the text `value` of field `key` (a control character, or more characters than
// TextLimitOf(key) allows), without quoting the value; nullopt when nothing is.
std::optional<std::string> TextProblem(std::string_view key, std::string_view value);
// What is wrong with the number `value` of field `key` (not finite, or above NumberLimitOf(key)).
std::optional<std::string> NumberProblem(std::string_view key, double value);

class JsonReader {
 public:
  // `path` is the prefix for problem paths ("" at the top, "needs[1]" inside an array).
  JsonReader(const nlohmann::json& j, std::string path, Problems& problems);

  bool is_object() const { return ok_; }

  void Str(const char* key, std::string& out);  // required, non-empty
  void OptStr(const char* key, std::optional<std::string>& out);
  void DefaultStr(const char* key, std::string& out);  // optional, keeps `out` when absent
  void Dt(const char* key, Date& out);                 // required
  void OptDt(const char* key, std::optional<Date>& out);
  void Int(const char* key, int& out, bool required);
  void OptInt(const char* key, std::optional<int>& out);
  void Num(const char* key, double& out, bool required);
  void Bool(const char* key, bool& out);  // optional
  void StrList(const char* key, std::vector<std::string>& out);
  void Object(const char* key, bool required,
              const std::function<void(JsonReader&)>& read);
  void List(const char* key, bool required,
            const std::function<void(JsonReader&)>& read_element);
  // Reports every key not in `known` (keys starting with "x_" are extensions and allowed).
  void RejectUnknown(const std::set<std::string>& known);

  void Fail(const std::string& key, const std::string& message);

 private:
  const nlohmann::json* Get(const char* key, bool required);
  std::string PathOf(const std::string& key) const;

  const nlohmann::json& j_;
  std::string path_;
  Problems& problems_;
  bool ok_;
};

}  // namespace sendsync::records::detail
