// Calendar dates (no time of day, no time zone) as the DfE uses them: ISO yyyy-mm-dd.
// Used by canonical records and by the domain's clocks. Header-light on purpose.
#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace sendsync {

class Date {
 public:
  Date() = default;  // 1970-01-01
  // Builds a date; the caller guarantees it is valid (use Parse or Valid for untrusted input).
  Date(int year, int month, int day);

  // Parses strict ISO yyyy-mm-dd (with range and leap-year checks). nullopt when invalid.
  static std::optional<Date> Parse(std::string_view text);
  static bool Valid(int year, int month, int day);
  // Days since 1970-01-01 back to a date.
  static Date FromDays(long days);

  int year() const { return y_; }
  int month() const { return m_; }
  int day() const { return d_; }
  // Days since 1970-01-01 (negative before).
  long days() const;
  // 0 = Monday … 6 = Sunday.
  int weekday() const;

  Date AddDays(long n) const { return FromDays(days() + n); }
  // Same day n months later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb).
  Date AddMonths(int n) const;
  // Days from *this to other (positive when other is later).
  long DaysUntil(const Date& other) const { return other.days() - days(); }

  std::string ToString() const;  // yyyy-mm-dd

  friend bool operator==(const Date&, const Date&) = default;
  friend std::strong_ordering operator<=>(const Date& a, const Date& b) {
    return a.days() <=> b.days();
  }

 private:
  int y_ = 1970, m_ = 1, d_ = 1;
};

// Today's date in the local time zone.
Date Today();

}  // namespace sendsync
