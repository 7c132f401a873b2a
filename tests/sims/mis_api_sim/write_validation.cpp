#include "write_validation.h"

#include <set>
#include <string>

#include "sendsync/sdk/date.h"

namespace sendsync::sims::mis_api {

using nlohmann::json;

namespace {

// The census lists (docs: shared/domain/send-reference.md). The simulated MIS speaks census codes.
const std::set<std::string> kStatusCodes = {"N", "K", "E"};
const std::set<std::string> kNeedTypes = {"SPLD", "MLD", "SLD", "PMLD", "SEMH", "SLCN", "ASD",
                                          "HI",   "VI",  "MSI", "PD",   "OTH",  "NSA",  "DS"};
const std::set<std::string> kReviewKinds = {"sen_support", "ehc_annual", "interim"};
const std::set<std::string> kOutcomes = {"continue", "adjust", "escalate", "end_sen_support",
                                         "request_ehc_assessment"};

class Errors {
 public:
  void Add(const std::string& path, const std::string& message) {
    list_.push_back({{"path", path}, {"message", message}});
  }
  json list() const { return list_; }

  // Checks an optional field's type; returns the value when present and of the right type.
  const json* Opt(const json& obj, const std::string& prefix, const char* key, json::value_t type) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return nullptr;
    bool ok =
        it->type() == type || (type == json::value_t::number_integer && it->is_number_integer());
    if (!ok) {
      Add(prefix + key, std::string("expected ") + TypeName(type));
      return nullptr;
    }
    return &*it;
  }
  const json* Req(const json& obj, const std::string& prefix, const char* key, json::value_t type) {
    if (!obj.contains(key) || obj[key].is_null()) {
      Add(prefix + key, "is required");
      return nullptr;
    }
    return Opt(obj, prefix, key, type);
  }
  void Date(const json& obj, const std::string& prefix, const char* key, bool required) {
    const json* v = required ? Req(obj, prefix, key, json::value_t::string)
                             : Opt(obj, prefix, key, json::value_t::string);
    if (v && !sendsync::Date::Parse(v->get<std::string>()))
      Add(prefix + key, "is not a date (yyyy-mm-dd)");
  }
  void Code(const json& obj, const std::string& prefix, const char* key, bool required,
            const std::set<std::string>& allowed, const std::string& what) {
    const json* v = required ? Req(obj, prefix, key, json::value_t::string)
                             : Opt(obj, prefix, key, json::value_t::string);
    if (v && !allowed.count(v->get<std::string>()))
      Add(prefix + key, "unknown " + what + " '" + v->get<std::string>() + "'");
  }
  void Unknown(const json& obj, const std::string& prefix, const std::set<std::string>& known) {
    for (auto it = obj.begin(); it != obj.end(); ++it)
      if (!known.count(it.key())) Add(prefix + it.key(), "is not a field this API knows");
  }

 private:
  static const char* TypeName(json::value_t t) {
    switch (t) {
      case json::value_t::string:
        return "a string";
      case json::value_t::boolean:
        return "true or false";
      case json::value_t::number_integer:
        return "an integer";
      case json::value_t::array:
        return "a list";
      case json::value_t::object:
        return "an object";
      default:
        return "another type";
    }
  }
  json list_ = json::array();
};

}  // namespace

json ValidateSenBody(const json& body) {
  Errors e;
  if (!body.is_object()) {
    e.Add("$", "expected a JSON object");
    return e.list();
  }
  e.Unknown(body, "", {"sen_status", "sen_needs"});
  if (const json* st = e.Req(body, "", "sen_status", json::value_t::object)) {
    e.Code(*st, "sen_status.", "code", true, kStatusCodes, "SEN status");
    e.Date(*st, "sen_status.", "start_date", false);
    e.Opt(*st, "sen_status.", "description", json::value_t::string);
    e.Opt(*st, "sen_status.", "sen_unit", json::value_t::boolean);
    e.Opt(*st, "sen_status.", "resourced_provision", json::value_t::boolean);
    e.Unknown(*st, "sen_status.",
              {"code", "start_date", "description", "sen_unit", "resourced_provision"});
  }
  if (const json* needs = e.Req(body, "", "sen_needs", json::value_t::array)) {
    std::set<std::string> seen;
    for (size_t i = 0; i < needs->size(); ++i) {
      const json& n = (*needs)[i];
      const std::string p = "sen_needs[" + std::to_string(i) + "].";
      if (!n.is_object()) {
        e.Add(p.substr(0, p.size() - 1), "expected an object");
        continue;
      }
      e.Code(n, p, "type", true, kNeedTypes, "need type");
      if (n.contains("type") && n["type"].is_string() && !seen.insert(n["type"]).second)
        e.Add(p + "type", "need type listed twice");
      if (const json* r = e.Req(n, p, "rank", json::value_t::number_integer)) {
        int rank = r->get<int>();
        if (rank != 1 && rank != 2) e.Add(p + "rank", "must be 1 (primary) or 2 (secondary)");
      }
      e.Date(n, p, "start_date", false);
      e.Date(n, p, "end_date", false);
      e.Unknown(n, p, {"type", "rank", "start_date", "end_date"});
    }
  }
  return e.list();
}

json ValidateReviewBody(const json& body) {
  Errors e;
  if (!body.is_object()) {
    e.Add("$", "expected a JSON object");
    return e.list();
  }
  e.Unknown(body, "",
            {"id", "date", "kind", "cycle_id", "attendees", "pupil_voice", "parent_voice",
             "parents_met", "progress", "impact", "outcome", "next_review_date"});
  e.Opt(body, "", "id", json::value_t::string);
  e.Date(body, "", "date", true);
  e.Code(body, "", "kind", true, kReviewKinds, "review kind");
  e.Code(body, "", "outcome", false, kOutcomes, "review outcome");
  e.Date(body, "", "next_review_date", false);
  e.Opt(body, "", "parents_met", json::value_t::boolean);
  for (const char* k : {"cycle_id", "pupil_voice", "parent_voice", "impact"})
    e.Opt(body, "", k, json::value_t::string);
  if (const json* a = e.Opt(body, "", "attendees", json::value_t::array)) {
    for (size_t i = 0; i < a->size(); ++i) {
      const std::string p = "attendees[" + std::to_string(i) + "].";
      if (!(*a)[i].is_object()) {
        e.Add(p.substr(0, p.size() - 1), "expected an object");
        continue;
      }
      e.Req((*a)[i], p, "role", json::value_t::string);
      e.Unknown((*a)[i], p, {"role", "name", "date", "summary"});
    }
  }
  if (const json* pr = e.Opt(body, "", "progress", json::value_t::array)) {
    for (size_t i = 0; i < pr->size(); ++i) {
      const std::string p = "progress[" + std::to_string(i) + "].";
      if (!(*pr)[i].is_object()) {
        e.Add(p.substr(0, p.size() - 1), "expected an object");
        continue;
      }
      e.Req((*pr)[i], p, "target_id", json::value_t::string);
      e.Req((*pr)[i], p, "progress", json::value_t::string);
      e.Unknown((*pr)[i], p, {"target_id", "progress", "note"});
    }
  }
  return e.list();
}

std::string WithCheckLetter(const std::string& twelve) {
  static const char kLetters[] = "ABCDEFGHJKLMNPQRTUVWXYZ";
  int sum = 0;
  for (size_t i = 0; i < twelve.size() && i < 12; ++i) {
    char c = twelve[i];
    int v = 0;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else {
      for (int k = 0; k < 23; ++k)
        if (kLetters[k] == c) v = k;
    }
    sum += v * static_cast<int>(i + 2);
  }
  return std::string(1, kLetters[sum % 23]) + twelve;
}

}  // namespace sendsync::sims::mis_api
