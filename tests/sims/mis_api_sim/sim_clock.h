// The simulator's clock and its timestamp text. For the MIS API simulator only.
//
// The clock is the machine's UTC time plus an offset a test can move forward, so a test can make
// "ten minutes later" happen at once. Change stamps are strictly increasing, so two changes never
// share an updated_at even when they happen in the same millisecond.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sendsync::sims::mis_api {

// Milliseconds since 1970-01-01T00:00:00Z.
using Millis = int64_t;

// "2025-03-01T10:15:30.123Z" — the API's timestamp form.
std::string FormatTime(Millis t);
// Parses ISO 8601 with a time zone ("Z" or "+01:00"), fractions optional. nullopt when invalid.
std::optional<Millis> ParseTime(std::string_view text);

// Not thread-safe: the simulator calls it under its own lock.
class SimClock {
 public:
  Millis Now() const;
  // A stamp for a change: later than every stamp handed out before.
  Millis Stamp();
  // Records that a stamp was given out by other means (loaded data), so later stamps follow it.
  void Saw(Millis t);
  void Advance(Millis by) { offset_ += by; }
  // The time the server reports: never earlier than a stamp already given out.
  Millis ServerTime() const;

 private:
  Millis offset_ = 0;
  Millis last_ = 0;
};

}  // namespace sendsync::sims::mis_api
