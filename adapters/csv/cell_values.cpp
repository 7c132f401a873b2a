#include "cell_values.h"

#include <charconv>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>

namespace sendsync::csv {
namespace {

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

bool SameLetters(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

// [+-]? digits* ( '.' digits* )? with at least one digit.
bool PlainDecimal(std::string_view t) {
  size_t i = 0, digits = 0;
  if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
  while (i < t.size() && IsDigit(t[i])) ++i, ++digits;
  if (i < t.size() && t[i] == '.') {
    ++i;
    while (i < t.size() && IsDigit(t[i])) ++i, ++digits;
  }
  return digits > 0 && i == t.size();
}

}  // namespace

std::string_view Trim(std::string_view t) {
  auto space_at_front = [&]() -> size_t {
    if (t.empty()) return 0;
    if (t.front() == ' ' || t.front() == '\t') return 1;
    if (t.size() >= 2 && static_cast<unsigned char>(t[0]) == 0xC2 &&
        static_cast<unsigned char>(t[1]) == 0xA0)
      return 2;
    return 0;
  };
  auto space_at_back = [&]() -> size_t {
    if (t.empty()) return 0;
    if (t.back() == ' ' || t.back() == '\t') return 1;
    if (t.size() >= 2 && static_cast<unsigned char>(t[t.size() - 2]) == 0xC2 &&
        static_cast<unsigned char>(t.back()) == 0xA0)
      return 2;
    return 0;
  };
  for (size_t n; (n = space_at_front()) > 0;) t.remove_prefix(n);
  for (size_t n; (n = space_at_back()) > 0;) t.remove_suffix(n);
  return t;
}

size_t InvalidUtf8At(std::string_view t) {
  size_t i = 0;
  while (i < t.size()) {
    unsigned char c = static_cast<unsigned char>(t[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      cp = c & 0x07;
    } else {
      return i;  // a continuation byte out of place, C0/C1 (overlong) or F5..FF
    }
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= t.size()) return i;
      unsigned char cc = static_cast<unsigned char>(t[i + k]);
      if ((cc & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return i;
    i += n + 1;
  }
  return std::string_view::npos;
}

std::optional<bool> ParseBool(std::string_view t) {
  for (std::string_view yes : {"y", "yes", "true", "t", "1"})
    if (SameLetters(t, yes)) return true;
  for (std::string_view no : {"n", "no", "false", "f", "0"})
    if (SameLetters(t, no)) return false;
  return std::nullopt;
}

std::optional<int> ParseInt(std::string_view t) {
  size_t point = t.find('.');
  if (point != std::string_view::npos) {
    for (size_t i = point + 1; i < t.size(); ++i)
      if (t[i] != '0') return std::nullopt;
    t = t.substr(0, point);
  }
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  if (t.empty() || (t.size() == 1 && t[0] == '-')) return std::nullopt;
  long long v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || p != t.data() + t.size() || v < INT_MIN || v > INT_MAX)
    return std::nullopt;
  return static_cast<int>(v);
}

std::optional<double> ParseNumber(std::string_view t) {
  if (!PlainDecimal(t)) return std::nullopt;
  if (t.front() == '+') t.remove_prefix(1);
  double v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v, std::chars_format::fixed);
  if (ec != std::errc() || p != t.data() + t.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<double> ParseMoney(std::string_view t) {
  if (t.size() >= 2 && static_cast<unsigned char>(t[0]) == 0xC2 &&
      static_cast<unsigned char>(t[1]) == 0xA3)  // £
    t = Trim(t.substr(2));
  if (t.find(',') == std::string_view::npos) return ParseNumber(t);
  // Thousands separators: 1,250 or 12,500.00 — groups of exactly three digits after each comma.
  std::string plain;
  size_t end = t.find('.');
  std::string_view whole = t.substr(0, end);
  size_t first = whole.find(',');
  size_t lead = (!whole.empty() && (whole[0] == '-' || whole[0] == '+')) ? 1 : 0;
  if (first <= lead || first - lead > 3) return std::nullopt;
  for (size_t i = first; i < whole.size(); i += 4) {
    if (whole[i] != ',' || i + 4 > whole.size()) return std::nullopt;
    for (size_t k = i + 1; k < i + 4; ++k)
      if (!IsDigit(whole[k])) return std::nullopt;
  }
  for (char c : whole)
    if (c != ',') plain.push_back(c);
  if (end != std::string_view::npos) plain.append(t.substr(end));
  return ParseNumber(plain);
}

Result<nlohmann::json> CellToJson(ValueType type, std::string_view text, const DateFormat& dates) {
  auto quoted = [&] { return "'" + std::string(text) + "'"; };
  switch (type) {
    case ValueType::kText:
      return nlohmann::json(std::string(text));
    case ValueType::kDate:
      if (auto d = dates.Read(text)) return nlohmann::json(d->ToString());
      return Status::InvalidArgument(quoted() + " is not a date in the format " + dates.pattern());
    case ValueType::kInt:
      if (auto v = ParseInt(text)) return nlohmann::json(*v);
      return Status::InvalidArgument(quoted() + " is not a whole number");
    case ValueType::kNumber:
      if (auto v = ParseNumber(text)) return nlohmann::json(*v);
      return Status::InvalidArgument(quoted() + " is not a number (use a point for decimals: 1.5)");
    case ValueType::kMoney:
      if (auto v = ParseMoney(text)) return nlohmann::json(*v);
      return Status::InvalidArgument(quoted() +
                                     " is not an amount of money (e.g. 18.50 or £1,250.00)");
    case ValueType::kBool:
      if (auto v = ParseBool(text)) return nlohmann::json(*v);
      return Status::InvalidArgument(quoted() + " is not yes or no (Y/N, Yes/No, TRUE/FALSE, 1/0)");
    case ValueType::kList: {
      nlohmann::json items = nlohmann::json::array();
      size_t start = 0;
      while (start <= text.size()) {
        size_t semi = text.find(';', start);
        if (semi == std::string_view::npos) semi = text.size();
        std::string_view item = Trim(text.substr(start, semi - start));
        if (!item.empty()) items.push_back(std::string(item));
        start = semi + 1;
      }
      return items;
    }
  }
  return Status::Internal("unknown value type");
}

std::string FormatNumber(double value) {
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, value);
  if (ec != std::errc()) return std::to_string(value);
  return std::string(buf, p);
}

std::string FormatMoney(double value) {
  double cents = value * 100;
  if (std::fabs(cents - std::round(cents)) < 1e-6) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f", value);
    return buf;
  }
  return FormatNumber(value);
}

}  // namespace sendsync::csv
