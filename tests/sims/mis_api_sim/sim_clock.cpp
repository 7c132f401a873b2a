#include "sim_clock.h"

#include <algorithm>
#include <chrono>

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Timestamp.h>

namespace sendsync::sims::mis_api {

std::string FormatTime(Millis t) {
  Poco::Timestamp ts(static_cast<Poco::Timestamp::TimeVal>(t) * 1000);
  return Poco::DateTimeFormatter::format(ts, "%Y-%m-%dT%H:%M:%S.%iZ");
}

std::optional<Millis> ParseTime(std::string_view text) {
  // Requires a date, a time and a zone: "2025-01-01" alone is not a point in time.
  if (text.size() < 20 || text[10] != 'T') return std::nullopt;
  Poco::DateTime dt;
  int tz = 0;
  if (!Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::ISO8601_FRAC_FORMAT, std::string(text),
                                      dt, tz))
    return std::nullopt;
  const char last = text.back();
  if (last != 'Z' && text.find_last_of("+-") < 19) return std::nullopt;
  dt.makeUTC(tz);
  return static_cast<Millis>(dt.timestamp().epochMicroseconds() / 1000);
}

Millis SimClock::Now() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count() + offset_;
}

Millis SimClock::Stamp() {
  last_ = std::max(Now(), last_ + 1);
  return last_;
}

void SimClock::Saw(Millis t) {
  last_ = std::max(last_, t);
}

Millis SimClock::ServerTime() const {
  return std::max(Now(), last_);
}

}  // namespace sendsync::sims::mis_api
