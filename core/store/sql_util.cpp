#include "core/store/sql_util.h"

namespace sendsync::store::detail {

std::string InList(size_t n) {
  std::string s = "(";
  for (size_t i = 0; i < n; ++i) s += i ? ",?" : "?";
  return s + ")";
}

Status ForChunks(size_t n, size_t chunk, const std::function<Status(size_t, size_t)>& fn) {
  for (size_t first = 0; first < n; first += chunk)
    SENDSYNC_RETURN_IF_ERROR(fn(first, std::min(n, first + chunk)));
  return Status::OK();
}

Value Opt(const std::optional<std::string>& v) {
  return v ? Value(*v) : Value();
}
Value OptInt(const std::optional<int64_t>& v) {
  return v ? Value(*v) : Value();
}
Value TextOrNull(const std::string& v) {
  return v.empty() ? Value() : Value(v);
}
std::optional<int64_t> OptIntOf(const Value& v) {
  if (IsNull(v)) return std::nullopt;
  return AsInt(v);
}

Result<nlohmann::json> ParseStored(const std::string& text, const std::string& what) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return Status::Corruption(what + " holds text that is not JSON");
  return j;
}

Status BumpHubGeneration(Conn& conn) {
  return conn.HubChanged();
}

}  // namespace sendsync::store::detail
