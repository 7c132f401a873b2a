// Reading the LA's decisions back: the simulator's calendar plays the LA (decision on time, late,
// more information requested, not to assess, plan issued), and the adapter's records carry the
// dates the hub's statutory clocks run from.
#include <gtest/gtest.h>

#include "core/domain/domain.h"
#include "fixtures.h"

using namespace la_portal_test;

namespace {

// Submits the fixture referral under `scenario` on 1 May 2024 and lets `days` pass.
struct Scenario {
  std::unique_ptr<sendsync::sims::LaPortalSim> sim;
  std::unique_ptr<Adapter> adapter;
  std::string id;

  Scenario(const std::string& scenario, int days) {
    sim = StartSim();
    adapter = std::make_unique<Adapter>(ApiKeyConfig(*sim));
    EXPECT_TRUE(
        sim->AddScript({{"match", {{"client_reference", "REF-2024-0001"}}}, {"scenario", scenario}})
            .ok());
    id = adapter->WriteOne(ReferralRecord(), ReadyContext(), "key-1").value("remote_id", "");
    EXPECT_FALSE(id.empty());
    EXPECT_TRUE(sim->Advance(days).ok());
  }
  // The referral's latest record after reading everything.
  json Latest() {
    std::string last;
    json all = adapter->ReadAll("referral", "", &last);
    EXPECT_FALSE(all.empty());
    return all.empty() ? json::object() : all.back();
  }
};

}  // namespace

TEST(Read, ReceivedReferralCarriesTheLaReferenceAndReceivedDate) {
  Scenario s("manual", 0);
  json r = s.Latest();
  EXPECT_EQ(r["kind"], "referral");
  EXPECT_EQ(r["id"], s.id);
  EXPECT_EQ(r["pupil"]["upn"], "B801200005001");
  EXPECT_EQ(r["status"], "received");
  EXPECT_EQ(r["received_date"], "2024-05-01");
  EXPECT_EQ(r["request_outcome"], "A");
  EXPECT_EQ(r["la_reference"].get<std::string>().rfind("EHC-820-2024-", 0), 0u);
  EXPECT_FALSE(r.contains("decision_date"));
  EXPECT_EQ(r["requester_role"], "school");
  EXPECT_EQ(r["request_source"], 2);
  // The school's own reference, by which the host knows a referral whose answer was lost.
  EXPECT_EQ(r["client_reference"], "REF-2024-0001");
}

TEST(Read, RecordsPassTheHubsValidation) {
  Scenario s("on_time", 140);
  std::string last;
  for (const char* kind : {"referral", "ehc_plan"}) {
    json records = s.adapter->ReadAll(kind, "", &last, nullptr, 1);
    ASSERT_FALSE(records.empty()) << kind;
    for (const json& r : records)
      for (const auto& issue : sendsync::domain::ValidateJson(r))
        EXPECT_NE(issue.severity, sendsync::domain::Severity::kError)
            << kind << " " << r.dump() << ": " << sendsync::domain::FormatIssue(issue);
  }
}

TEST(Read, DecisionToAssessOnTime) {
  Scenario s("on_time", 36);
  json r = s.Latest();
  EXPECT_EQ(r["status"], "assessing");
  EXPECT_EQ(r["decision"], "assess");
  EXPECT_EQ(r["decision_date"], "2024-06-05");  // day 35, inside the 6 weeks (day 42)
  EXPECT_EQ(r["request_outcome"], "Y");
  EXPECT_EQ(r["assessment_outcome"], "A");
}

TEST(Read, LateDecisionCarriesItsRealDate) {
  Scenario s("late_decision", 60);
  json r = s.Latest();
  EXPECT_EQ(r["status"], "assessing");
  EXPECT_EQ(r["decision_date"], "2024-06-20");  // day 50: after the 6-week limit of 12 June
  EXPECT_EQ(r["received_date"], "2024-05-01");
}

TEST(Read, MoreInformationRequestedThenDecision) {
  Scenario s("more_information", 20);
  json r = s.Latest();
  EXPECT_EQ(r["status"], "more_info_requested");
  EXPECT_FALSE(r.contains("decision_date"));
  ASSERT_TRUE(s.sim->Advance(25).ok());
  r = s.Latest();
  EXPECT_EQ(r["status"], "assessing");
  EXPECT_EQ(r["decision_date"], "2024-06-10");  // day 40
}

TEST(Read, DecisionNotToAssessWithReason) {
  Scenario s("not_to_assess", 40);
  json r = s.Latest();
  EXPECT_EQ(r["status"], "not_assessing");
  EXPECT_EQ(r["decision"], "not_assess");
  EXPECT_EQ(r["decision_date"], "2024-06-08");  // day 38
  EXPECT_EQ(r["request_outcome"], "N");
  EXPECT_FALSE(r.value("decision_reason", "").empty());
  EXPECT_FALSE(r.contains("assessment_outcome"));
}

TEST(Read, FinalPlanIssuedGivesPlanDatesAndAnEhcPlanRecord) {
  Scenario s("on_time", 140);
  json r = s.Latest();
  EXPECT_EQ(r["status"], "plan_issued");
  EXPECT_EQ(r["draft_plan_date"], "2024-08-21");  // day 112
  EXPECT_EQ(r["final_plan_date"], "2024-09-11");  // day 133, inside 20 weeks (day 140)
  EXPECT_EQ(r["assessment_outcome"], "Y");
  std::string last;
  json plans = s.adapter->ReadAll("ehc_plan", "", &last);
  ASSERT_EQ(plans.size(), 1u);
  EXPECT_EQ(plans[0]["kind"], "ehc_plan");
  EXPECT_EQ(plans[0]["issued"], "2024-09-11");
  EXPECT_EQ(plans[0]["la"], "820");
  EXPECT_EQ(plans[0]["pupil"]["upn"], "B801200005001");
  EXPECT_EQ(plans[0]["referral_id"], s.id);
  EXPECT_EQ(plans[0]["named_setting"], "Current school");
  EXPECT_EQ(plans[0]["next_annual_review"], "2025-09-11");
}

TEST(Read, DecisionNotToIssueAPlan) {
  Scenario s("no_plan", 110);
  json r = s.Latest();
  EXPECT_EQ(r["status"], "no_plan");
  EXPECT_EQ(r["no_plan_date"], "2024-08-14");  // day 105, inside 16 weeks (day 112)
  EXPECT_EQ(r["assessment_outcome"], "N");
}

TEST(Read, ClockExceptionsAreCarried) {
  Scenario s("manual", 0);
  ASSERT_TRUE(s.sim
                  ->ScriptReferral(s.id, {{"steps",
                                           {{{"day", 20},
                                             {"action", "clock_exception"},
                                             {"reason", "school_closure"},
                                             {"from_day", 70},
                                             {"to_day", 112}}}}})
                  .ok());
  ASSERT_TRUE(s.sim->Advance(21).ok());
  json r = s.Latest();
  ASSERT_EQ(r["clock_exceptions"].size(), 1u);
  EXPECT_EQ(r["clock_exceptions"][0]["reason"], "school_closure");
  EXPECT_EQ(r["clock_exceptions"][0]["from"], "2024-07-10");
  EXPECT_EQ(r["clock_exceptions"][0]["to"], "2024-08-21");
}

TEST(Read, WithdrawnBeforeDecisionIsRequestOutcomeW) {
  Scenario s("manual", 3);
  ASSERT_TRUE(s.sim->Act(s.id, {{"action", "withdraw"}}).ok());
  json r = s.Latest();
  EXPECT_EQ(r["status"], "withdrawn");
  EXPECT_EQ(r["request_outcome"], "W");
}

TEST(Read, OneRecordPerReferralPerPageWithItsLatestState) {
  Scenario s("on_time", 140);  // received, assess, draft, final: four changes
  std::string last;
  json all = s.adapter->ReadAll("referral", "", &last);
  EXPECT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0]["status"], "plan_issued");
  // Pages of two changes each give the referral once per page, moving forward.
  json paged = s.adapter->ReadAll("referral", "", &last, nullptr, 2);
  ASSERT_EQ(paged.size(), 2u);
  EXPECT_EQ(paged[0]["status"], "assessing");
  EXPECT_EQ(paged[1]["status"], "plan_issued");
}

TEST(Read, CursorResumesAfterWhatWasRead) {
  Scenario s("on_time", 36);
  std::string last;
  s.adapter->ReadAll("referral", "", &last);
  json none = s.adapter->ReadAll("referral", last, &last);
  EXPECT_TRUE(none.empty());
  ASSERT_TRUE(s.sim->Advance(100).ok());
  json later = s.adapter->ReadAll("referral", last, &last);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0]["status"], "plan_issued");
}

TEST(Read, CursorTheLaDoesNotKnowIsAClearError) {
  Scenario s("manual", 0);
  auto r = s.adapter->Call("read", {{"kind", "referral"}, {"cursor", "not-a-cursor"}});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.body.value("message", "").find("cursor"), std::string::npos) << r.body.dump();
}

TEST(Read, OtherKindsAreRefused) {
  Scenario s("manual", 0);
  auto r = s.adapter->Call("read", {{"kind", "pupil"}, {"cursor", ""}});
  EXPECT_EQ(r.status, 2);
}

TEST(Read, ServerErrorIsRetry) {
  Scenario s("manual", 0);
  sendsync::sims::FaultConfig f;
  f.fail_next = 1;
  s.sim->api_server().SetFaults(f);
  EXPECT_EQ(s.adapter->Call("read", {{"kind", "referral"}, {"cursor", ""}}).status, 1);
}

TEST(Read, MalformedChangeIsReportedAsARejectNotDropped) {
  // An LA server that publishes one good change and one with a bad date.
  json good_state = {{"id", "ref-1"},         {"client_reference", "A"},
                     {"la", "820"},           {"la_reference", "EHC-1"},
                     {"status", "received"},  {"received_date", "2024-05-01"},
                     {"request_outcome", "A"}};
  good_state["requester"] = {{"role", "school"}, {"request_source", 2}};
  json bad_state = good_state;
  bad_state["id"] = "ref-2";
  bad_state["received_date"] = "2024-13-40";
  auto change = [](const std::string& n, const std::string& rid, const json& state) {
    return json{{"cursor", n},
                {"id", "chg-" + n},
                {"type", "received"},
                {"date", "2024-05-01"},
                {"recorded_at", "2024-05-01T12:00:00Z"},
                {"referral_id", rid},
                {"client_reference", "A"},
                {"la_reference", "EHC-1"},
                {"state", state}};
  };
  sendsync::sims::SimServer server([&](const sendsync::sims::SimRequest&,
                                       sendsync::sims::SimResponse& rs) {
    rs.Json(200, {{"changes", {change("1", "ref-1", good_state), change("2", "ref-2", bad_state)}},
                  {"next_cursor", "2"},
                  {"more", false}});
  });
  ASSERT_TRUE(server.Start().ok());
  Adapter a({{"base_url", server.base_url()},
             {"la", "820"},
             {"auth", {{"type", "api_key"}, {"key", "k"}}}});
  auto r = a.Call("read", {{"kind", "referral"}, {"cursor", ""}});
  ASSERT_EQ(r.status, 0) << r.body.dump();
  ASSERT_EQ(r.body["records"].size(), 1u);
  EXPECT_EQ(r.body["records"][0]["id"], "ref-1");
  ASSERT_EQ(r.body["rejects"].size(), 1u);
  EXPECT_EQ(r.body["rejects"][0]["id"], "ref-2");
  EXPECT_NE(r.body["rejects"][0]["reason"].get<std::string>().find("state.received_date"),
            std::string::npos);
  EXPECT_NE(r.body["rejects"][0]["raw"].get<std::string>().find("2024-13-40"), std::string::npos);
  EXPECT_EQ(r.body["next_cursor"], "2");
}

TEST(Read, MoreInformationRequestedCarriesWhatTheLaAskedForAndByWhen) {
  Scenario s("more_information", 20);
  json r = s.Latest();
  ASSERT_EQ(r["status"], "more_info_requested");
  const json& asked = r["x_information_requested"];
  ASSERT_TRUE(asked.is_object()) << r.dump();
  EXPECT_EQ(asked["requested_on"], "2024-05-15");  // day 14
  EXPECT_EQ(asked["respond_by"], "2024-05-29");    // 14 days to respond
  ASSERT_FALSE(asked["items"].empty());
  EXPECT_TRUE(asked["items"][0].is_string());
}

TEST(Read, InformationRequestIsClearedOnceTheReferralMovesOn) {
  Scenario s("more_information", 45);
  json r = s.Latest();
  EXPECT_EQ(r["status"], "assessing");
  ASSERT_TRUE(r.contains("x_information_requested"));
  EXPECT_TRUE(r["x_information_requested"].is_null()) << "an explicit null clears it in the hub";
}
