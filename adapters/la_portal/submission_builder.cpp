#include "submission_builder.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace sendsync::la_portal {

using nlohmann::json;

namespace {

// Copies src[from] to dst[to] when present and not null.
void Copy(const json& src, json& dst, const char* from, const char* to = nullptr) {
  if (!src.is_object()) return;
  auto it = src.find(from);
  if (it != src.end() && !it->is_null()) dst[to ? to : from] = *it;
}

json Section(const json& context, const char* key) {
  if (!context.is_object()) return nullptr;
  auto it = context.find(key);
  return it == context.end() ? json(nullptr) : *it;
}

json Contribution(const json& c) {
  json out = json::object();
  for (const char* k : {"role", "name", "date", "summary"}) Copy(c, out, k);
  return out;
}

json Contributions(const json& list) {
  json out = json::array();
  if (list.is_array())
    for (const json& c : list) out.push_back(Contribution(c));
  return out;
}

// The records of `list` the referral names in `ids`; all of them when it names none.
json Selected(const json& list, const json& record, const char* ids_key) {
  json out = json::array();
  if (!list.is_array()) return out;
  const json ids = record.value(ids_key, json::array());
  for (const json& r : list) {
    if (!r.is_object()) continue;
    if (!ids.empty() && std::find(ids.begin(), ids.end(), r.value("id", json())) == ids.end())
      continue;
    out.push_back(r);
  }
  return out;
}

json Cycle(const json& c) {
  json out = json::object();
  for (const char* k : {"id", "stage_model", "stage", "start", "status", "completed", "review_date",
                        "assessment_summary", "planned_provision"})
    Copy(c, out, k);
  if (c.contains("assessment_sources"))
    out["assessment_sources"] = Contributions(c["assessment_sources"]);
  if (c.contains("outcomes") && c["outcomes"].is_array()) {
    json outcomes = json::array();
    for (const json& o : c["outcomes"]) {
      json oj = json::object();
      Copy(o, oj, "id");
      Copy(o, oj, "description");
      json targets = json::array();
      for (const json& t : o.value("targets", json::array())) {
        json tj = json::object();
        for (const char* k : {"id", "description", "due", "progress"}) Copy(t, tj, k);
        if (!t.value("success_criteria", std::string()).empty())
          tj["success_criteria"] = t["success_criteria"];
        targets.push_back(tj);
      }
      if (!targets.empty()) oj["targets"] = targets;
      outcomes.push_back(oj);
    }
    out["outcomes"] = outcomes;
  }
  return out;
}

json Review(const json& r) {
  json out = json::object();
  for (const char* k : {"id", "cycle_id", "date", "pupil_voice", "parent_voice", "parents_met",
                        "impact", "decision", "next_review"})
    Copy(r, out, k);
  Copy(r, out, "review_kind", "kind");
  if (r.contains("attendees")) out["attendees"] = Contributions(r["attendees"]);
  if (r.contains("progress") && r["progress"].is_array()) {
    json p = json::array();
    for (const json& tp : r["progress"]) {
      json e = json::object();
      for (const char* k : {"target_id", "progress", "note"}) Copy(tp, e, k);
      p.push_back(e);
    }
    out["progress"] = p;
  }
  return out;
}

double Round2(double v) {
  return std::round(v * 100.0) / 100.0;
}

json Provision(const json& p, double* per_year) {
  json out = json::object();
  for (const char* k : {"id", "cycle_id", "area", "intervention", "wave", "group_size", "delivery",
                        "sessions_per_week", "minutes_per_session", "staff_role", "provider",
                        "start", "end", "hourly_rate", "resources_cost", "target_ids"})
    Copy(p, out, k);
  for (const char* k : {"baseline", "exit"}) {
    if (!p.contains(k) || !p[k].is_object()) continue;
    json m = json::object();
    for (const char* f : {"measure", "value", "date"}) Copy(p[k], m, f);
    out[k] = m;
  }
  *per_year = -1;
  if (p.contains("x_cost") && p["x_cost"].is_object()) {
    json cost = json::object();
    for (const char* k : {"per_week", "per_term", "per_year"})
      if (p["x_cost"].contains(k) && p["x_cost"][k].is_number())
        cost[k] = Round2(p["x_cost"][k].get<double>());
    if (cost.contains("per_year")) {
      out["cost"] = cost;
      *per_year = cost["per_year"].get<double>();
    }
  }
  return out;
}

// Sorts `list` by a date field (missing dates last, ties in their order), gives each entry the
// id `prefix`1, `prefix`2, … and returns old id -> new id.
std::map<std::string, std::string> NumberBy(json& list, const char* date, const char* prefix) {
  std::stable_sort(list.begin(), list.end(), [&](const json& a, const json& b) {
    return a.value(date, std::string("9999")) < b.value(date, std::string("9999"));
  });
  std::map<std::string, std::string> ids;
  int n = 0;
  for (json& e : list) {
    const std::string fresh = prefix + std::to_string(++n);
    if (e.contains("id") && e["id"].is_string()) ids[e["id"].get<std::string>()] = fresh;
    e["id"] = fresh;
  }
  return ids;
}

// Rewrites e[key] (an id) through `ids`; a reference to a record not in the submission is
// dropped rather than sent as the hub's id.
void Remap(json& e, const char* key, const std::map<std::string, std::string>& ids) {
  if (!e.contains(key)) return;
  auto it = e[key].is_string() ? ids.find(e[key].get<std::string>()) : ids.end();
  if (it == ids.end())
    e.erase(key);
  else
    e[key] = it->second;
}

// The hub's ids (h71, …) mean nothing to the LA and must not leave the hub in a request: the
// cycles, reviews and provision are numbered in date order (C1, R1, P1, …, as the evidence pack
// names them) and every reference between them rewritten. Outcome and target ids are the
// school's own and stay.
void Renumber(json& cycles, json& reviews, json& provision) {
  const auto cycle_ids = NumberBy(cycles, "start", "C");
  NumberBy(reviews, "date", "R");
  const auto provision_ids = NumberBy(provision, "start", "P");
  for (json& c : cycles) {
    if (!c.contains("planned_provision") || !c["planned_provision"].is_array()) continue;
    json planned = json::array();
    for (const json& id : c["planned_provision"]) {
      auto it = id.is_string() ? provision_ids.find(id.get<std::string>()) : provision_ids.end();
      if (it != provision_ids.end()) planned.push_back(it->second);
    }
    c["planned_provision"] = planned;
  }
  for (json& r : reviews) Remap(r, "cycle_id", cycle_ids);
  for (json& p : provision) Remap(p, "cycle_id", cycle_ids);
}

}  // namespace

std::optional<std::string> NotReadyReason(const json& context) {
  if (context.is_object() && context.value("force", false) == true) return std::nullopt;
  json readiness = Section(context, "readiness");
  if (!readiness.is_object() || !readiness.contains("ready") || !readiness["ready"].is_boolean())
    return "the host sent no readiness check with this referral, so it cannot be shown to be "
           "ready; an admin can force it";
  if (readiness["ready"].get<bool>()) return std::nullopt;
  // A request made by the parent or young person (CFA 2014 s36): the checklist is advice only.
  if (readiness.contains("gate") && readiness["gate"] == false) return std::nullopt;
  std::string missing;
  for (const json& item : readiness.value("items", json::array())) {
    if (!item.is_object() || item.value("met", false)) continue;
    std::string m = item.value("missing", std::string());
    if (m.empty()) m = item.value("label", item.value("id", std::string("an unnamed check")));
    missing += (missing.empty() ? "" : "; ") + m;
  }
  if (missing.empty()) missing = "the readiness check failed without saying why";
  return "not ready for an EHC needs-assessment request: " + missing +
         ". Complete these, or have an admin force the request";
}

Result<json> BuildSubmission(const json& record, const json& context, const std::string& la) {
  if (!record.is_object() || record.value("kind", "") != "referral")
    return Status::InvalidArgument("the change's record is not a referral");
  // The hub's own id ("h17") is unique only inside one hub; two schools' hubs can both have an
  // h17 at the same LA. The client reference the hub gave the request on submission is unique
  // per requester, as the API requires.
  const std::string id =
      record.contains("client_reference") && record["client_reference"].is_string()
          ? record["client_reference"].get<std::string>()
          : "";
  if (id.empty())
    return Status::InvalidArgument(
        "the referral has no client_reference, the reference the LA knows it by (the hub gives "
        "one when the request is submitted with sendsync referral submit; a link whose "
        "allow-list for referral leaves client_reference out cannot send requests)");
  if (record.contains("la") && record["la"].is_string() && record["la"] != la)
    return Status::InvalidArgument("the referral is for LA " + record["la"].get<std::string>() +
                                   " but this link submits to LA " + la);
  json s = {{"client_reference", id}, {"la", la}};
  Copy(record, s, "request_date");

  // Pupil: what the host let leave the hub; the record's own UPN when the context has none.
  json pupil = json::object();
  const json ctx_pupil = Section(context, "pupil");
  for (const char* k :
       {"upn", "former_upn", "uln", "legal_surname", "legal_forename", "middle_names",
        "preferred_surname", "preferred_forename", "dob", "sex", "nc_year"})
    Copy(ctx_pupil, pupil, k);
  if (!pupil.contains("upn") && record.contains("pupil")) Copy(record["pupil"], pupil, "upn");
  s["pupil"] = pupil;

  // The child's family and home, attendance and attainment: what the link's allow-list for the
  // pupil lets leave the hub (none of it by default; an admin allows it, and the hub sends it
  // only with the family's consent).
  json family = json::object();
  for (const char* k : {"home_la", "eal", "first_language"}) Copy(ctx_pupil, family, k);
  if (ctx_pupil.is_object() && ctx_pupil.contains("contacts") && ctx_pupil["contacts"].is_array()) {
    json contacts = json::array();
    for (const json& c : ctx_pupil["contacts"]) {
      json e = json::object();
      for (const char* k :
           {"name", "relationship", "parental_responsibility", "phone", "email", "address"})
        Copy(c, e, k);
      contacts.push_back(e);
    }
    if (!contacts.empty()) family["contacts"] = contacts;
  }
  if (!family.empty()) s["family"] = family;
  for (const char* list : {"attendance", "attainment"}) {
    if (!ctx_pupil.is_object() || !ctx_pupil.contains(list) || !ctx_pupil[list].is_array() ||
        ctx_pupil[list].empty())
      continue;
    json out = json::array();
    for (const json& e : ctx_pupil[list]) {
      json x = json::object();
      for (const char* k : {"from", "to", "possible_sessions", "attended_sessions", "subject",
                            "result", "assessment", "date"})
        Copy(e, x, k);
      out.push_back(x);
    }
    s[list] = out;
  }

  json school = json::object();
  const json ctx_school = Section(context, "school");
  for (const char* k : {"urn", "laestab", "name"}) Copy(ctx_school, school, k);
  if (!school.contains("urn")) Copy(ctx_pupil, school, "school_urn", "urn");
  if (!school.contains("laestab")) Copy(ctx_pupil, school, "laestab");
  s["school"] = school;

  json requester = json::object();
  Copy(record, requester, "requester_role", "role");
  Copy(record, requester, "request_source");
  Copy(record, requester, "requester_name", "name");
  s["requester"] = requester;

  const json sen = Section(context, "sen");
  if (sen.is_object()) {
    json out = json::object();
    Copy(sen, out, "provision");
    Copy(sen, out, "provision_start");
    if (sen.contains("needs") && sen["needs"].is_array()) {
      json needs = json::array();
      for (const json& n : sen["needs"]) {
        json e = json::object();
        Copy(n, e, "type");
        Copy(n, e, "rank");
        needs.push_back(e);
      }
      out["needs"] = needs;
    }
    s["sen"] = out;
  }

  json evidence = {{"cycles", json::array()}};
  json cycles = json::array(), reviews = json::array(), provision = json::array();
  for (const json& c : Selected(Section(context, "cycles"), record, "cycle_ids"))
    cycles.push_back(Cycle(c));
  for (const json& r : Selected(Section(context, "reviews"), record, "review_ids"))
    reviews.push_back(Review(r));
  double total = 0;
  bool costed = false;
  for (const json& p : Selected(Section(context, "provision"), record, "provision_ids")) {
    double per_year = -1;
    provision.push_back(Provision(p, &per_year));
    if (per_year >= 0) {
      total += per_year;
      costed = true;
    }
  }
  Renumber(cycles, reviews, provision);
  evidence["cycles"] = cycles;
  if (!reviews.empty()) evidence["reviews"] = reviews;
  if (!provision.empty()) evidence["provision"] = provision;
  if (costed) evidence["provision_total_per_year"] = Round2(total);
  s["evidence"] = evidence;

  if (record.contains("external_advice"))
    s["external_advice"] = Contributions(record["external_advice"]);
  Copy(record, s, "parent_views");
  Copy(record, s, "pupil_views");
  Copy(record, s, "reasons");
  Copy(record, s, "unmet_needs");
  if (record.contains("consent") && record["consent"].is_object()) {
    json consent = json::object();
    for (const char* k : {"given", "date", "by"}) Copy(record["consent"], consent, k);
    s["consent"] = consent;
  }

  const json readiness = Section(context, "readiness");
  if (readiness.is_object() && readiness.contains("ready")) {
    json out = {{"ready", readiness["ready"]}, {"items", json::array()}};
    const bool forced = context.value("force", false) == true && readiness["ready"] == false;
    out["forced"] = forced;
    for (const json& item : readiness.value("items", json::array())) {
      json e = json::object();
      for (const char* k : {"id", "label", "met"}) Copy(item, e, k);
      if (!item.value("met", true) && !item.value("missing", std::string()).empty())
        e["missing"] = item["missing"];
      out["items"].push_back(e);
    }
    s["readiness"] = out;
  }
  return s;
}

}  // namespace sendsync::la_portal
