// Date patterns for the csv adapter: how a configured date_format ("dd/mm/yyyy", "yyyy-mm-dd",
// "d-mmm-yyyy", ...) reads a cell into a calendar date and writes one back. Used by the mapping
// and its tests only.
//
// A pattern is a sequence of tokens and literal separators, read exactly as written: no locale,
// no guessing between day-first and month-first.
//   yyyy  four-digit year          dd  two-digit day (01-31)      mm  two-digit month (01-12)
//   d     day, one or two digits   m   month, one or two digits   mmm month as Jan, Feb, ... Dec
// Any other non-letter character is a literal separator that must appear as written. Two-digit
// years are refused (which century 24 means is a guess).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sendsync/sdk/date.h"
#include "sendsync/sdk/status.h"

namespace sendsync::csv {

class DateFormat {
 public:
  // The UK default, dd/mm/yyyy.
  DateFormat();

  // Compiles `pattern`; the error says which part of it is wrong.
  static Result<DateFormat> Compile(std::string_view pattern);

  // The date `text` holds in this format, or nullopt (wrong shape or no such date, e.g. 31/02).
  std::optional<Date> Read(std::string_view text) const;
  // `date` in this format.
  std::string Write(const Date& date) const;

  const std::string& pattern() const { return pattern_; }

 private:
  explicit DateFormat(std::nullptr_t) {}  // empty; Compile fills it
  enum class Token { kYear, kMonth2, kMonth, kMonthName, kDay2, kDay, kLiteral };
  struct Part {
    Token token;
    char literal = 0;
  };
  std::string pattern_;
  std::vector<Part> parts_;
};

}  // namespace sendsync::csv
