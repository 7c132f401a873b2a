// Test builders: valid canonical records for one pupil, to be bent into the case under test, and
// helpers to look for issue codes and clocks.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "core/domain/domain.h"

namespace sendsync::domain::testing {

inline Date D(const char* iso) {
  return *Date::Parse(iso);
}

inline records::Pupil MakePupil() {
  records::Pupil p;
  p.id = "S1";
  p.upn = "B801200005001";
  p.legal_surname = "Ng";
  p.legal_forename = "Ada";
  p.dob = D("2014-03-02");
  p.sex = "F";
  p.nc_year = "6";
  return p;
}

inline records::Sen MakeSen(std::string provision = "K") {
  records::Sen s;
  s.pupil = {"S1", "B801200005001"};
  s.provision = std::move(provision);
  s.provision_start = D("2023-09-04");
  if (s.provision != "N") s.needs.push_back({"SLCN", 1, std::nullopt, std::nullopt});
  return s;
}

inline records::Target MakeTarget(std::string id) {
  records::Target t;
  t.id = std::move(id);
  t.description = "Reads a short paragraph aloud";
  t.success_criteria = "Reads 40 words a minute with 95% accuracy";
  t.due = D("2024-12-13");
  return t;
}

inline records::Cycle MakeCycle(std::string id = "C1", const char* start = "2024-09-09",
                                const char* review = "2024-12-09") {
  records::Cycle c;
  c.id = std::move(id);
  c.pupil = {"S1", "B801200005001"};
  c.start = D(start);
  c.review_date = D(review);
  records::Outcome o;
  o.id = c.id + "-O1";
  o.description = "Reads with confidence";
  records::Target t = MakeTarget(c.id + "-T1");
  t.due = c.review_date;
  o.targets.push_back(t);
  c.outcomes.push_back(o);
  return c;
}

inline records::Provision MakeProvision(std::string id = "P1") {
  records::Provision p;
  p.id = std::move(id);
  p.pupil = {"S1", "B801200005001"};
  p.area = "CL";
  p.intervention = "Reading catch-up";
  p.wave = 2;
  p.group_size = 3;
  p.delivery = "withdrawal";
  p.sessions_per_week = 3;
  p.minutes_per_session = 30;
  p.staff_role = "ta";
  p.start = D("2024-09-09");
  p.hourly_rate = 18;
  p.resources_cost = 39;
  return p;
}

inline records::Review MakeReview(std::string id, std::string cycle, const char* date) {
  records::Review r;
  r.id = std::move(id);
  r.pupil = {"S1", "B801200005001"};
  r.cycle_id = cycle;
  r.date = D(date);
  r.review_kind = "sen_support";
  r.parents_met = true;
  r.progress.push_back({cycle + "-T1", "partially_achieved", std::nullopt});
  return r;
}

inline records::Referral MakeReferral(std::string id = "F1") {
  records::Referral r;
  r.id = std::move(id);
  r.pupil = {"S1", "B801200005001"};
  r.requester_role = "school";
  r.request_source = 2;
  r.la = "801";
  r.request_date = D("2025-01-10");
  r.status = "received";
  r.received_date = D("2025-01-15");
  r.consent = {true, D("2025-01-08"), std::string("parent")};
  return r;
}

inline records::EhcPlan MakePlan(std::string id = "EHC1", const char* issued = "2024-03-01") {
  records::EhcPlan p;
  p.id = std::move(id);
  p.pupil = {"S1", "B801200005001"};
  p.la = "801";
  p.issued = D(issued);
  return p;
}

inline bool HasCode(const std::vector<Issue>& issues, std::string_view code) {
  return std::any_of(issues.begin(), issues.end(), [&](const Issue& i) { return i.code == code; });
}

inline const Issue* FindCode(const std::vector<Issue>& issues, std::string_view code) {
  for (const Issue& i : issues)
    if (i.code == code) return &i;
  return nullptr;
}

inline std::string Codes(const std::vector<Issue>& issues) {
  std::string s;
  for (const Issue& i : issues) s += FormatIssue(i) + "\n";
  return s;
}

inline std::vector<DueItem> ClocksNamed(const std::vector<DueItem>& items, std::string_view id) {
  std::vector<DueItem> out;
  for (const DueItem& i : items)
    if (i.clock == id) out.push_back(i);
  return out;
}

inline std::string Describe(const std::vector<DueItem>& items) {
  std::string s;
  for (const DueItem& i : items)
    s += i.clock + " " + i.record_kind + ":" + i.record_id + " due " + i.due.ToString() + " " +
         i.state + " (" + i.detail + ")\n";
  return s;
}

}  // namespace sendsync::domain::testing
