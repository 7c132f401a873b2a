#include "sendsync/sdk/records.h"

#include <nlohmann/json.hpp>

#include "json_reader.h"

namespace sendsync::records {

using detail::JsonReader;
using nlohmann::json;

namespace {

const char* const kKindNames[] = {"pupil",  "sen",      "cycle",   "provision",
                                  "review", "referral", "ehc_plan"};

// Writers that omit absent optionals, so the JSON form stays minimal and stable.
void Put(json& j, const char* k, const std::string& v) {
  j[k] = v;
}
void Put(json& j, const char* k, const Date& v) {
  j[k] = v.ToString();
}
void Put(json& j, const char* k, const std::optional<std::string>& v) {
  if (v) j[k] = *v;
}
void Put(json& j, const char* k, const std::optional<Date>& v) {
  if (v) j[k] = v->ToString();
}
void Put(json& j, const char* k, const std::optional<int>& v) {
  if (v) j[k] = *v;
}
void PutList(json& j, const char* k, const std::vector<std::string>& v) {
  if (!v.empty()) j[k] = v;
}

void Envelope(json& j, Kind kind, const std::string& id) {
  j["kind"] = KindName(kind);
  if (!id.empty()) j["id"] = id;
}

void PutPupilRef(json& j, const PupilRef& p) {
  json r = json::object();
  if (!p.id.empty()) r["id"] = p.id;
  if (!p.upn.empty()) r["upn"] = p.upn;
  j["pupil"] = std::move(r);
}

json ContributionJson(const Contribution& c) {
  json j;
  Put(j, "role", c.role);
  Put(j, "name", c.name);
  Put(j, "date", c.date);
  Put(j, "summary", c.summary);
  Put(j, "report", c.report);
  return j;
}

void ReadContribution(JsonReader& r, Contribution& c) {
  r.Str("role", c.role);
  r.OptStr("name", c.name);
  r.OptDt("date", c.date);
  r.OptStr("summary", c.summary);
  r.OptStr("report", c.report);
  r.RejectUnknown({"role", "name", "date", "summary", "report"});
}

json MeasureJson(const Measure& m) {
  json j;
  Put(j, "measure", m.measure);
  Put(j, "value", m.value);
  Put(j, "date", m.date);
  return j;
}

void ReadMeasure(JsonReader& r, Measure& m) {
  r.Str("measure", m.measure);
  r.Str("value", m.value);
  r.OptDt("date", m.date);
  r.RejectUnknown({"measure", "value", "date"});
}

// Reads the envelope: checks "kind", reads "id" (required unless `id_optional`) and "pupil".
void ReadEnvelope(JsonReader& r, const json& j, Kind kind, std::string& id, PupilRef* pupil,
                  bool id_optional) {
  if (!r.is_object()) return;
  auto k = j.find("kind");
  if (k == j.end() || !k->is_string() || k->get<std::string>() != KindName(kind)) {
    r.Fail("kind", std::string("expected \"") + KindName(kind) + "\"");
  }
  if (id_optional)
    r.DefaultStr("id", id);
  else
    r.Str("id", id);
  if (!pupil) return;
  r.Object("pupil", true, [&](JsonReader& p) {
    p.DefaultStr("id", pupil->id);
    p.DefaultStr("upn", pupil->upn);
    p.RejectUnknown({"id", "upn"});
  });
  if (pupil->id.empty() && pupil->upn.empty() && j.contains("pupil"))
    r.Fail("pupil", "needs an id or a upn");
}

}  // namespace

const char* KindName(Kind kind) {
  return kKindNames[static_cast<int>(kind)];
}

std::optional<Kind> ParseKind(std::string_view name) {
  for (int i = 0; i < 7; ++i)
    if (name == kKindNames[i]) return static_cast<Kind>(i);
  return std::nullopt;
}

const std::vector<Kind>& AllKinds() {
  static const std::vector<Kind> kAll = {Kind::kPupil,     Kind::kSen,    Kind::kCycle,
                                         Kind::kProvision, Kind::kReview, Kind::kReferral,
                                         Kind::kEhcPlan};
  return kAll;
}

// ---- Pupil ----
static const std::vector<std::string> kPupilFields = {"upn",
                                                      "former_upn",
                                                      "uln",
                                                      "legal_surname",
                                                      "legal_forename",
                                                      "middle_names",
                                                      "preferred_surname",
                                                      "preferred_forename",
                                                      "dob",
                                                      "sex",
                                                      "nc_year",
                                                      "school_urn",
                                                      "laestab",
                                                      "on_roll_from",
                                                      "on_roll_to",
                                                      "home_la",
                                                      "eal",
                                                      "first_language",
                                                      "contacts",
                                                      "attendance",
                                                      "attainment"};

void ToJson(const Pupil& r, json& j) {
  j = json::object();
  Envelope(j, Kind::kPupil, r.id);
  Put(j, "upn", r.upn);
  Put(j, "former_upn", r.former_upn);
  Put(j, "uln", r.uln);
  Put(j, "legal_surname", r.legal_surname);
  Put(j, "legal_forename", r.legal_forename);
  Put(j, "middle_names", r.middle_names);
  Put(j, "preferred_surname", r.preferred_surname);
  Put(j, "preferred_forename", r.preferred_forename);
  Put(j, "dob", r.dob);
  Put(j, "sex", r.sex);
  Put(j, "nc_year", r.nc_year);
  Put(j, "school_urn", r.school_urn);
  Put(j, "laestab", r.laestab);
  Put(j, "on_roll_from", r.on_roll_from);
  Put(j, "on_roll_to", r.on_roll_to);
  Put(j, "home_la", r.home_la);
  if (r.eal) j["eal"] = *r.eal;
  Put(j, "first_language", r.first_language);
  if (!r.contacts.empty()) {
    json a = json::array();
    for (const Contact& c : r.contacts) {
      json e = {{"name", c.name},
                {"relationship", c.relationship},
                {"parental_responsibility", c.parental_responsibility}};
      Put(e, "phone", c.phone);
      Put(e, "email", c.email);
      Put(e, "address", c.address);
      a.push_back(std::move(e));
    }
    j["contacts"] = std::move(a);
  }
  if (!r.attendance.empty()) {
    json a = json::array();
    for (const AttendancePeriod& p : r.attendance)
      a.push_back({{"from", p.from.ToString()},
                   {"to", p.to.ToString()},
                   {"possible_sessions", p.possible_sessions},
                   {"attended_sessions", p.attended_sessions}});
    j["attendance"] = std::move(a);
  }
  if (!r.attainment.empty()) {
    json a = json::array();
    for (const Attainment& t : r.attainment) {
      json e = {{"subject", t.subject}, {"result", t.result}};
      Put(e, "assessment", t.assessment);
      Put(e, "date", t.date);
      a.push_back(std::move(e));
    }
    j["attainment"] = std::move(a);
  }
}

bool FromJson(const json& j, Pupil& out, Problems& problems) {
  size_t before = problems.size();
  JsonReader r(j, "", problems);
  ReadEnvelope(r, j, Kind::kPupil, out.id, nullptr, true);
  r.Str("upn", out.upn);
  r.OptStr("former_upn", out.former_upn);
  r.OptStr("uln", out.uln);
  r.Str("legal_surname", out.legal_surname);
  r.Str("legal_forename", out.legal_forename);
  r.OptStr("middle_names", out.middle_names);
  r.OptStr("preferred_surname", out.preferred_surname);
  r.OptStr("preferred_forename", out.preferred_forename);
  r.Dt("dob", out.dob);
  r.Str("sex", out.sex);
  r.OptStr("nc_year", out.nc_year);
  r.OptStr("school_urn", out.school_urn);
  r.OptStr("laestab", out.laestab);
  r.OptDt("on_roll_from", out.on_roll_from);
  r.OptDt("on_roll_to", out.on_roll_to);
  r.OptStr("home_la", out.home_la);
  if (j.is_object() && j.contains("eal")) {
    bool eal = false;
    r.Bool("eal", eal);
    out.eal = eal;
  }
  r.OptStr("first_language", out.first_language);
  r.List("contacts", false, [&](JsonReader& e) {
    Contact c;
    e.Str("name", c.name);
    e.Str("relationship", c.relationship);
    e.Bool("parental_responsibility", c.parental_responsibility);
    e.OptStr("phone", c.phone);
    e.OptStr("email", c.email);
    e.OptStr("address", c.address);
    e.RejectUnknown(
        {"name", "relationship", "parental_responsibility", "phone", "email", "address"});
    out.contacts.push_back(std::move(c));
  });
  r.List("attendance", false, [&](JsonReader& e) {
    AttendancePeriod p;
    e.Dt("from", p.from);
    e.Dt("to", p.to);
    e.Int("possible_sessions", p.possible_sessions, true);
    e.Int("attended_sessions", p.attended_sessions, true);
    e.RejectUnknown({"from", "to", "possible_sessions", "attended_sessions"});
    out.attendance.push_back(std::move(p));
  });
  r.List("attainment", false, [&](JsonReader& e) {
    Attainment t;
    e.Str("subject", t.subject);
    e.Str("result", t.result);
    e.OptStr("assessment", t.assessment);
    e.OptDt("date", t.date);
    e.RejectUnknown({"subject", "result", "assessment", "date"});
    out.attainment.push_back(std::move(t));
  });
  std::set<std::string> known(kPupilFields.begin(), kPupilFields.end());
  known.insert({"kind", "id", "updated_at"});
  r.RejectUnknown(known);
  return problems.size() == before;
}

// ---- Sen ----
static const std::vector<std::string> kSenFields = {
    "provision", "provision_start",     "local_status",     "needs",     "history",
    "sen_unit",  "resourced_provision", "parents_informed", "key_adult", "agencies"};

void ToJson(const Sen& r, json& j) {
  j = json::object();
  Envelope(j, Kind::kSen, "");
  PutPupilRef(j, r.pupil);
  Put(j, "provision", r.provision);
  Put(j, "provision_start", r.provision_start);
  Put(j, "local_status", r.local_status);
  json needs = json::array();
  for (const SenNeed& n : r.needs) {
    json e = {{"type", n.type}, {"rank", n.rank}};
    Put(e, "start", n.start);
    Put(e, "end", n.end);
    needs.push_back(std::move(e));
  }
  j["needs"] = std::move(needs);
  if (!r.history.empty()) {
    json h = json::array();
    for (const SenEpisode& e : r.history) {
      json x = {{"provision", e.provision}, {"start", e.start.ToString()}};
      Put(x, "end", e.end);
      h.push_back(std::move(x));
    }
    j["history"] = std::move(h);
  }
  j["sen_unit"] = r.sen_unit;
  j["resourced_provision"] = r.resourced_provision;
  Put(j, "parents_informed", r.parents_informed);
  Put(j, "key_adult", r.key_adult);
  if (!r.agencies.empty()) {
    json a = json::array();
    for (const Agency& g : r.agencies) {
      json e = {{"name", g.name}};
      Put(e, "from", g.from);
      Put(e, "to", g.to);
      a.push_back(std::move(e));
    }
    j["agencies"] = std::move(a);
  }
}

bool FromJson(const json& j, Sen& out, Problems& problems) {
  size_t before = problems.size();
  JsonReader r(j, "", problems);
  std::string ignored_id;
  ReadEnvelope(r, j, Kind::kSen, ignored_id, &out.pupil, true);
  r.Str("provision", out.provision);
  r.OptDt("provision_start", out.provision_start);
  r.OptStr("local_status", out.local_status);
  r.List("needs", false, [&](JsonReader& e) {
    SenNeed n;
    e.Str("type", n.type);
    e.Int("rank", n.rank, true);
    e.OptDt("start", n.start);
    e.OptDt("end", n.end);
    e.RejectUnknown({"type", "rank", "start", "end"});
    out.needs.push_back(std::move(n));
  });
  r.List("history", false, [&](JsonReader& e) {
    SenEpisode ep;
    e.Str("provision", ep.provision);
    e.Dt("start", ep.start);
    e.OptDt("end", ep.end);
    e.RejectUnknown({"provision", "start", "end"});
    out.history.push_back(std::move(ep));
  });
  r.Bool("sen_unit", out.sen_unit);
  r.Bool("resourced_provision", out.resourced_provision);
  r.OptDt("parents_informed", out.parents_informed);
  r.OptStr("key_adult", out.key_adult);
  r.List("agencies", false, [&](JsonReader& e) {
    Agency g;
    e.Str("name", g.name);
    e.OptDt("from", g.from);
    e.OptDt("to", g.to);
    e.RejectUnknown({"name", "from", "to"});
    out.agencies.push_back(std::move(g));
  });
  std::set<std::string> known(kSenFields.begin(), kSenFields.end());
  known.insert({"kind", "id", "pupil", "updated_at"});
  r.RejectUnknown(known);
  return problems.size() == before;
}

// ---- Cycle ----
static const std::vector<std::string> kCycleFields = {"stage_model",
                                                      "stage",
                                                      "start",
                                                      "assessment_summary",
                                                      "assessment_sources",
                                                      "outcomes",
                                                      "planned_provision",
                                                      "review_date",
                                                      "status",
                                                      "completed"};

void ToJson(const Cycle& r, json& j) {
  j = json::object();
  Envelope(j, Kind::kCycle, r.id);
  PutPupilRef(j, r.pupil);
  Put(j, "stage_model", r.stage_model);
  Put(j, "stage", r.stage);
  Put(j, "start", r.start);
  Put(j, "assessment_summary", r.assessment_summary);
  if (!r.assessment_sources.empty()) {
    json a = json::array();
    for (const auto& c : r.assessment_sources) a.push_back(ContributionJson(c));
    j["assessment_sources"] = std::move(a);
  }
  json outcomes = json::array();
  for (const Outcome& o : r.outcomes) {
    json oj = {{"id", o.id}, {"description", o.description}};
    json targets = json::array();
    for (const Target& t : o.targets) {
      json tj = {{"id", t.id},
                 {"description", t.description},
                 {"success_criteria", t.success_criteria},
                 {"progress", t.progress}};
      Put(tj, "due", t.due);
      targets.push_back(std::move(tj));
    }
    oj["targets"] = std::move(targets);
    outcomes.push_back(std::move(oj));
  }
  j["outcomes"] = std::move(outcomes);
  PutList(j, "planned_provision", r.planned_provision);
  Put(j, "review_date", r.review_date);
  Put(j, "status", r.status);
  Put(j, "completed", r.completed);
}

bool FromJson(const json& j, Cycle& out, Problems& problems) {
  size_t before = problems.size();
  JsonReader r(j, "", problems);
  ReadEnvelope(r, j, Kind::kCycle, out.id, &out.pupil, false);
  r.OptStr("stage_model", out.stage_model);
  r.OptStr("stage", out.stage);
  r.Dt("start", out.start);
  r.OptStr("assessment_summary", out.assessment_summary);
  r.List("assessment_sources", false, [&](JsonReader& e) {
    Contribution c;
    ReadContribution(e, c);
    out.assessment_sources.push_back(std::move(c));
  });
  r.List("outcomes", false, [&](JsonReader& e) {
    Outcome o;
    e.Str("id", o.id);
    e.Str("description", o.description);
    e.List("targets", false, [&](JsonReader& te) {
      Target t;
      te.Str("id", t.id);
      te.Str("description", t.description);
      te.DefaultStr("success_criteria", t.success_criteria);
      te.OptDt("due", t.due);
      te.DefaultStr("progress", t.progress);
      te.RejectUnknown({"id", "description", "success_criteria", "due", "progress"});
      o.targets.push_back(std::move(t));
    });
    e.RejectUnknown({"id", "description", "targets"});
    out.outcomes.push_back(std::move(o));
  });
  r.StrList("planned_provision", out.planned_provision);
  r.OptDt("review_date", out.review_date);
  r.DefaultStr("status", out.status);
  r.OptDt("completed", out.completed);
  std::set<std::string> known(kCycleFields.begin(), kCycleFields.end());
  known.insert({"kind", "id", "pupil", "updated_at"});
  r.RejectUnknown(known);
  return problems.size() == before;
}

// ---- Provision ----
static const std::vector<std::string> kProvisionFields = {"area",
                                                          "intervention",
                                                          "wave",
                                                          "group_size",
                                                          "delivery",
                                                          "sessions_per_week",
                                                          "minutes_per_session",
                                                          "staff_role",
                                                          "provider",
                                                          "start",
                                                          "end",
                                                          "parents_letter",
                                                          "hourly_rate",
                                                          "resources_cost",
                                                          "baseline",
                                                          "exit",
                                                          "target_ids",
                                                          "cycle_id"};

void ToJson(const Provision& r, json& j) {
  j = json::object();
  Envelope(j, Kind::kProvision, r.id);
  PutPupilRef(j, r.pupil);
  Put(j, "area", r.area);
  Put(j, "intervention", r.intervention);
  j["wave"] = r.wave;
  j["group_size"] = r.group_size;
  Put(j, "delivery", r.delivery);
  j["sessions_per_week"] = r.sessions_per_week;
  j["minutes_per_session"] = r.minutes_per_session;
  Put(j, "staff_role", r.staff_role);
  Put(j, "provider", r.provider);
  Put(j, "start", r.start);
  Put(j, "end", r.end);
  Put(j, "parents_letter", r.parents_letter);
  j["hourly_rate"] = r.hourly_rate;
  j["resources_cost"] = r.resources_cost;
  if (r.baseline) j["baseline"] = MeasureJson(*r.baseline);
  if (r.exit) j["exit"] = MeasureJson(*r.exit);
  PutList(j, "target_ids", r.target_ids);
  Put(j, "cycle_id", r.cycle_id);
}

bool FromJson(const json& j, Provision& out, Problems& problems) {
  size_t before = problems.size();
  JsonReader r(j, "", problems);
  ReadEnvelope(r, j, Kind::kProvision, out.id, &out.pupil, false);
  r.Str("area", out.area);
  r.Str("intervention", out.intervention);
  r.Int("wave", out.wave, true);
  r.Int("group_size", out.group_size, false);
  r.OptStr("delivery", out.delivery);
  r.Num("sessions_per_week", out.sessions_per_week, true);
  r.Int("minutes_per_session", out.minutes_per_session, true);
  r.OptStr("staff_role", out.staff_role);
  r.OptStr("provider", out.provider);
  r.Dt("start", out.start);
  r.OptDt("end", out.end);
  r.OptDt("parents_letter", out.parents_letter);
  r.Num("hourly_rate", out.hourly_rate, false);
  r.Num("resources_cost", out.resources_cost, false);
  r.Object("baseline", false, [&](JsonReader& m) {
    out.baseline.emplace();
    ReadMeasure(m, *out.baseline);
  });
  r.Object("exit", false, [&](JsonReader& m) {
    out.exit.emplace();
    ReadMeasure(m, *out.exit);
  });
  r.StrList("target_ids", out.target_ids);
  r.OptStr("cycle_id", out.cycle_id);
  std::set<std::string> known(kProvisionFields.begin(), kProvisionFields.end());
  known.insert({"kind", "id", "pupil", "updated_at"});
  r.RejectUnknown(known);
  return problems.size() == before;
}

// ---- Review ----
static const std::vector<std::string> kReviewFields = {"cycle_id",
                                                       "date",
                                                       "review_kind",
                                                       "attendees",
                                                       "pupil_voice",
                                                       "parent_voice",
                                                       "parents_met",
                                                       "progress",
                                                       "impact",
                                                       "decision",
                                                       "next_review",
                                                       "notice_sent",
                                                       "report_sent",
                                                       "la_decision_date",
                                                       "la_decision",
                                                       "proposals_sent",
                                                       "amended_plan_issued"};

void ToJson(const Review& r, json& j) {
  j = json::object();
  Envelope(j, Kind::kReview, r.id);
  PutPupilRef(j, r.pupil);
  Put(j, "cycle_id", r.cycle_id);
  Put(j, "date", r.date);
  Put(j, "review_kind", r.review_kind);
  if (!r.attendees.empty()) {
    json a = json::array();
    for (const auto& c : r.attendees) a.push_back(ContributionJson(c));
    j["attendees"] = std::move(a);
  }
  Put(j, "pupil_voice", r.pupil_voice);
  Put(j, "parent_voice", r.parent_voice);
  j["parents_met"] = r.parents_met;
  if (!r.progress.empty()) {
    json p = json::array();
    for (const auto& tp : r.progress) {
      json e = {{"target_id", tp.target_id}, {"progress", tp.progress}};
      Put(e, "note", tp.note);
      p.push_back(std::move(e));
    }
    j["progress"] = std::move(p);
  }
  Put(j, "impact", r.impact);
  Put(j, "decision", r.decision);
  Put(j, "next_review", r.next_review);
  Put(j, "notice_sent", r.notice_sent);
  Put(j, "report_sent", r.report_sent);
  Put(j, "la_decision_date", r.la_decision_date);
  Put(j, "la_decision", r.la_decision);
  Put(j, "proposals_sent", r.proposals_sent);
  Put(j, "amended_plan_issued", r.amended_plan_issued);
}

bool FromJson(const json& j, Review& out, Problems& problems) {
  size_t before = problems.size();
  JsonReader r(j, "", problems);
  ReadEnvelope(r, j, Kind::kReview, out.id, &out.pupil, false);
  r.OptStr("cycle_id", out.cycle_id);
  r.Dt("date", out.date);
  r.Str("review_kind", out.review_kind);
  r.List("attendees", false, [&](JsonReader& e) {
    Contribution c;
    ReadContribution(e, c);
    out.attendees.push_back(std::move(c));
  });
  r.OptStr("pupil_voice", out.pupil_voice);
  r.OptStr("parent_voice", out.parent_voice);
  r.Bool("parents_met", out.parents_met);
  r.List("progress", false, [&](JsonReader& e) {
    TargetProgress tp;
    e.Str("target_id", tp.target_id);
    e.Str("progress", tp.progress);
    e.OptStr("note", tp.note);
    e.RejectUnknown({"target_id", "progress", "note"});
    out.progress.push_back(std::move(tp));
  });
  r.OptStr("impact", out.impact);
  r.OptStr("decision", out.decision);
  r.OptDt("next_review", out.next_review);
  r.OptDt("notice_sent", out.notice_sent);
  r.OptDt("report_sent", out.report_sent);
  r.OptDt("la_decision_date", out.la_decision_date);
  r.OptStr("la_decision", out.la_decision);
  r.OptDt("proposals_sent", out.proposals_sent);
  r.OptDt("amended_plan_issued", out.amended_plan_issued);
  std::set<std::string> known(kReviewFields.begin(), kReviewFields.end());
  known.insert({"kind", "id", "pupil", "updated_at"});
  r.RejectUnknown(known);
  return problems.size() == before;
}

// ---- Referral ----
static const std::vector<std::string> kReferralFields = {
    "requester_role",   "request_source",  "requester_name",     "la",
    "request_date",     "cycle_ids",       "review_ids",         "provision_ids",
    "external_advice",  "parent_views",    "pupil_views",        "consent",
    "la_reference",     "status",          "received_date",      "decision_date",
    "decision",         "decision_reason", "draft_plan_date",    "final_plan_date",
    "no_plan_date",     "request_outcome", "assessment_outcome", "clock_exceptions",
    "client_reference", "reasons",         "unmet_needs"};

void ToJson(const Referral& r, json& j) {
  j = json::object();
  Envelope(j, Kind::kReferral, r.id);
  PutPupilRef(j, r.pupil);
  Put(j, "requester_role", r.requester_role);
  Put(j, "request_source", r.request_source);
  Put(j, "requester_name", r.requester_name);
  Put(j, "client_reference", r.client_reference);
  Put(j, "la", r.la);
  Put(j, "request_date", r.request_date);
  PutList(j, "cycle_ids", r.cycle_ids);
  PutList(j, "review_ids", r.review_ids);
  PutList(j, "provision_ids", r.provision_ids);
  if (!r.external_advice.empty()) {
    json a = json::array();
    for (const auto& c : r.external_advice) a.push_back(ContributionJson(c));
    j["external_advice"] = std::move(a);
  }
  Put(j, "parent_views", r.parent_views);
  Put(j, "pupil_views", r.pupil_views);
  Put(j, "reasons", r.reasons);
  Put(j, "unmet_needs", r.unmet_needs);
  json consent = {{"given", r.consent.given}};
  Put(consent, "date", r.consent.date);
  Put(consent, "by", r.consent.by);
  j["consent"] = std::move(consent);
  Put(j, "la_reference", r.la_reference);
  Put(j, "status", r.status);
  Put(j, "received_date", r.received_date);
  Put(j, "decision_date", r.decision_date);
  Put(j, "decision", r.decision);
  Put(j, "decision_reason", r.decision_reason);
  Put(j, "draft_plan_date", r.draft_plan_date);
  Put(j, "final_plan_date", r.final_plan_date);
  Put(j, "no_plan_date", r.no_plan_date);
  Put(j, "request_outcome", r.request_outcome);
  Put(j, "assessment_outcome", r.assessment_outcome);
  if (!r.clock_exceptions.empty()) {
    json a = json::array();
    for (const auto& e : r.clock_exceptions) {
      json x = {{"reason", e.reason}, {"from", e.from.ToString()}};
      Put(x, "to", e.to);
      a.push_back(std::move(x));
    }
    j["clock_exceptions"] = std::move(a);
  }
}

bool FromJson(const json& j, Referral& out, Problems& problems) {
  size_t before = problems.size();
  JsonReader r(j, "", problems);
  ReadEnvelope(r, j, Kind::kReferral, out.id, &out.pupil, false);
  r.Str("requester_role", out.requester_role);
  r.OptInt("request_source", out.request_source);
  r.OptStr("requester_name", out.requester_name);
  r.OptStr("client_reference", out.client_reference);
  r.OptStr("la", out.la);
  r.OptDt("request_date", out.request_date);
  r.StrList("cycle_ids", out.cycle_ids);
  r.StrList("review_ids", out.review_ids);
  r.StrList("provision_ids", out.provision_ids);
  r.List("external_advice", false, [&](JsonReader& e) {
    Contribution c;
    ReadContribution(e, c);
    out.external_advice.push_back(std::move(c));
  });
  r.OptStr("parent_views", out.parent_views);
  r.OptStr("pupil_views", out.pupil_views);
  r.OptStr("reasons", out.reasons);
  r.OptStr("unmet_needs", out.unmet_needs);
  r.Object("consent", false, [&](JsonReader& c) {
    c.Bool("given", out.consent.given);
    c.OptDt("date", out.consent.date);
    c.OptStr("by", out.consent.by);
    c.RejectUnknown({"given", "date", "by"});
  });
  r.OptStr("la_reference", out.la_reference);
  r.DefaultStr("status", out.status);
  r.OptDt("received_date", out.received_date);
  r.OptDt("decision_date", out.decision_date);
  r.OptStr("decision", out.decision);
  r.OptStr("decision_reason", out.decision_reason);
  r.OptDt("draft_plan_date", out.draft_plan_date);
  r.OptDt("final_plan_date", out.final_plan_date);
  r.OptDt("no_plan_date", out.no_plan_date);
  r.OptStr("request_outcome", out.request_outcome);
  r.OptStr("assessment_outcome", out.assessment_outcome);
  r.List("clock_exceptions", false, [&](JsonReader& e) {
    ClockException x;
    e.Str("reason", x.reason);
    e.Dt("from", x.from);
    e.OptDt("to", x.to);
    e.RejectUnknown({"reason", "from", "to"});
    out.clock_exceptions.push_back(std::move(x));
  });
  std::set<std::string> known(kReferralFields.begin(), kReferralFields.end());
  known.insert({"kind", "id", "pupil", "updated_at"});
  r.RejectUnknown(known);
  return problems.size() == before;
}

// ---- EhcPlan ----
static const std::vector<std::string> kEhcPlanFields = {
    "la",     "issued",       "named_setting", "last_annual_review", "next_annual_review",
    "ceased", "cease_reason", "referral_id"};

void ToJson(const EhcPlan& r, json& j) {
  j = json::object();
  Envelope(j, Kind::kEhcPlan, r.id);
  PutPupilRef(j, r.pupil);
  Put(j, "la", r.la);
  Put(j, "issued", r.issued);
  Put(j, "named_setting", r.named_setting);
  Put(j, "last_annual_review", r.last_annual_review);
  Put(j, "next_annual_review", r.next_annual_review);
  Put(j, "ceased", r.ceased);
  Put(j, "cease_reason", r.cease_reason);
  Put(j, "referral_id", r.referral_id);
}

bool FromJson(const json& j, EhcPlan& out, Problems& problems) {
  size_t before = problems.size();
  JsonReader r(j, "", problems);
  ReadEnvelope(r, j, Kind::kEhcPlan, out.id, &out.pupil, false);
  r.OptStr("la", out.la);
  r.Dt("issued", out.issued);
  r.OptStr("named_setting", out.named_setting);
  r.OptDt("last_annual_review", out.last_annual_review);
  r.OptDt("next_annual_review", out.next_annual_review);
  r.OptDt("ceased", out.ceased);
  r.OptInt("cease_reason", out.cease_reason);
  r.OptStr("referral_id", out.referral_id);
  std::set<std::string> known(kEhcPlanFields.begin(), kEhcPlanFields.end());
  known.insert({"kind", "id", "pupil", "updated_at"});
  r.RejectUnknown(known);
  return problems.size() == before;
}

const std::vector<std::string>& FieldNames(Kind kind) {
  switch (kind) {
    case Kind::kPupil:
      return kPupilFields;
    case Kind::kSen:
      return kSenFields;
    case Kind::kCycle:
      return kCycleFields;
    case Kind::kProvision:
      return kProvisionFields;
    case Kind::kReview:
      return kReviewFields;
    case Kind::kReferral:
      return kReferralFields;
    case Kind::kEhcPlan:
      return kEhcPlanFields;
  }
  return kPupilFields;
}

std::optional<Kind> CheckShape(const json& j, Problems& problems) {
  if (!j.is_object()) {
    problems.push_back({"$", "expected a JSON object"});
    return std::nullopt;
  }
  auto k = j.find("kind");
  std::optional<Kind> kind =
      (k != j.end() && k->is_string()) ? ParseKind(k->get<std::string>()) : std::nullopt;
  if (!kind) {
    problems.push_back({"kind", k == j.end() ? "is required" : "unknown record kind " + k->dump()});
    return std::nullopt;
  }
  bool ok = false;
  switch (*kind) {
    case Kind::kPupil: {
      Pupil v;
      ok = FromJson(j, v, problems);
      break;
    }
    case Kind::kSen: {
      Sen v;
      ok = FromJson(j, v, problems);
      break;
    }
    case Kind::kCycle: {
      Cycle v;
      ok = FromJson(j, v, problems);
      break;
    }
    case Kind::kProvision: {
      Provision v;
      ok = FromJson(j, v, problems);
      break;
    }
    case Kind::kReview: {
      Review v;
      ok = FromJson(j, v, problems);
      break;
    }
    case Kind::kReferral: {
      Referral v;
      ok = FromJson(j, v, problems);
      break;
    }
    case Kind::kEhcPlan: {
      EhcPlan v;
      ok = FromJson(j, v, problems);
      break;
    }
  }
  return ok ? kind : std::nullopt;
}

}  // namespace sendsync::records
