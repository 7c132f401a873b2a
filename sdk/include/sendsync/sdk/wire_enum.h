// Enums that travel as strings (in JSON, in store columns, on the command line): one table per
// enum names each value's wire string, and the two functions here print and parse through it.
// Used by the SDK and the host's core; each enum's own header holds its table.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <utility>

#include "sendsync/sdk/status.h"

namespace sendsync::wire {

// Every value of E with its wire string, and what the values are (for errors: "outbox status").
template <typename E, size_t N>
struct EnumTable {
  const char* what;
  std::array<std::pair<E, const char*>, N> names;

  // The wire string of `value`. Every value is in the table (the enum's tests check each one).
  constexpr const char* Name(E value) const {
    for (const auto& [v, name] : names)
      if (v == value) return name;
    return "?";
  }

  // The value whose wire string is exactly `text`, or InvalidArgument naming the text and every
  // accepted string. Never throws.
  Result<E> Parse(std::string_view text) const {
    for (const auto& [v, name] : names)
      if (text == name) return v;
    std::string expected;
    for (size_t i = 0; i < N; ++i)
      expected += std::string(i == 0 ? "" : i + 1 == N ? " or " : ", ") + names[i].second;
    return Status::InvalidArgument("unknown " + std::string(what) + " '" + std::string(text) +
                                   "': expected " + expected);
  }
};

}  // namespace sendsync::wire
