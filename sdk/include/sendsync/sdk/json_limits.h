// Parsing JSON that someone else wrote (an adapter's page, a web API's answer, a JSON-lines file, a
// request to the admin API) with a bound on nesting: a document nested deeper than any sendsync
// format is refused at the first bracket too many, before anything deeper is built. For adapter
// authors and the host alike.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace sendsync::sdk {

// No canonical record, adapter page or API body sendsync knows nests deeper than about ten levels.
inline constexpr size_t kMaxJsonDepth = 64;

// Parses `text` like nlohmann::json::parse(text, nullptr, false): the value, or a discarded value
// (is_discarded()) when the text is not JSON or is nested more than `max_depth` objects and arrays
// deep. `*error`, when given, says why ("nested more than 64 levels deep (at byte 65)", or the
// parser's message).
nlohmann::json ParseJson(std::string_view text, std::string* error = nullptr,
                         size_t max_depth = kMaxJsonDepth);

// The check ParseJson makes, without building the value: whether `text` is one JSON value nested at
// most `max_depth` deep, for text passed on as it is (a JSON-lines record). `*error`, when given,
// says why not, as ParseJson would; a document too deep is refused at the first bracket too many,
// before the rest is read.
bool CheckJson(std::string_view text, std::string* error = nullptr,
               size_t max_depth = kMaxJsonDepth);

}  // namespace sendsync::sdk
