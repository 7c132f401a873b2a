#include "cursor.h"

#include <algorithm>

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Timestamp.h>
#include <nlohmann/json.hpp>

namespace sendsync::mis_api_adapter {

using nlohmann::json;

std::string FormatTime(Millis t) {
  Poco::Timestamp ts(static_cast<Poco::Timestamp::TimeVal>(t) * 1000);
  return Poco::DateTimeFormatter::format(ts, "%Y-%m-%dT%H:%M:%S.%iZ");
}

std::optional<Millis> ParseTime(std::string_view text) {
  // A date alone, or a time without a zone, is not a point in time: refuse rather than guess.
  if (text.size() < 20 || text[10] != 'T') return std::nullopt;
  if (text.back() != 'Z' && text.find_last_of("+-") < 19) return std::nullopt;
  Poco::DateTime dt;
  int tz = 0;
  if (!Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::ISO8601_FRAC_FORMAT, std::string(text),
                                      dt, tz))
    return std::nullopt;
  dt.makeUTC(tz);
  return static_cast<Millis>(dt.timestamp().epochMicroseconds() / 1000);
}

std::optional<Millis> Cursor::UpdatedAfter() const {
  if (!watermark) return std::nullopt;
  return *watermark - kOverlapMillis;
}

void Cursor::Saw(Millis t) {
  max_seen = max_seen ? std::max(*max_seen, t) : t;
}

void Cursor::FinishPull() {
  if (max_seen) {
    Millis next = pull_start ? std::min(*pull_start, *max_seen) : *max_seen;
    watermark = watermark ? std::max(*watermark, next) : next;
  }
  pull_start.reset();
  max_seen.reset();
  phase = Phase::kRecords;
  page.clear();
  after.clear();
  chains.clear();
}

Result<Cursor> Cursor::Parse(const std::string& text) {
  Cursor c;
  if (text.empty()) return c;
  const Status bad = Status::InvalidArgument(
      "the read cursor was not made by the mis-api adapter (or is damaged); reset this link's "
      "cursor to pull everything again");
  json j = json::parse(text, nullptr, false);
  if (!j.is_object() || j.value("v", 0) != 1) return bad;
  auto time = [&](const char* key, std::optional<Millis>& out) {
    if (!j.contains(key)) return true;
    if (!j[key].is_string()) return false;
    out = ParseTime(j[key].get<std::string>());
    return out.has_value();
  };
  if (!time("w", c.watermark) || !time("ts", c.pull_start) || !time("max", c.max_seen)) return bad;
  if (j.contains("phase")) {
    if (j["phase"] == "deletions")
      c.phase = Phase::kDeletions;
    else if (j["phase"] != "records")
      return bad;
  }
  for (auto [key, out] : {std::pair{"page", &c.page}, std::pair{"after", &c.after}}) {
    if (!j.contains(key)) continue;
    if (!j[key].is_string()) return bad;
    *out = j[key].get<std::string>();
  }
  if (j.contains("chains")) {
    if (!j["chains"].is_array() || j["chains"].empty() || c.phase != Phase::kRecords ||
        !c.page.empty() || !c.after.empty())
      return bad;
    for (const json& ch : j["chains"]) {
      if (!ch.is_object() || !ch.contains("page") || !ch["page"].is_string() ||
          ch["page"].get<std::string>().empty() ||
          (ch.contains("after") && !ch["after"].is_string()))
        return bad;
      c.chains.push_back({ch["page"].get<std::string>(), ch.value("after", std::string())});
    }
  }
  if (!c.in_pull() && (c.max_seen || !c.page.empty() || !c.after.empty() ||
                       c.phase != Phase::kRecords || !c.chains.empty()))
    return bad;
  return c;
}

std::string Cursor::ToString() const {
  json j = {{"v", 1}};
  if (watermark) j["w"] = FormatTime(*watermark);
  if (in_pull()) {
    j["ts"] = FormatTime(*pull_start);
    if (max_seen) j["max"] = FormatTime(*max_seen);
    j["phase"] = phase == Phase::kRecords ? "records" : "deletions";
    if (!page.empty()) j["page"] = page;
    if (!after.empty()) j["after"] = after;
    if (!chains.empty()) {
      json list = json::array();
      for (const Chain& ch : chains) {
        json one = {{"page", ch.page}};
        if (!ch.after.empty()) one["after"] = ch.after;
        list.push_back(std::move(one));
      }
      j["chains"] = std::move(list);
    }
  }
  return j.dump();
}

}  // namespace sendsync::mis_api_adapter
