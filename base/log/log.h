// Structured logging for the host: one JSON object per line on stderr (or a file), with a level
// filter. Callers pass an event name and fields; no personal data above debug level, never secrets.
// Used by every core subsystem and by the plugin runtime.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace sendsync::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };

// Parses "debug", "info", "warn", "error", "off"; false when unknown.
bool ParseLevel(std::string_view name, Level& out);
const char* LevelName(Level level);

// Process-wide minimum level (default warn, so CLI output stays clean) and destination.
void SetLevel(Level level);
Level GetLevel();
// Appends to `path` instead of stderr; empty path means stderr again. Returns false if unopenable.
bool SetFile(const std::string& path);

bool Enabled(Level level);
// Writes {"ts":..., "level":..., "event":..., <fields>} when `level` is enabled.
void Write(Level level, std::string_view event, const nlohmann::json& fields);
void Write(Level level, std::string_view event);

}  // namespace sendsync::log
