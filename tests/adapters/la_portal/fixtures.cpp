#include "fixtures.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>

namespace la_portal_test {

using sendsync::sims::LaPortalAuth;
using sendsync::sims::LaPortalSim;

namespace {

json Provision(const std::string& id, const std::string& cycle, const std::string& area,
               const std::string& intervention, int wave, int group, double sessions, int minutes,
               const std::string& staff, double rate, double resources, const std::string& start,
               const std::string& end) {
  json p = {{"kind", "provision"},
            {"id", id},
            {"pupil", {{"upn", "B801200005001"}}},
            {"area", area},
            {"intervention", intervention},
            {"wave", wave},
            {"group_size", group},
            {"delivery", group == 1 ? "withdrawal" : "in_class"},
            {"sessions_per_week", sessions},
            {"minutes_per_session", minutes},
            {"staff_role", staff},
            {"start", start},
            {"end", end},
            {"hourly_rate", rate},
            {"resources_cost", resources},
            {"cycle_id", cycle}};
  double per_week = rate * sessions * minutes / 60.0 / group + resources / 39.0;
  p["x_cost"] = {{"per_week", per_week}, {"per_term", per_week * 13}, {"per_year", per_week * 39}};
  return p;
}

}  // namespace

double ProvisionPerYear(const json& p) {
  return p["x_cost"]["per_year"].get<double>();
}

json ReferralRecord(const std::string& id) {
  return {
      {"kind", "referral"},
      {"id", id},
      {"client_reference", id},
      {"pupil", {{"upn", "B801200005001"}}},
      {"requester_role", "school"},
      {"request_source", 2},
      {"requester_name", "Ms A Patel, SENCO"},
      {"la", "820"},
      {"request_date", "2024-05-01"},
      {"cycle_ids", {"C1", "C2"}},
      {"review_ids", {"R1", "R2"}},
      {"provision_ids", {"P1", "P2", "P3"}},
      {"external_advice",
       {{{"role", "educational_psychologist"},
         {"name", "Dr J Okafor"},
         {"date", "2024-03-10"},
         {"summary",
          "Language processing well below age-related expectations; recommends daily "
          "structured language work and visual supports across the day."}},
        {{"role", "speech_and_language_therapist"},
         {"name", "NHS SLT service"},
         {"date", "2024-02-02"},
         {"summary", "Receptive and expressive language disorder; therapy programme set."}}}},
      {"parent_views",
       "We want Zoë to be understood and to have friends. She is anxious before school and "
       "tired afterwards; the small-group work has helped but she is still falling behind."},
      {"pupil_views", "I like drawing and the Lego club. Words get muddled when people talk fast."},
      {"consent", {{"given", true}, {"date", "2024-04-24"}, {"by", "parent"}}},
      {"status", "draft"}};
}

json ReadyContext() {
  json pupil = {{"kind", "pupil"},
                {"id", "P-17"},
                {"upn", "B801200005001"},
                {"legal_surname", "Łukasiewicz"},
                {"legal_forename", "Zoë"},
                {"dob", "2016-05-14"},
                {"sex", "F"},
                {"nc_year", "3"},
                {"school_urn", "100001"},
                {"laestab", "8201234"}};
  json sen = {{"kind", "sen"},
              {"pupil", {{"upn", "B801200005001"}}},
              {"provision", "K"},
              {"provision_start", "2023-09-05"},
              {"needs", {{{"type", "SLCN"}, {"rank", 1}}, {{"type", "SEMH"}, {"rank", 2}}}},
              {"sen_unit", false},
              {"resourced_provision", false}};
  json c1 = {{"kind", "cycle"},
             {"id", "C1"},
             {"pupil", {{"upn", "B801200005001"}}},
             {"stage_model", "four-part-cycle"},
             {"stage", "sen_support"},
             {"start", "2023-09-11"},
             {"assessment_summary",
              "Teacher assessment and the WellComm screen show language about 18 months below age; "
              "struggles to follow multi-step instructions."},
             {"assessment_sources",
              {{{"role", "teacher"}, {"name", "Mr D Evans"}, {"date", "2023-09-08"}},
               {{"role", "parent"}, {"date", "2023-09-08"}, {"summary", "Worried about speech."}}}},
             {"outcomes",
              {{{"id", "O1"},
                {"description", "Follows classroom instructions with support"},
                {"targets",
                 {{{"id", "T1"},
                   {"description", "Follows two-step instructions in class"},
                   {"success_criteria", "4 of 5 observed occasions"},
                   {"due", "2023-12-08"},
                   {"progress", "partially_achieved"}}}}}}},
             {"planned_provision", {"P1"}},
             {"review_date", "2023-12-12"},
             {"status", "completed"},
             {"completed", "2023-12-15"}};
  json c2 = {{"kind", "cycle"},
             {"id", "C2"},
             {"pupil", {{"upn", "B801200005001"}}},
             {"stage_model", "four-part-cycle"},
             {"stage", "sen_support_external"},
             {"start", "2024-01-08"},
             {"assessment_summary",
              "Progress slower than hoped; speech and language therapy and educational psychology "
              "advice sought."},
             {"outcomes",
              {{{"id", "O2"},
                {"description", "Explains her ideas in a sentence"},
                {"targets",
                 {{{"id", "T2"},
                   {"description", "Uses 'because' to join ideas when retelling a story"},
                   {"success_criteria", "3 retellings in a fortnight"},
                   {"due", "2024-04-19"},
                   {"progress", "not_achieved"}}}}},
               {{"id", "O3"},
                {"description", "Manages worries at the start of the day"},
                {"targets",
                 {{{"id", "T3"},
                   {"description", "Settles within 10 minutes using her calm box"},
                   {"success_criteria", "4 mornings a week"},
                   {"due", "2024-04-19"},
                   {"progress", "in_progress"}}}}}}},
             {"planned_provision", {"P1", "P2", "P3"}},
             {"review_date", "2024-04-23"},
             {"status", "completed"},
             {"completed", "2024-04-26"}};
  json r1 = {{"kind", "review"},
             {"id", "R1"},
             {"pupil", {{"upn", "B801200005001"}}},
             {"cycle_id", "C1"},
             {"date", "2023-12-12"},
             {"review_kind", "sen_support"},
             {"attendees", {{{"role", "senco"}, {"name", "Ms A Patel"}}, {{"role", "parent"}}}},
             {"pupil_voice", "I like Talk Boost because we play games."},
             {"parent_voice", "She talks more at home but still gets frustrated."},
             {"parents_met", true},
             {"progress", {{{"target_id", "T1"}, {"progress", "partially_achieved"}}}},
             {"impact", "Some gains in attention; instructions still hard."},
             {"decision", "escalate"},
             {"next_review", "2024-04-23"}};
  json r2 = {{"kind", "review"},
             {"id", "R2"},
             {"pupil", {{"upn", "B801200005001"}}},
             {"cycle_id", "C2"},
             {"date", "2024-04-23"},
             {"review_kind", "sen_support"},
             {"attendees",
              {{{"role", "senco"}, {"name", "Ms A Patel"}},
               {{"role", "parent"}},
               {{"role", "speech_and_language_therapist"}, {"name", "NHS SLT service"}}}},
             {"pupil_voice", "Words are hard. I like it when Mrs Khan draws it for me."},
             {"parent_voice", "We agree it is time to ask for an EHC needs assessment."},
             {"parents_met", true},
             {"progress",
              {{{"target_id", "T2"}, {"progress", "not_achieved"}, {"note", "Uses 'and' only."}},
               {{"target_id", "T3"}, {"progress", "in_progress"}}}},
             {"impact", "Needs exceed what the school can provide from its own resources."},
             {"decision", "request_ehc_assessment"}};
  json provision = {Provision("P1", "C1", "CI", "Talk Boost small-group language programme", 2, 4,
                              3, 30, "teaching_assistant", 18.5, 120, "2023-09-18", "2024-04-19"),
                    Provision("P2", "C2", "CI", "Speech and language therapy programme, 1:1", 3, 1,
                              2, 30, "teaching_assistant", 18.5, 240, "2024-01-15", "2024-04-19"),
                    Provision("P3", "C2", "SEMH", "ELSA emotional literacy sessions", 3, 1, 1, 45,
                              "elsa", 21, 60, "2024-01-15", "2024-04-19")};
  json readiness = {{"ready", true},
                    {"items",
                     {{{"id", "completed_cycles"},
                       {"label", "At least two completed Assess, Plan, Do, Review cycles"},
                       {"met", true},
                       {"evidence", {"cycle:C1", "cycle:C2"}}},
                      {{"id", "costed_provision"},
                       {"label", "Costed provision map"},
                       {"met", true},
                       {"evidence", {"provision:P1", "provision:P2", "provision:P3"}}},
                      {{"id", "consent"}, {"label", "Consent to share"}, {"met", true}}}}};
  return {{"pupil", pupil},
          {"sen", sen},
          {"cycles", {c1, c2}},
          {"reviews", {r1, r2}},
          {"provision", provision},
          {"plans", json::array()},
          {"readiness", readiness},
          {"force", false},
          {"school",
           {{"urn", "100001"}, {"laestab", "8201234"}, {"name", "Brookside Primary School"}}}};
}

json ApiKeyConfig(LaPortalSim& sim) {
  LaPortalAuth a;
  a.mode = "api_key";
  a.api_key = "test-api-key-0123456789";
  sim.SetAuth(a);
  return {{"base_url", sim.base_url()},
          {"la", "820"},
          {"auth", {{"type", "api_key"}, {"key", a.api_key}}},
          {"timeout_ms", 5000}};
}

json OAuthConfig(LaPortalSim& sim, int ttl) {
  LaPortalAuth a;
  a.mode = "oauth2";
  a.client_id = "school-100001";
  a.client_secret = "s3cr3t-client-value-xyz";
  a.token_ttl_seconds = ttl;
  sim.SetAuth(a);
  return {{"base_url", sim.base_url()},
          {"la", "820"},
          {"auth",
           {{"type", "oauth2"},
            {"token_url", sim.token_url()},
            {"client_id", a.client_id},
            {"client_secret", a.client_secret}}},
          {"timeout_ms", 5000}};
}

Adapter::Adapter(const json& config) {
  caller_ = sendsync::testkit::OpenInProcess(PLUGIN_PATH, config.dump(), &error_);
}

Adapter::Reply Adapter::Call(const std::string& method, const json& request) {
  auto r = caller_->Call(method, request.dump());
  json body = json::parse(r.body, nullptr, false);
  return {r.status, body};
}

Adapter::Reply Adapter::Write(const json& record, const json& context, const std::string& key,
                              const std::string& remote_id) {
  json change = {{"key", key}, {"op", "upsert"}, {"record", record}};
  if (!context.is_null()) change["context"] = context;
  if (!remote_id.empty()) change["remote_id"] = remote_id;
  return Call("write", {{"kind", "referral"}, {"changes", {change}}});
}

json Adapter::WriteOne(const json& record, const json& context, const std::string& key,
                       const std::string& remote_id) {
  Reply r = Write(record, context, key, remote_id);
  EXPECT_EQ(r.status, 0) << r.body.dump();
  if (r.status != 0 || !r.body.contains("results") || r.body["results"].size() != 1)
    return json::object();
  return r.body["results"][0];
}

json Adapter::ReadAll(const std::string& kind, const std::string& cursor, std::string* last,
                      json* rejects, size_t limit) {
  json all = json::array();
  std::string cur = cursor;
  for (int page = 0; page < 1000; ++page) {
    Reply r = Call("read", {{"kind", kind}, {"cursor", cur}, {"limit", limit}});
    EXPECT_EQ(r.status, 0) << r.body.dump();
    if (r.status != 0) break;
    for (const json& rec : r.body["records"]) all.push_back(rec);
    if (rejects && r.body.contains("rejects"))
      for (const json& x : r.body["rejects"]) rejects->push_back(x);
    cur = r.body["next_cursor"].get<std::string>();
    if (!r.body["more"].get<bool>()) break;
  }
  if (last) *last = cur;
  return all;
}

std::unique_ptr<LaPortalSim> StartSim(sendsync::sims::LaPortalSimOptions o) {
  if (!o.today) o.today = sendsync::Date(2024, 5, 1);
  auto sim = std::make_unique<LaPortalSim>(o);
  auto st = sim->Start();
  EXPECT_TRUE(st.ok()) << st.ToString();
  return sim;
}

std::string SimReferralId(LaPortalSim& sim, const std::string& client_reference) {
  for (const json& r : sim.Referrals())
    if (r["client_reference"] == client_reference) return r["id"];
  return "";
}

int RunCommand(const std::string& command, std::string* out) {
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return -1;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0)
    if (out) out->append(buf.data(), n);
  int rc = ::pclose(p);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

}  // namespace la_portal_test
