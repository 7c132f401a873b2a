#include "sendsync/sdk/json_limits.h"

#include <optional>

namespace sendsync::sdk {
namespace {

using nlohmann::json;

// Stops the parse at the first object or array that would be one level too deep. Given a value to
// build, builds it as nlohmann's own DOM parser does; without one, only checks.
class BoundedSax {
 public:
  BoundedSax(json* root, size_t max_depth) : max_depth_(max_depth) {
    if (root) dom_.emplace(*root, false);
  }

  bool null() { return !dom_ || dom_->null(); }
  bool boolean(bool v) { return !dom_ || dom_->boolean(v); }
  bool number_integer(json::number_integer_t v) { return !dom_ || dom_->number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { return !dom_ || dom_->number_unsigned(v); }
  bool number_float(json::number_float_t v, const json::string_t& s) {
    return !dom_ || dom_->number_float(v, s);
  }
  bool string(json::string_t& v) { return !dom_ || dom_->string(v); }
  bool binary(json::binary_t& v) { return !dom_ || dom_->binary(v); }
  bool start_object(std::size_t n) { return Enter() && (!dom_ || dom_->start_object(n)); }
  bool key(json::string_t& v) { return !dom_ || dom_->key(v); }
  bool end_object() {
    --depth_;
    return !dom_ || dom_->end_object();
  }
  bool start_array(std::size_t n) { return Enter() && (!dom_ || dom_->start_array(n)); }
  bool end_array() {
    --depth_;
    return !dom_ || dom_->end_array();
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
    error_ = e.what();
    return false;
  }

  bool too_deep() const { return too_deep_; }
  const std::string& error() const { return error_; }

 private:
  bool Enter() {
    if (++depth_ <= max_depth_) return true;
    too_deep_ = true;
    return false;
  }

  std::optional<nlohmann::detail::json_sax_dom_parser<json>> dom_;
  const size_t max_depth_;
  size_t depth_ = 0;
  bool too_deep_ = false;
  std::string error_;
};

// The byte offset of the first bracket past `max_depth` levels, for the message.
size_t WhereTooDeep(std::string_view text, size_t max_depth) {
  size_t depth = 0;
  bool in_string = false, escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return text.size();
}

std::string TooDeep(std::string_view text, size_t max_depth) {
  return "nested more than " + std::to_string(max_depth) + " levels deep (at byte " +
         std::to_string(WhereTooDeep(text, max_depth)) + ")";
}

}  // namespace

json ParseJson(std::string_view text, std::string* error, size_t max_depth) {
  json result;
  BoundedSax sax(&result, max_depth);
  bool ok = json::sax_parse(text.begin(), text.end(), &sax);
  if (ok && !sax.too_deep()) return result;
  if (error) *error = sax.too_deep() ? TooDeep(text, max_depth) : sax.error();
  return json(json::value_t::discarded);
}

bool CheckJson(std::string_view text, std::string* error, size_t max_depth) {
  BoundedSax sax(nullptr, max_depth);
  bool ok = json::sax_parse(text.begin(), text.end(), &sax);
  if (ok && !sax.too_deep()) return true;
  if (error) *error = sax.too_deep() ? TooDeep(text, max_depth) : sax.error();
  return false;
}

}  // namespace sendsync::sdk
