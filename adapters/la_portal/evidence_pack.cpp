#include "evidence_pack.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <sendsync/sdk/date.h>

namespace sendsync::la_portal {

using nlohmann::json;

namespace {

std::string Lookup(const std::map<std::string, std::string>& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? "" : it->second;
}

// Sorts objects by a date field (missing dates last), keeping the original order among equals.
json SortedBy(json list, const char* field) {
  if (!list.is_array()) return json::array();
  std::stable_sort(list.begin(), list.end(), [&](const json& a, const json& b) {
    std::string da = a.value(field, std::string("9999")), db = b.value(field, std::string("9999"));
    return da < db;
  });
  return list;
}

// The cycle a review belongs to: the one it names, else the one whose dates hold the review's
// date (start to completion, or to its planned review date). "" when none does.
std::string ReviewCycle(const json& review, const json& cycles) {
  const std::string named = review.value("cycle_id", "");
  if (!named.empty()) return named;
  const std::string date = review.value("date", "");
  if (date.empty()) return "";
  for (const json& c : cycles) {
    if (!c.is_object()) continue;
    const std::string start = c.value("start", "");
    const std::string end = c.value("completed", c.value("review_date", ""));
    if (!start.empty() && start <= date && (end.empty() || date <= end)) return c.value("id", "");
  }
  return "";
}

}  // namespace

std::string NeedLabel(const std::string& t) {
  static const std::map<std::string, std::string> m = {
      {"SPLD", "Specific learning difficulty"},
      {"MLD", "Moderate learning difficulty"},
      {"SLD", "Severe learning difficulty"},
      {"PMLD", "Profound and multiple learning difficulty"},
      {"SEMH", "Social, emotional and mental health"},
      {"SLCN", "Speech, language and communication needs"},
      {"ASD", "Autistic spectrum disorder"},
      {"HI", "Hearing impairment"},
      {"VI", "Vision impairment"},
      {"MSI", "Multi-sensory impairment"},
      {"PD", "Physical disability"},
      {"OTH", "Other difficulty or disability"},
      {"NSA", "SEN support but no specialist assessment of type of need"},
      {"DS", "Down syndrome"}};
  return Lookup(m, t);
}

std::string NeedArea(const std::string& t) {
  static const std::map<std::string, std::string> m = {
      {"SPLD", "Cognition and learning"},
      {"MLD", "Cognition and learning"},
      {"SLD", "Cognition and learning"},
      {"PMLD", "Cognition and learning"},
      {"SEMH", "Social, emotional and mental health"},
      {"SLCN", "Communication and interaction"},
      {"ASD", "Communication and interaction"},
      {"HI", "Sensory and/or physical"},
      {"VI", "Sensory and/or physical"},
      {"MSI", "Sensory and/or physical"},
      {"PD", "Sensory and/or physical"},
      {"OTH", "Other"},
      {"NSA", "Other"},
      {"DS", "Other"}};
  return Lookup(m, t);
}

std::string ProvisionAreaLabel(const std::string& a) {
  static const std::map<std::string, std::string> m = {
      {"CL", "Cognition and learning"},
      {"SEMH", "Social, emotional and mental health"},
      {"CI", "Communication and interaction"},
      {"SP", "Sensory and/or physical"}};
  return Lookup(m, a);
}

std::string SenProvisionLabel(const std::string& c) {
  static const std::map<std::string, std::string> m = {
      {"N", "No special educational need"}, {"K", "SEN support"}, {"E", "EHC plan"}};
  return Lookup(m, c);
}

std::string ProgressLabel(const std::string& p) {
  static const std::map<std::string, std::string> m = {{"not_started", "Not started"},
                                                       {"in_progress", "In progress"},
                                                       {"achieved", "Achieved"},
                                                       {"partially_achieved", "Partially achieved"},
                                                       {"not_achieved", "Not achieved"}};
  return Lookup(m, p);
}

std::string RequesterRoleLabel(const std::string& r) {
  static const std::map<std::string, std::string> m = {
      {"parent", "Parent"}, {"young_person", "Young person"}, {"school", "School or setting"},
      {"health", "Health"}, {"social_care", "Social care"},   {"other", "Other"}};
  return Lookup(m, r);
}

std::string RequestSourceLabel(int s) {
  switch (s) {
    case 1:
      return "Parent or young person";
    case 2:
      return "School or setting";
    case 3:
      return "Health";
    case 4:
      return "Social care";
    case 5:
      return "Other";
  }
  return "";
}

std::string ReviewDecisionLabel(const std::string& d) {
  static const std::map<std::string, std::string> m = {
      {"continue", "Continue the current support"},
      {"adjust", "Adjust the plan"},
      {"escalate", "Escalate the support"},
      {"end_sen_support", "End SEN support"},
      {"request_ehc_assessment", "Request an EHC needs assessment"}};
  return Lookup(m, d);
}

std::string ReviewKindLabel(const std::string& k) {
  static const std::map<std::string, std::string> m = {{"sen_support", "SEN support review"},
                                                       {"ehc_annual", "EHC plan annual review"},
                                                       {"interim", "Interim review"}};
  return Lookup(m, k);
}

std::string ReportCategory(const std::string& role) {
  auto has = [&](const char* w) { return role.find(w) != std::string::npos; };
  if (has("psycholog")) return "educational_psychology";
  if (has("social")) return "social_care";
  if (role == "health" || has("therapist") || has("paediatric") || has("nurse") || has("camhs") ||
      has("doctor") || has("physio") || has("audiolog") || has("optometr"))
    return "health";
  return "other";
}

json ReportDocuments(const json& record) {
  json out = json::array();
  if (!record.is_object() || !record.contains("external_advice") ||
      !record["external_advice"].is_array())
    return out;
  int n = 0;
  for (const json& a : record["external_advice"]) {
    if (!a.is_object() || !a.contains("report") || !a["report"].is_string() ||
        a["report"].get<std::string>().empty())
      continue;
    ++n;
    const std::string role = a.value("role", "other");
    std::string who = RequesterRoleLabel(role);
    if (who.empty()) {
      who = role;
      for (char& c : who)
        if (c == '_') c = ' ';
      if (!who.empty() && who[0] >= 'a' && who[0] <= 'z') who[0] = static_cast<char>(who[0] - 32);
    }
    json d = {{"number", n},
              {"role", role},
              {"role_label", who},
              {"category", ReportCategory(role)},
              {"filename", "report-" + std::to_string(n) + ".pdf"},
              {"text", a["report"]}};
    for (const char* k : {"name", "date", "summary"})
      if (a.contains(k) && a[k].is_string()) d[k] = a[k];
    d["title"] = "Report " + std::to_string(n) + ": " + who +
                 (d.contains("name") ? " (" + d["name"].get<std::string>() + ")" : "") +
                 (d.contains("date") ? ", " + d["date"].get<std::string>() : "");
    out.push_back(d);
  }
  return out;
}

json BuildEvidencePack(const json& s, const std::string& prepared_on, const json& reports) {
  json pack = {{"format", "sendsync-evidence-pack"},
               {"version", 1},
               {"title", "Request for an EHC needs assessment"},
               {"subtitle", "Evidence of the graduated approach"},
               {"prepared_on", prepared_on},
               {"client_reference", s.value("client_reference", "")},
               {"la", s.value("la", "")}};
  if (s.contains("request_date")) pack["request_date"] = s["request_date"];

  json pupil = s.value("pupil", json::object());
  std::string forename = pupil.value("preferred_forename", pupil.value("legal_forename", ""));
  std::string surname = pupil.value("preferred_surname", pupil.value("legal_surname", ""));
  std::string name = forename + (forename.empty() || surname.empty() ? "" : " ") + surname;
  if (!name.empty()) pupil["name"] = name;
  pack["pupil"] = pupil;
  pack["school"] = s.value("school", json::object());

  json requester = s.value("requester", json::object());
  if (requester.contains("role"))
    requester["role_label"] = RequesterRoleLabel(requester["role"].get<std::string>());
  if (requester.contains("request_source") && requester["request_source"].is_number_integer())
    requester["request_source_label"] = RequestSourceLabel(requester["request_source"].get<int>());
  pack["requester"] = requester;

  if (s.contains("sen")) {
    json needs = s["sen"];
    if (needs.contains("provision"))
      needs["provision_label"] = SenProvisionLabel(needs["provision"].get<std::string>());
    json ranked = json::array();
    for (json n : needs.value("needs", json::array())) {
      std::string t = n.value("type", "");
      n["label"] = NeedLabel(t);
      n["area"] = NeedArea(t);
      ranked.push_back(n);
    }
    std::stable_sort(ranked.begin(), ranked.end(), [](const json& a, const json& b) {
      return a.value("rank", 9) < b.value("rank", 9);
    });
    needs["needs"] = ranked;
    pack["needs"] = needs;
  }

  const json evidence = s.value("evidence", json::object());
  json provision = evidence.value("provision", json::array());
  std::map<std::string, std::string> intervention_of;
  for (json& p : provision) {
    intervention_of[p.value("id", "")] = p.value("intervention", "");
    if (p.contains("area")) p["area_label"] = ProvisionAreaLabel(p["area"].get<std::string>());
  }
  // Schools number targets afresh in every cycle (T1, T2, … each time), so a target id names a
  // target only within its cycle: a review's progress is about its own cycle's targets.
  const json all_cycles = evidence.value("cycles", json::array());
  std::map<std::string, std::map<std::string, std::string>> targets_of;  // cycle id -> target id
  for (const json& c : all_cycles) {
    if (!c.is_object()) continue;
    auto& targets = targets_of[c.value("id", "")];
    for (const json& o : c.value("outcomes", json::array()))
      if (o.is_object())
        for (const json& t : o.value("targets", json::array()))
          if (t.is_object()) targets[t.value("id", "")] = t.value("description", "");
  }
  json reviews = SortedBy(evidence.value("reviews", json::array()), "date");
  for (json& r : reviews) {
    if (r.contains("kind")) r["kind_label"] = ReviewKindLabel(r["kind"].get<std::string>());
    if (r.contains("decision"))
      r["decision_label"] = ReviewDecisionLabel(r["decision"].get<std::string>());
    const std::string cycle = ReviewCycle(r, all_cycles);
    if (!cycle.empty() && !r.contains("cycle_id")) r["cycle_id"] = cycle;
    const auto own = targets_of.find(cycle);
    if (r.contains("progress") && r["progress"].is_array())
      for (json& tp : r["progress"]) {
        tp["progress_label"] = ProgressLabel(tp.value("progress", ""));
        if (own == targets_of.end()) continue;
        auto t = own->second.find(tp.value("target_id", ""));
        if (t != own->second.end() && !t->second.empty()) tp["target"] = t->second;
      }
  }

  json cycles = SortedBy(evidence.value("cycles", json::array()), "start");
  int number = 0;
  for (json& c : cycles) {
    c["number"] = ++number;
    if (c.contains("outcomes") && c["outcomes"].is_array())
      for (json& o : c["outcomes"])
        if (o.contains("targets") && o["targets"].is_array())
          for (json& t : o["targets"])
            if (t.contains("progress"))
              t["progress_label"] = ProgressLabel(t["progress"].get<std::string>());
    json planned = json::array();
    for (const json& id : c.value("planned_provision", json::array())) {
      json e = {{"id", id}};
      auto it = intervention_of.find(id.is_string() ? id.get<std::string>() : "");
      if (it != intervention_of.end()) e["intervention"] = it->second;
      planned.push_back(e);
    }
    c["planned_provision"] = planned;
    json review_ids = json::array();
    for (const json& r : reviews)
      if (r.value("cycle_id", "") == c.value("id", "")) review_ids.push_back(r["id"]);
    c["review_ids"] = review_ids;
  }
  pack["cycles"] = cycles;
  pack["cycles_completed"] = std::count_if(cycles.begin(), cycles.end(), [](const json& c) {
    return c.value("status", "") == "completed";
  });

  // Two figures, each labelled: what the provision running on the request date costs a year, and
  // what all of it has cost to date (each item's yearly cost for the part of a year it ran, to
  // its end or the request date). Ended provision is not current cost.
  const std::string on = s.value("request_date", prepared_on);
  double current = 0, to_date = 0;
  bool costed = false;
  for (json& p : provision) {
    const json cost = p.value("cost", json::object());
    if (!cost.is_object() || !cost.contains("per_year") || !cost["per_year"].is_number()) continue;
    costed = true;
    const double per_year = cost["per_year"].get<double>();
    const std::string end = p.value("end", "");
    const bool running = p.value("start", "") <= on && (end.empty() || end >= on);
    p["current"] = running;
    if (running) current += per_year;
    auto start = Date::Parse(p.value("start", ""));
    auto stop = Date::Parse(end.empty() || end > on ? on : end);
    if (start && stop && *stop >= *start) {
      const double share = static_cast<double>(stop->days() - start->days() + 1) / 365.0;
      const double spent = std::round(per_year * share * 100.0) / 100.0;
      p["cost_to_date"] = spent;
      to_date += spent;
    }
  }
  json map = {{"items", provision}};
  if (evidence.contains("provision_total_per_year"))
    map["total_per_year"] = evidence["provision_total_per_year"];
  if (costed) {
    map["current_per_year"] = std::round(current * 100.0) / 100.0;
    map["to_date"] = std::round(to_date * 100.0) / 100.0;
  }
  pack["provision_map"] = map;
  pack["reviews"] = reviews;
  pack["external_advice"] = s.value("external_advice", json::array());
  for (const char* k : {"parent_views", "pupil_views", "consent", "readiness"})
    if (s.contains(k)) pack[k] = s[k];

  // The child and family, attendance, attainment and the school's reasons: what a decision
  // needs. What the request does not carry is named in `not_included`, never silently left out.
  json not_included = json::array();
  const json family = s.value("family", json::object());
  json fam = json::object();
  if (family.is_object()) fam = family;
  if (!fam.contains("contacts") || !fam["contacts"].is_array() || fam["contacts"].empty())
    not_included.push_back("Parent or carer contact details");
  if (!fam.contains("home_la")) not_included.push_back("The child's home LA");
  if (!fam.contains("eal")) not_included.push_back("Whether English is an additional language");
  pack["family"] = fam;
  json attendance = s.value("attendance", json::array());
  if (!attendance.is_array()) attendance = json::array();
  for (json& a : attendance) {
    if (!a.is_object() || !a.contains("possible_sessions") || !a.contains("attended_sessions") ||
        !a["possible_sessions"].is_number_integer() || !a["attended_sessions"].is_number_integer())
      continue;
    const double possible = a["possible_sessions"].get<double>(),
                 attended = a["attended_sessions"].get<double>();
    if (possible > 0)
      a["percent"] = std::round(1000.0 * attended / possible) / 10.0;  // one decimal place
  }
  if (attendance.empty()) not_included.push_back("Attendance");
  pack["attendance"] = attendance;
  json attainment = SortedBy(s.value("attainment", json::array()), "date");
  if (attainment.empty()) not_included.push_back("Attainment");
  pack["attainment"] = attainment;
  for (const char* k : {"reasons", "unmet_needs"})
    if (s.contains(k) && s[k].is_string() && !s[k].get<std::string>().empty()) pack[k] = s[k];
  if (!pack.contains("reasons")) not_included.push_back("The school's reasons for the request");
  if (!pack.contains("unmet_needs"))
    not_included.push_back("What the school cannot provide from its own resources");
  json listed = json::array();
  for (const json& r : reports) {
    json e = r;
    e.erase("text");
    listed.push_back(e);
  }
  if (listed.empty()) not_included.push_back("Professional reports (as documents)");
  pack["reports"] = listed;

  // Each provision's scores over time (entry → exit), with the numbers.
  json scores = json::array();
  for (const json& p : provision) {
    if (!p.is_object() || (!p.contains("baseline") && !p.contains("exit"))) continue;
    json e = {{"provision_id", p.value("id", "")}, {"intervention", p.value("intervention", "")}};
    const json b = p.value("baseline", json::object()), x = p.value("exit", json::object());
    e["measure"] =
        b.is_object() && b.contains("measure") ? b["measure"] : x.value("measure", json(""));
    json points = json::array();
    if (b.is_object() && b.contains("value"))
      points.push_back({{"stage", "entry"}, {"value", b["value"]}, {"date", b.value("date", "")}});
    if (x.is_object() && x.contains("value"))
      points.push_back({{"stage", "exit"}, {"value", x["value"]}, {"date", x.value("date", "")}});
    e["points"] = points;
    scores.push_back(e);
  }
  pack["provision_scores"] = scores;

  // A timeline of the cycles, provision and reviews, in date order.
  json timeline = json::array();
  auto event = [&](const json& date, const std::string& what) {
    if (date.is_string() && !date.get<std::string>().empty())
      timeline.push_back({{"date", date}, {"event", what}});
  };
  for (const json& c : cycles) {
    const std::string n = "Cycle " + std::to_string(c.value("number", 0));
    event(c.value("start", json()), n + " began");
    event(c.value("completed", json()), n + " completed");
  }
  for (const json& p : provision) {
    event(p.value("start", json()), p.value("intervention", std::string("Provision")) + " began");
    event(p.value("end", json()), p.value("intervention", std::string("Provision")) + " ended");
  }
  for (const json& r : reviews)
    event(r.value("date", json()),
          r.contains("kind_label") ? r["kind_label"].get<std::string>() : std::string("Review"));
  if (s.contains("request_date")) event(s["request_date"], "Request for an EHC needs assessment");
  pack["timeline"] = SortedBy(timeline, "date");
  pack["not_included"] = not_included;
  return pack;
}

}  // namespace sendsync::la_portal
