#include "date_format.h"

#include <cstdio>

namespace sendsync::csv {
namespace {

const char* const kMonthNames[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}
char Lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

DateFormat::DateFormat() : DateFormat(*Compile("dd/mm/yyyy")) {}

Result<DateFormat> DateFormat::Compile(std::string_view pattern) {
  DateFormat f(nullptr);
  f.pattern_ = std::string(pattern);
  int years = 0, months = 0, days = 0;
  size_t i = 0;
  while (i < pattern.size()) {
    char c = pattern[i];
    size_t run = 1;
    while (i + run < pattern.size() && pattern[i + run] == c) ++run;
    std::string token(pattern.substr(i, run));
    if (c == 'y') {
      if (run != 4)
        return Status::InvalidArgument("'" + token +
                                       "' is not a year: use yyyy (two-digit years are ambiguous)");
      f.parts_.push_back({Token::kYear});
      ++years;
    } else if (c == 'm') {
      if (run > 3)
        return Status::InvalidArgument("'" + token + "' is not a month: use m, mm or mmm");
      f.parts_.push_back({run == 1   ? Token::kMonth
                          : run == 2 ? Token::kMonth2
                                     : Token::kMonthName});
      ++months;
    } else if (c == 'd') {
      if (run > 2) return Status::InvalidArgument("'" + token + "' is not a day: use d or dd");
      f.parts_.push_back({run == 1 ? Token::kDay : Token::kDay2});
      ++days;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c)) {
      return Status::InvalidArgument(
          std::string("unknown letter '") + c +
          "' (use yyyy, mm, m, mmm, dd, d and separators such as / - .)");
    } else {
      for (size_t k = 0; k < run; ++k) f.parts_.push_back({Token::kLiteral, c});
    }
    i += run;
  }
  if (years != 1 || months != 1 || days != 1)
    return Status::InvalidArgument(
        "needs exactly one year (yyyy), one month (mm, m or mmm) and "
        "one day (dd or d)");
  // A variable-width number right after another number cannot be split without guessing.
  for (size_t k = 1; k < f.parts_.size(); ++k) {
    Token a = f.parts_[k - 1].token, b = f.parts_[k].token;
    bool a_num = a != Token::kLiteral && a != Token::kMonthName;
    bool b_num = b != Token::kLiteral && b != Token::kMonthName;
    bool variable =
        a == Token::kDay || a == Token::kMonth || b == Token::kDay || b == Token::kMonth;
    if (a_num && b_num && variable)
      return Status::InvalidArgument(
          "d or m next to another number needs a separator between them");
  }
  return f;
}

std::optional<Date> DateFormat::Read(std::string_view text) const {
  int y = 0, m = 0, d = 0;
  size_t i = 0;
  auto digits = [&](size_t min, size_t max, int& out) {
    size_t n = 0;
    out = 0;
    while (n < max && i < text.size() && IsDigit(text[i])) {
      out = out * 10 + (text[i] - '0');
      ++i;
      ++n;
    }
    return n >= min;
  };
  for (const Part& p : parts_) {
    switch (p.token) {
      case Token::kYear:
        if (!digits(4, 4, y)) return std::nullopt;
        break;
      case Token::kMonth2:
        if (!digits(2, 2, m)) return std::nullopt;
        break;
      case Token::kMonth:
        if (!digits(1, 2, m)) return std::nullopt;
        break;
      case Token::kDay2:
        if (!digits(2, 2, d)) return std::nullopt;
        break;
      case Token::kDay:
        if (!digits(1, 2, d)) return std::nullopt;
        break;
      case Token::kMonthName: {
        if (i + 3 > text.size()) return std::nullopt;
        m = 0;
        for (int k = 0; k < 12 && m == 0; ++k) {
          bool same = true;
          for (int c = 0; c < 3; ++c) same &= Lower(text[i + c]) == Lower(kMonthNames[k][c]);
          if (same) m = k + 1;
        }
        if (m == 0) return std::nullopt;
        i += 3;
        break;
      }
      case Token::kLiteral:
        if (i >= text.size() || text[i] != p.literal) return std::nullopt;
        ++i;
        break;
    }
  }
  if (i != text.size() || !Date::Valid(y, m, d)) return std::nullopt;
  return Date(y, m, d);
}

std::string DateFormat::Write(const Date& date) const {
  std::string out;
  char buf[8];
  for (const Part& p : parts_) {
    switch (p.token) {
      case Token::kYear:
        std::snprintf(buf, sizeof buf, "%04d", date.year());
        out += buf;
        break;
      case Token::kMonth2:
        std::snprintf(buf, sizeof buf, "%02d", date.month());
        out += buf;
        break;
      case Token::kMonth:
        out += std::to_string(date.month());
        break;
      case Token::kDay2:
        std::snprintf(buf, sizeof buf, "%02d", date.day());
        out += buf;
        break;
      case Token::kDay:
        out += std::to_string(date.day());
        break;
      case Token::kMonthName:
        out += kMonthNames[date.month() - 1];
        break;
      case Token::kLiteral:
        out += p.literal;
        break;
    }
  }
  return out;
}

}  // namespace sendsync::csv
