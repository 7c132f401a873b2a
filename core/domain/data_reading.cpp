// Reading the domain's data documents (code sets, rules, stage models): typed field readers whose
// errors name the JSON path, and access to the files compiled into the library.
#include <cstdio>
#include <cstdlib>

#include "core/domain/embedded_data.h"
#include "core/domain/internal.h"

namespace sendsync::domain::detail {

using nlohmann::json;

namespace {

std::string At(const std::string& path, const char* key) {
  return Join(path, key);
}

const json* Field(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

}  // namespace

Status ReadString(const json& obj, const char* key, const std::string& path, std::string& out,
                  bool required) {
  const json* v = Field(obj, key);
  if (!v) return required ? Status::InvalidArgument(At(path, key) + ": is required") : Status();
  if (!v->is_string()) return Status::InvalidArgument(At(path, key) + ": expected a string");
  out = v->get<std::string>();
  if (required && out.empty())
    return Status::InvalidArgument(At(path, key) + ": must not be empty");
  return Status();
}

Status ReadInt(const json& obj, const char* key, const std::string& path, int& out, bool required) {
  const json* v = Field(obj, key);
  if (!v) return required ? Status::InvalidArgument(At(path, key) + ": is required") : Status();
  if (!v->is_number_integer())
    return Status::InvalidArgument(At(path, key) + ": expected a whole number, got " + v->dump());
  long long n = v->get<long long>();
  if (n < 0 || n > 100000)
    return Status::InvalidArgument(At(path, key) + ": must be between 0 and 100000, got " +
                                   v->dump());
  out = static_cast<int>(n);
  return Status();
}

Status ReadDate(const json& obj, const char* key, const std::string& path,
                std::optional<Date>& out) {
  const json* v = Field(obj, key);
  if (!v) return Status();
  std::optional<Date> d = v->is_string() ? Date::Parse(v->get<std::string>()) : std::nullopt;
  if (!d)
    return Status::InvalidArgument(At(path, key) + ": expected a date yyyy-mm-dd, got " +
                                   v->dump());
  out = d;
  return Status();
}

Status ReadStringList(const json& obj, const char* key, const std::string& path,
                      std::vector<std::string>& out) {
  const json* v = Field(obj, key);
  if (!v) return Status();
  if (!v->is_array()) return Status::InvalidArgument(At(path, key) + ": expected an array");
  for (size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_string())
      return Status::InvalidArgument(Index(At(path, key), i) + ": expected a string");
    out.push_back((*v)[i].get<std::string>());
  }
  return Status();
}

Status RejectUnknownKeys(const json& obj, const std::string& path,
                         std::initializer_list<std::string_view> known) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    const std::string& k = it.key();
    if (k.rfind("x_", 0) == 0) continue;
    bool ok = false;
    for (std::string_view n : known) ok = ok || n == k;
    if (!ok)
      return Status::InvalidArgument(Join(path, k) +
                                     ": is not a known field (extensions must start with x_)");
  }
  return Status();
}

std::string_view EmbeddedText(std::string_view name) {
  for (std::size_t i = 0; i < kEmbeddedFileCount; ++i)
    if (name == kEmbeddedFiles[i].name) return kEmbeddedFiles[i].text;
  return {};
}

json EmbeddedJson(std::string_view name) {
  std::string_view text = EmbeddedText(name);
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (text.empty() || doc.is_discarded()) {
    // The file is compiled in and covered by tests: reaching this is a build bug.
    std::fprintf(stderr, "sendsync: embedded domain data %.*s is missing or not JSON\n",
                 static_cast<int>(name.size()), name.data());
    std::abort();
  }
  return doc;
}

}  // namespace sendsync::domain::detail
