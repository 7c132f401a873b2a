#include "base/log/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include <nlohmann/json.hpp>

namespace sendsync::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::kWarn)};
std::mutex g_mu;
FILE* g_file = nullptr;  // guarded by g_mu; nullptr = stderr

std::string Timestamp() {
  using namespace std::chrono;
  auto now = system_clock::now();
  std::time_t t = system_clock::to_time_t(now);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

}  // namespace

bool ParseLevel(std::string_view name, Level& out) {
  static const std::pair<const char*, Level> kNames[] = {{"debug", Level::kDebug},
                                                         {"info", Level::kInfo},
                                                         {"warn", Level::kWarn},
                                                         {"error", Level::kError},
                                                         {"off", Level::kOff}};
  for (const auto& [n, l] : kNames)
    if (name == n) {
      out = l;
      return true;
    }
  return false;
}

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
    case Level::kOff: return "off";
  }
  return "?";
}

void SetLevel(Level level) { g_level = static_cast<int>(level); }
Level GetLevel() { return static_cast<Level>(g_level.load()); }

bool SetFile(const std::string& path) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_file) std::fclose(g_file);
  g_file = nullptr;
  if (path.empty()) return true;
  g_file = std::fopen(path.c_str(), "a");
  return g_file != nullptr;
}

bool Enabled(Level level) {
  return level != Level::kOff && static_cast<int>(level) >= g_level.load();
}

void Write(Level level, std::string_view event, const nlohmann::json& fields) {
  if (!Enabled(level)) return;
  nlohmann::json line = {{"ts", Timestamp()}, {"level", LevelName(level)}, {"event", event}};
  if (fields.is_object())
    for (auto it = fields.begin(); it != fields.end(); ++it) line[it.key()] = it.value();
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard<std::mutex> lock(g_mu);
  FILE* out = g_file ? g_file : stderr;
  std::fwrite(text.data(), 1, text.size(), out);
  std::fflush(out);
}

void Write(Level level, std::string_view event) { Write(level, event, nlohmann::json::object()); }

}  // namespace sendsync::log
