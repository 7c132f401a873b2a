#include "core/server/schedule.h"

#include <ctime>
#include <regex>

#include "core/sync/sync.h"

namespace sendsync::server {

Result<Schedule> ParseSchedule(const std::string& text) {
  SENDSYNC_RETURN_IF_ERROR(sync::ValidateSchedule(text));
  Schedule s;
  std::smatch m;
  static const std::regex every(R"(every ([0-9]+)(s|m|h))");
  static const std::regex daily(R"(daily ([0-9]{2}):([0-9]{2}))");
  if (text == "manual") return s;
  if (text == "hourly") {
    s.kind = Schedule::Kind::kEvery;
    s.every_ms = 3600000;
  } else if (std::regex_match(text, m, every)) {
    s.kind = Schedule::Kind::kEvery;
    const int64_t n = std::stoll(m[1].str());
    const char unit = m[2].str()[0];
    s.every_ms = n * (unit == 's' ? 1000 : unit == 'm' ? 60000 : 3600000);
  } else if (std::regex_match(text, m, daily)) {
    s.kind = Schedule::Kind::kDaily;
    s.hour = std::stoi(m[1].str());
    s.minute = std::stoi(m[2].str());
  } else {
    return Status::Internal("schedule '" + text + "' passed validation but was not parsed");
  }
  return s;
}

int64_t RetryDelayMs(int failures, const Backoff& backoff) {
  if (failures <= 0) return 0;
  int64_t d = backoff.base_ms;
  for (int i = 1; i < failures && d < backoff.max_ms; ++i) d *= 2;
  return std::min(d, backoff.max_ms);
}

namespace {

// The first local HH:MM strictly after `after_ms`.
int64_t NextDaily(int hour, int minute, int64_t after_ms) {
  std::time_t t = static_cast<std::time_t>(after_ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = 0;
  tm.tm_isdst = -1;
  int64_t at = static_cast<int64_t>(std::mktime(&tm)) * 1000;
  while (at <= after_ms) {
    tm.tm_mday += 1;  // mktime normalises, and handles clock changes through tm_isdst = -1
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_isdst = -1;
    at = static_cast<int64_t>(std::mktime(&tm)) * 1000;
  }
  return at;
}

}  // namespace

std::optional<int64_t> NextRunAt(const Schedule& s, const RunHistory& h, int64_t now_ms,
                                 const Backoff& backoff) {
  if (s.kind == Schedule::Kind::kManual) return std::nullopt;
  if (h.consecutive_failures > 0 && h.last_finished_at > 0)
    return h.last_finished_at + RetryDelayMs(h.consecutive_failures, backoff);
  if (s.kind == Schedule::Kind::kEvery)
    return h.last_started_at == 0 ? now_ms : h.last_started_at + s.every_ms;
  return NextDaily(s.hour, s.minute, h.last_started_at == 0 ? now_ms : h.last_started_at);
}

}  // namespace sendsync::server
