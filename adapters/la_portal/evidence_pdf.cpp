#include "evidence_pdf.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>

#include "pdf_document.h"
#include "sendsync/sdk/date.h"

namespace sendsync::la_portal {

using nlohmann::json;

namespace {

// A field as text: strings as they are, numbers and booleans printed, anything else "".
std::string S(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  if (it == j.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<long long>());
  if (it->is_number()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", it->get<double>());
    return buf;
  }
  if (it->is_boolean()) return it->get<bool>() ? "yes" : "no";
  return "";
}

json L(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_array()) return json::array();
  return j[key];
}

json O(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_object()) return json::object();
  return j[key];
}

// "educational_psychologist" -> "Educational psychologist"; "senco" -> "SENCO".
std::string Human(std::string s) {
  static const char* kAcronyms[] = {"sen", "senco", "ta",  "elsa", "slt",
                                    "ehc", "camhs", "nhs", "apdr", "send"};
  std::string out, word;
  auto flush = [&]() {
    for (const char* a : kAcronyms)
      if (word == a)
        for (char& c : word) c = static_cast<char>(c - 'a' + 'A');
    out += word;
    word.clear();
  };
  for (char c : s) {
    if (c == '_' || c == ' ') {
      flush();
      out += ' ';
    } else {
      word += c;
    }
  }
  flush();
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z')
    out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out;
}

std::string YearGroup(const std::string& nc) {
  if (nc == "N1") return "Nursery 1";
  if (nc == "N2") return "Nursery 2";
  if (nc == "R") return "Reception";
  if (nc == "X") return "Not following the national curriculum";
  if (!nc.empty()) return "Year " + nc;
  return "";
}

std::string Join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const auto& p : parts) {
    if (p.empty()) continue;
    out += (out.empty() ? "" : sep) + p;
  }
  return out;
}

std::string Contributor(const json& c) {
  std::string who = Human(S(c, "role"));
  if (!S(c, "name").empty()) who += " (" + S(c, "name") + ")";
  if (!S(c, "date").empty()) who += ", " + LongDate(S(c, "date"));
  return who;
}

void TitlePage(PdfDocument& pdf, const json& pack) {
  const json pupil = O(pack, "pupil"), school = O(pack, "school"), req = O(pack, "requester");
  pdf.Space(40);
  pdf.Title(S(pack, "title"));
  pdf.Subheading(S(pack, "subtitle"));
  pdf.Space(16);
  pdf.Subheading("The child or young person");
  if (!S(pupil, "name").empty()) pdf.Field("Name", S(pupil, "name"));
  std::string legal =
      Join({S(pupil, "legal_forename"), S(pupil, "middle_names"), S(pupil, "legal_surname")}, " ");
  if (!legal.empty() && legal != S(pupil, "name")) pdf.Field("Legal name", legal);
  if (!S(pupil, "dob").empty()) pdf.Field("Date of birth", LongDate(S(pupil, "dob")));
  if (!S(pupil, "upn").empty()) pdf.Field("UPN", S(pupil, "upn"));
  if (!S(pupil, "uln").empty()) pdf.Field("ULN", S(pupil, "uln"));
  if (!S(pupil, "nc_year").empty()) pdf.Field("Year group", YearGroup(S(pupil, "nc_year")));
  pdf.Space(6);
  pdf.Subheading("School or setting");
  if (!S(school, "name").empty()) pdf.Field("Name", S(school, "name"));
  if (!S(school, "urn").empty()) pdf.Field("URN", S(school, "urn"));
  if (!S(school, "laestab").empty()) pdf.Field("LAESTAB", S(school, "laestab"));
  pdf.Space(6);
  pdf.Subheading("The request");
  std::string by = S(req, "role_label").empty() ? Human(S(req, "role")) : S(req, "role_label");
  if (!S(req, "name").empty()) by += " — " + S(req, "name");
  pdf.Field("Requested by", by);
  if (!S(req, "request_source_label").empty())
    pdf.Field("Source (SEN2)", S(req, "request_source") + " " + S(req, "request_source_label"));
  pdf.Field("Local authority", S(pack, "la_name").empty()
                                   ? "LA " + S(pack, "la")
                                   : S(pack, "la_name") + " (LA " + S(pack, "la") + ")");
  if (!S(pack, "request_date").empty())
    pdf.Field("Request date", LongDate(S(pack, "request_date")));
  pdf.Field("School's reference", S(pack, "client_reference"));
  pdf.Field("Pack prepared on", LongDate(S(pack, "prepared_on")));
  pdf.Space(10);

  const json cycles = L(pack, "cycles"), items = L(O(pack, "provision_map"), "items");
  std::string summary =
      "This pack holds " + std::to_string(cycles.size()) + " Assess, Plan, Do, Review cycle" +
      (cycles.size() == 1 ? "" : "s") + " (" + S(pack, "cycles_completed") + " completed), " +
      std::to_string(L(pack, "reviews").size()) + " review" +
      (L(pack, "reviews").size() == 1 ? "" : "s") + ", " + std::to_string(items.size()) +
      " provision item" + (items.size() == 1 ? "" : "s");
  const json map = O(pack, "provision_map");
  if (map.contains("current_per_year") && map["current_per_year"].is_number())
    summary += " (current provision " + Money(map["current_per_year"].get<double>()) + " a year; " +
               Money(map.value("to_date", 0.0)) + " spent to date)";
  summary += " and " + std::to_string(L(pack, "external_advice").size()) + " piece" +
             (L(pack, "external_advice").size() == 1 ? "" : "s") +
             " of advice from outside the school.";
  pdf.Paragraph(summary);
  const json readiness = O(pack, "readiness");
  if (readiness.contains("ready")) {
    size_t met = 0, all = 0;
    for (const json& i : L(readiness, "items")) {
      ++all;
      met += i.value("met", false) ? 1 : 0;
    }
    if (readiness.value("ready", false))
      pdf.Paragraph("The school's readiness check found everything an LA expects: " +
                    std::to_string(met) + " of " + std::to_string(all) + " items met.");
    else
      pdf.Paragraph(
          "An administrator sent this request although the school's readiness check "
          "found " +
          std::to_string(all - met) + " of " + std::to_string(all) +
          " items not met (see section 8).");
  }
  pdf.Space(10);
  pdf.Note(
      "This document contains special category personal data about a child. Share it only "
      "with the people who need it to decide on this request, and keep it as your data "
      "protection policy requires. The same content is attached as evidence.json.");
}

void Needs(PdfDocument& pdf, const json& pack) {
  pdf.Heading("1. Special educational needs");
  const json needs = O(pack, "needs");
  if (needs.empty()) {
    pdf.Paragraph("The school's data-sharing settings did not include the pupil's SEN record.");
    return;
  }
  std::string status = S(needs, "provision_label");
  if (!S(needs, "provision").empty()) status += " (census code " + S(needs, "provision") + ")";
  if (!S(needs, "provision_start").empty())
    status += " since " + LongDate(S(needs, "provision_start"));
  pdf.Field("SEN status", status);
  for (const json& n : L(needs, "needs")) {
    std::string rank = n.value("rank", 0) == 1 ? "Primary need" : "Secondary need";
    pdf.Field(rank, S(n, "label") + " (" + S(n, "type") + ")" +
                        (S(n, "area").empty() ? "" : " — " + S(n, "area")));
  }
}

void Cycles(PdfDocument& pdf, const json& pack, const json& reviews) {
  pdf.Heading("2. The graduated approach: Assess, Plan, Do, Review");
  const json cycles = L(pack, "cycles");
  if (cycles.empty()) {
    pdf.Paragraph("No Assess, Plan, Do, Review cycles are included.");
    return;
  }
  pdf.Paragraph(
      "Each cycle below shows what the school assessed, the outcomes and SMART targets "
      "it planned with the family, the provision it put in place, and when it reviewed "
      "them.");
  std::map<std::string, std::string> review_dates;
  for (const json& r : reviews) review_dates[S(r, "id")] = LongDate(S(r, "date"));
  for (const json& c : cycles) {
    std::string when = LongDate(S(c, "start"));
    if (!S(c, "completed").empty()) when += " to " + LongDate(S(c, "completed"));
    pdf.Subheading("Cycle " + S(c, "number") + ": " + when + " (" + Human(S(c, "status")) + ")");
    if (!S(c, "stage").empty())
      pdf.Field("Stage", Human(S(c, "stage")) +
                             (S(c, "stage_model").empty() ? "" : " (" + S(c, "stage_model") + ")"));
    pdf.Field("Assess", S(c, "assessment_summary").empty() ? "No summary recorded."
                                                           : S(c, "assessment_summary"));
    for (const json& src : L(c, "assessment_sources"))
      pdf.Bullet(Contributor(src) + (S(src, "summary").empty() ? "" : ": " + S(src, "summary")));
    const json outcomes = L(c, "outcomes");
    if (!outcomes.empty()) {
      pdf.Field("Plan", "Outcomes and targets agreed:");
      for (const json& o : outcomes) {
        pdf.Bullet("Outcome: " + S(o, "description"));
        std::vector<std::vector<std::string>> rows;
        for (const json& t : L(o, "targets"))
          rows.push_back({S(t, "description"), S(t, "success_criteria"), LongDate(S(t, "due")),
                          S(t, "progress_label")});
        if (!rows.empty())
          pdf.Table({{"Target", 3.2}, {"Success criteria", 2.6}, {"Due", 1.3}, {"Progress", 1.3}},
                    rows);
      }
    }
    std::vector<std::string> planned;
    for (const json& p : L(c, "planned_provision"))
      planned.push_back(S(p, "intervention").empty() ? S(p, "id") : S(p, "intervention"));
    if (!planned.empty()) pdf.Field("Do", Join(planned, "; "));
    if (!S(c, "review_date").empty()) pdf.Field("Review date", LongDate(S(c, "review_date")));
    std::vector<std::string> held;
    for (const json& id : L(c, "review_ids"))
      if (id.is_string() && review_dates.count(id.get<std::string>()))
        held.push_back(review_dates[id.get<std::string>()]);
    if (!held.empty()) pdf.Field("Reviewed", Join(held, "; ") + " (see section 4)");
  }
}

void ProvisionMap(PdfDocument& pdf, const json& pack) {
  pdf.Heading("3. Provision map");
  const json map = O(pack, "provision_map");
  const json items = L(map, "items");
  if (items.empty()) {
    pdf.Paragraph("No provision is included.");
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const json& p : items) {
    std::string time;
    if (!S(p, "sessions_per_week").empty())
      time = S(p, "sessions_per_week") + " × " + S(p, "minutes_per_session") + " min a week";
    std::string group =
        S(p, "group_size").empty()
            ? ""
            : (S(p, "group_size") == "1" ? "1:1" : "group of " + S(p, "group_size"));
    if (!S(p, "delivery").empty()) {
      std::string d = Human(S(p, "delivery"));
      if (!group.empty()) d[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(d[0])));
      group += (group.empty() ? "" : ", ") + d;
    }
    std::string dates = LongDate(S(p, "start"));
    if (!S(p, "end").empty()) dates += " to " + LongDate(S(p, "end"));
    const json cost = O(p, "cost");
    rows.push_back(
        {S(p, "intervention"),
         Join({S(p, "area_label"), S(p, "wave").empty() ? "" : "wave " + S(p, "wave")}, ", "),
         group, time, Join({Human(S(p, "staff_role")), S(p, "provider")}, ", "), dates,
         cost.contains("per_year") && cost["per_year"].is_number()
             ? Money(cost["per_year"].get<double>()) + (p.value("current", true) ? "" : " (ended)")
             : "not costed",
         p.contains("cost_to_date") && p["cost_to_date"].is_number()
             ? Money(p["cost_to_date"].get<double>())
             : ""});
  }
  const bool total = map.contains("current_per_year") && map["current_per_year"].is_number();
  if (total)
    rows.push_back({"Totals: current provision a year; all provision to date", "", "", "", "", "",
                    Money(map["current_per_year"].get<double>()),
                    Money(map.value("to_date", 0.0))});
  pdf.Table({{"Intervention", 2.0},
             {"Area", 1.6},
             {"Group", 1.2},
             {"Time", 1.1},
             {"Staff", 1.2},
             {"Dates", 1.4},
             {"Cost a year", 1.2, true},
             {"Cost to date", 1.2, true}},
            rows, total);
  pdf.Note(
      "Costs are the school's own figures: staff time at the hourly rate, divided by the "
      "group size, plus resources. Cost a year is the item's yearly rate; current provision is "
      "what is running on the request date. Cost to date is the yearly rate for the part of a "
      "year each item ran, to its end or the request date.");
  for (const json& p : items) {
    const json b = O(p, "baseline"), e = O(p, "exit");
    if (b.empty() && e.empty()) continue;
    std::string text = S(p, "intervention") + ": ";
    if (!b.empty())
      text += S(b, "measure") + " " + S(b, "value") +
              (S(b, "date").empty() ? "" : " (" + LongDate(S(b, "date")) + ")");
    if (!e.empty())
      text += std::string(b.empty() ? "" : " → ") + S(e, "measure") + " " + S(e, "value") +
              (S(e, "date").empty() ? "" : " (" + LongDate(S(e, "date")) + ")");
    pdf.Bullet(text);
  }
}

void Reviews(PdfDocument& pdf, const json& pack) {
  pdf.Heading("4. Reviews, with the child's and the parents' views");
  const json reviews = L(pack, "reviews");
  if (reviews.empty()) {
    pdf.Paragraph("No reviews are included.");
    return;
  }
  for (const json& r : reviews) {
    pdf.Subheading(LongDate(S(r, "date")) +
                   (S(r, "kind_label").empty() ? "" : " — " + S(r, "kind_label")));
    std::vector<std::string> who;
    for (const json& a : L(r, "attendees")) who.push_back(Contributor(a));
    if (!who.empty()) pdf.Field("Attended", Join(who, "; "));
    if (r.contains("parents_met"))
      pdf.Field("Met with parents", r.value("parents_met", false) ? "Yes" : "No");
    std::vector<std::vector<std::string>> rows;
    // The target as its own cycle words it (BuildEvidencePack looked it up); its id when the
    // cycle is not in the pack.
    for (const json& tp : L(r, "progress"))
      rows.push_back({S(tp, "target").empty() ? "Target " + S(tp, "target_id") : S(tp, "target"),
                      S(tp, "progress_label"), S(tp, "note")});
    if (!rows.empty()) pdf.Table({{"Target", 3.4}, {"Progress", 1.3}, {"Note", 3.3}}, rows);
    if (!S(r, "impact").empty()) pdf.Field("Impact", S(r, "impact"));
    if (!S(r, "pupil_voice").empty()) pdf.Field("The child's view", S(r, "pupil_voice"));
    if (!S(r, "parent_voice").empty()) pdf.Field("The parents' view", S(r, "parent_voice"));
    if (!S(r, "decision_label").empty()) pdf.Field("Decision", S(r, "decision_label"));
    if (!S(r, "next_review").empty()) pdf.Field("Next review", LongDate(S(r, "next_review")));
  }
}

void Rest(PdfDocument& pdf, const json& pack) {
  pdf.Heading("5. Advice from professionals outside the school");
  const json advice = L(pack, "external_advice");
  if (advice.empty()) pdf.Paragraph("No external advice is included.");
  for (const json& a : advice) {
    pdf.Subheading(Contributor(a));
    if (!S(a, "summary").empty()) pdf.Paragraph(S(a, "summary"));
  }

  pdf.Heading("6. The views of the parents and of the child");
  pdf.Subheading("Parents");
  pdf.Paragraph(S(pack, "parent_views").empty() ? "Not included." : S(pack, "parent_views"));
  pdf.Subheading("The child or young person");
  pdf.Paragraph(S(pack, "pupil_views").empty() ? "Not included." : S(pack, "pupil_views"));

  pdf.Heading("7. Consent to share information");
  const json consent = O(pack, "consent");
  if (consent.empty()) {
    pdf.Paragraph("Not included.");
  } else {
    pdf.Field("Consent given", consent.value("given", false) ? "Yes" : "No");
    if (!S(consent, "by").empty()) pdf.Field("Given by", Human(S(consent, "by")));
    if (!S(consent, "date").empty()) pdf.Field("Date", LongDate(S(consent, "date")));
  }

  pdf.Heading("8. Readiness checklist");
  const json readiness = O(pack, "readiness");
  if (readiness.empty()) {
    pdf.Paragraph("No readiness check was included.");
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const json& i : L(readiness, "items"))
    rows.push_back({S(i, "label"), i.value("met", false) ? "Met" : "Not met", S(i, "missing")});
  if (!rows.empty())
    pdf.Table({{"What an LA expects", 3.6}, {"Result", 1.0}, {"What is missing", 3.4}}, rows);
  if (readiness.value("forced", false))
    pdf.Note("An administrator chose to send this request although some items were not met.");
}

void ChildAndFamily(PdfDocument& pdf, const json& pack) {
  pdf.Heading("9. The child and family");
  const json fam = O(pack, "family");
  pdf.Field("Home LA", S(fam, "home_la").empty() ? "Not included" : "LA " + S(fam, "home_la"));
  pdf.Field("English as an additional language",
            !fam.contains("eal") ? "Not included" : (fam.value("eal", false) ? "Yes" : "No"));
  if (!S(fam, "first_language").empty()) pdf.Field("First language", S(fam, "first_language"));
  std::vector<std::vector<std::string>> rows;
  for (const json& c : L(fam, "contacts"))
    rows.push_back({S(c, "name"), Human(S(c, "relationship")),
                    c.value("parental_responsibility", false) ? "Yes" : "No",
                    Join({S(c, "phone"), S(c, "email"), S(c, "address")}, "; ")});
  pdf.Subheading("Parents and carers");
  if (rows.empty())
    pdf.Paragraph("Not included.");
  else
    pdf.Table(
        {{"Name", 2.0}, {"Relationship", 1.4}, {"Parental responsibility", 1.4}, {"Contact", 3.2}},
        rows);
  pdf.Subheading("Attendance");
  rows.clear();
  for (const json& a : L(pack, "attendance"))
    rows.push_back({LongDate(S(a, "from")) + " to " + LongDate(S(a, "to")),
                    S(a, "possible_sessions"), S(a, "attended_sessions"),
                    S(a, "percent").empty() ? "" : S(a, "percent") + "%"});
  if (rows.empty())
    pdf.Paragraph("Not included.");
  else
    pdf.Table({{"Period", 3.4},
               {"Sessions possible", 1.5, true},
               {"Attended", 1.5, true},
               {"Attendance", 1.4, true}},
              rows);
  pdf.Subheading("Attainment");
  rows.clear();
  for (const json& a : L(pack, "attainment"))
    rows.push_back({S(a, "subject"), S(a, "result"), S(a, "assessment"), LongDate(S(a, "date"))});
  if (rows.empty())
    pdf.Paragraph("Not included.");
  else
    pdf.Table({{"Subject", 2.0}, {"Result", 1.6}, {"Assessment", 2.6}, {"Date", 1.6}}, rows);
}

// A score as a number when the whole text is one ("84", "7.5"); scores such as "7y 2m" are not.
std::optional<double> Number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(v) || v < 0) return std::nullopt;
  return v;
}

// Each provision's numeric scores, entry then exit, as bars with their numbers beside them.
void ScoreChart(PdfDocument& pdf, const json& pack) {
  std::vector<PdfDocument::Bars> bars;
  for (const json& p : L(pack, "provision_scores")) {
    PdfDocument::Bars b;
    b.label = S(p, "intervention") + (S(p, "measure").empty() ? "" : " — " + S(p, "measure"));
    for (const json& pt : L(p, "points")) {
      auto v = Number(S(pt, "value"));
      if (!v) continue;
      b.values.push_back({*v, (S(pt, "stage") == "entry" ? "entry " : "exit ") + S(pt, "value")});
    }
    if (!b.values.empty()) bars.push_back(std::move(b));
  }
  if (bars.empty()) return;
  pdf.Subheading("Chart: each provision's scores, entry to exit");
  pdf.BarChart(bars);
}

// The cycles, provision and reviews on one time axis, from the earliest date to the request.
void TimelineChart(PdfDocument& pdf, const json& pack) {
  struct Item {
    std::string label;
    std::optional<Date> from, to;
  };
  std::vector<Item> items;
  const std::string on =
      S(pack, "request_date").empty() ? S(pack, "prepared_on") : S(pack, "request_date");
  const std::optional<Date> until = Date::Parse(on);
  for (const json& c : L(pack, "cycles")) {
    std::string end = S(c, "completed").empty() ? S(c, "review_date") : S(c, "completed");
    items.push_back({"Cycle " + S(c, "number"), Date::Parse(S(c, "start")),
                     end.empty() ? until : Date::Parse(end)});
  }
  for (const json& p : L(O(pack, "provision_map"), "items"))
    items.push_back({S(p, "intervention"), Date::Parse(S(p, "start")),
                     S(p, "end").empty() ? until : Date::Parse(S(p, "end"))});
  for (const json& r : L(pack, "reviews"))
    items.push_back(
        {"Review " + LongDate(S(r, "date")), Date::Parse(S(r, "date")), Date::Parse(S(r, "date"))});
  std::optional<Date> lo, hi;
  for (const Item& i : items) {
    if (!i.from) continue;
    const Date to = i.to && *i.to >= *i.from ? *i.to : *i.from;
    if (!lo || *i.from < *lo) lo = i.from;
    if (!hi || to > *hi) hi = to;
  }
  if (!lo || !hi) return;
  const double span = static_cast<double>(std::max(1L, lo->DaysUntil(*hi)));
  std::vector<PdfDocument::Span> spans;
  for (const Item& i : items) {
    if (!i.from) continue;
    const Date to = i.to && *i.to >= *i.from ? *i.to : *i.from;
    spans.push_back({i.label, static_cast<double>(lo->DaysUntil(*i.from)) / span,
                     static_cast<double>(lo->DaysUntil(to)) / span});
  }
  pdf.Subheading("Chart: timeline of cycles, provision and reviews");
  pdf.SpanChart(spans, "from " + LongDate(lo->ToString()), "to " + LongDate(hi->ToString()));
}

void Decision(PdfDocument& pdf, const json& pack) {
  pdf.Heading("10. The school's reasons for the request");
  pdf.Subheading("Why the school is asking");
  pdf.Paragraph(S(pack, "reasons").empty() ? "Not included." : S(pack, "reasons"));
  pdf.Subheading("What the school cannot provide from its own resources");
  pdf.Paragraph(S(pack, "unmet_needs").empty() ? "Not included." : S(pack, "unmet_needs"));

  pdf.Heading("11. Professional reports attached");
  const json reports = L(pack, "reports");
  if (reports.empty()) pdf.Paragraph("No professional reports are attached.");
  for (const json& r : reports)
    pdf.Bullet(S(r, "title") + " — " + S(r, "filename") + " (" + Human(S(r, "category")) + ")");

  pdf.Heading("12. Scores over time and timeline");
  ScoreChart(pdf, pack);
  TimelineChart(pdf, pack);
  std::vector<std::vector<std::string>> rows;
  for (const json& p : L(pack, "provision_scores")) {
    std::string entry, exit;
    for (const json& pt : L(p, "points")) {
      std::string v = S(pt, "value") + (S(pt, "date").empty() ? "" : " (" + S(pt, "date") + ")");
      (S(pt, "stage") == "entry" ? entry : exit) = v;
    }
    rows.push_back({S(p, "intervention"), S(p, "measure"), entry, exit});
  }
  pdf.Subheading("Each provision's scores, entry to exit");
  if (rows.empty())
    pdf.Paragraph("No provision has entry or exit scores.");
  else
    pdf.Table({{"Intervention", 2.2}, {"Measure", 2.2}, {"Entry", 1.8}, {"Exit", 1.8}}, rows);
  rows.clear();
  for (const json& e : L(pack, "timeline")) rows.push_back({LongDate(S(e, "date")), S(e, "event")});
  pdf.Subheading("Timeline of cycles, provision and reviews");
  if (rows.empty())
    pdf.Paragraph("Nothing dated is included.");
  else
    pdf.Table({{"Date", 2.0}, {"What happened", 6.0}}, rows);

  const json missing = L(pack, "not_included");
  if (!missing.empty()) {
    pdf.Heading("13. Not included in this request");
    pdf.Paragraph(
        "The school's records or its data-sharing settings did not provide the following; "
        "ask the school for them if the decision needs them:");
    for (const json& m : missing)
      if (m.is_string()) pdf.Bullet(m.get<std::string>());
  }
}

}  // namespace

std::string LongDate(const std::string& iso) {
  static const char* kMonths[] = {"January",   "February", "March",    "April",
                                  "May",       "June",     "July",     "August",
                                  "September", "October",  "November", "December"};
  auto d = Date::Parse(iso);
  if (!d) return iso;
  return std::to_string(d->day()) + " " + kMonths[d->month() - 1] + " " + std::to_string(d->year());
}

std::string Money(double pounds) {
  long long pence = std::llround(pounds * 100);
  bool negative = pence < 0;
  if (negative) pence = -pence;
  std::string whole = std::to_string(pence / 100);
  for (int i = static_cast<int>(whole.size()) - 3; i > 0; i -= 3)
    whole.insert(static_cast<size_t>(i), ",");
  char frac[4];
  std::snprintf(frac, sizeof frac, "%02lld", pence % 100);
  return std::string(negative ? "-" : "") + "£" + whole + "." + frac;
}

Result<EvidencePdf> RenderEvidencePdf(const json& pack, const std::string& fonts_dir) {
  auto doc = PdfDocument::Create(fonts_dir, "Evidence pack: request for an EHC needs assessment");
  if (!doc.ok()) return doc.status();
  PdfDocument& pdf = **doc;
  TitlePage(pdf, pack);
  pdf.NewPage();
  Needs(pdf, pack);
  Cycles(pdf, pack, L(pack, "reviews"));
  ProvisionMap(pdf, pack);
  Reviews(pdf, pack);
  Rest(pdf, pack);
  ChildAndFamily(pdf, pack);
  Decision(pdf, pack);
  const std::string name = S(O(pack, "pupil"), "name");
  auto bytes = pdf.Finish(Join(
      {name, S(pack, "client_reference"), "Confidential: special category personal data"}, " · "));
  if (!bytes.ok()) return bytes.status();
  return EvidencePdf{std::move(*bytes), pdf.unicode()};
}

Result<EvidencePdf> RenderReportPdf(const json& report, const json& pack,
                                    const std::string& fonts_dir) {
  auto doc = PdfDocument::Create(fonts_dir, S(report, "title"));
  if (!doc.ok()) return doc.status();
  PdfDocument& pdf = **doc;
  pdf.Title(S(report, "title"));
  const json pupil = O(pack, "pupil");
  if (!S(pupil, "name").empty()) pdf.Field("Child or young person", S(pupil, "name"));
  if (!S(pupil, "dob").empty()) pdf.Field("Date of birth", LongDate(S(pupil, "dob")));
  pdf.Field("Author's role", S(report, "role_label"));
  if (!S(report, "name").empty()) pdf.Field("Author", S(report, "name"));
  if (!S(report, "date").empty()) pdf.Field("Date", LongDate(S(report, "date")));
  pdf.Field("Request", S(pack, "client_reference"));
  if (!S(report, "summary").empty()) pdf.Field("Summary", S(report, "summary"));
  pdf.Heading("Report");
  pdf.Paragraph(S(report, "text"));
  auto bytes = pdf.Finish(Join({S(pupil, "name"), S(pack, "client_reference"),
                                "Confidential: special category personal data"},
                               " · "));
  if (!bytes.ok()) return bytes.status();
  return EvidencePdf{std::move(*bytes), pdf.unicode()};
}

}  // namespace sendsync::la_portal
