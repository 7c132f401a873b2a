// Submitting referrals: what is sent, the readiness gate, idempotency under faults, and how the
// LA's refusals and outages become change results.
#include <gtest/gtest.h>

#include "fixtures.h"

using namespace la_portal_test;
using sendsync::sims::FaultConfig;

namespace {

json Submission(sendsync::sims::LaPortalSim& sim, const std::string& client_reference) {
  auto r = sim.Referral(SimReferralId(sim, client_reference));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? (*r)["submission"] : json::object();
}

}  // namespace

TEST(Write, SubmitsReferralWithEvidenceAndReturnsTheLasId) {
  auto sim = StartSim();
  Adapter a(ApiKeyConfig(*sim));
  ASSERT_TRUE(a.ok()) << a.open_error();
  json res = a.WriteOne(ReferralRecord(), ReadyContext(), "key-1");
  EXPECT_EQ(res["result"], "applied") << res.dump();
  const std::string id = SimReferralId(*sim, "REF-2024-0001");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(res["remote_id"], id);
  json s = Submission(*sim, "REF-2024-0001");
  EXPECT_EQ(s["pupil"]["upn"], "B801200005001");
  EXPECT_EQ(s["pupil"]["legal_forename"], "Zoë");
  EXPECT_EQ(s["school"]["name"], "Brookside Primary School");
  EXPECT_EQ(s["requester"]["role"], "school");
  EXPECT_EQ(s["requester"]["request_source"], 2);
  EXPECT_EQ(s["sen"]["needs"][0]["type"], "SLCN");
  EXPECT_EQ(s["evidence"]["cycles"].size(), 2u);
  EXPECT_EQ(s["evidence"]["reviews"][1]["pupil_voice"],
            "Words are hard. I like it when Mrs Khan draws it for me.");
  EXPECT_EQ(s["evidence"]["provision"].size(), 3u);
  double total = 0;
  const json ctx = ReadyContext();
  for (const json& p : ctx["provision"]) total += ProvisionPerYear(p);
  EXPECT_NEAR(s["evidence"]["provision_total_per_year"].get<double>(), total, 0.02);
  EXPECT_EQ(s["external_advice"].size(), 2u);
  EXPECT_EQ(s["consent"]["given"], true);
  EXPECT_EQ(s["readiness"]["ready"], true);
  EXPECT_EQ(s["readiness"]["forced"], false);
}

TEST(Write, UploadsTheEvidencePackAsPdfAndJson) {
  auto sim = StartSim();
  Adapter a(ApiKeyConfig(*sim));
  a.WriteOne(ReferralRecord(), ReadyContext(), "key-1");
  json refs = sim->Referrals();
  ASSERT_EQ(refs.size(), 1u);
  ASSERT_EQ(refs[0]["documents"].size(), 2u);
  EXPECT_EQ(refs[0]["documents"][0]["media_type"], "application/pdf");
  EXPECT_EQ(refs[0]["documents"][0]["category"], "evidence_pack");
  EXPECT_EQ(refs[0]["documents"][1]["media_type"], "application/json");
  EXPECT_EQ(refs[0]["documents"][1]["category"], "evidence_pack_data");
}

TEST(Write, OnlyFieldsInTheContextLeaveTheHub) {
  auto sim = StartSim();
  Adapter a(ApiKeyConfig(*sim));
  json ctx = ReadyContext();
  // The link's allow-list kept names out, and sent no reviews.
  ctx["pupil"].erase("legal_forename");
  ctx["pupil"].erase("legal_surname");
  ctx["pupil"].erase("dob");
  ctx.erase("reviews");
  json record = ReferralRecord();
  record.erase("parent_views");
  json res = a.WriteOne(record, ctx, "key-min");
  // The LA needs names and a date of birth: the change is refused, naming them, and nothing
  // was invented to fill the gap.
  EXPECT_EQ(res["result"], "rejected");
  const std::string reason = res.value("reason", "");
  EXPECT_NE(reason.find("/pupil/legal_surname"), std::string::npos) << reason;
  EXPECT_NE(reason.find("/pupil/dob"), std::string::npos) << reason;
  EXPECT_EQ(sim->Counters()["referrals"], 0);
}

TEST(Write, AbsentOptionalSectionsAreLeftOutNotInvented) {
  auto sim = StartSim();
  Adapter a(ApiKeyConfig(*sim));
  json ctx = ReadyContext();
  ctx.erase("reviews");
  json record = ReferralRecord();
  record.erase("parent_views");
  record.erase("pupil_views");
  record.erase("external_advice");
  EXPECT_EQ(a.WriteOne(record, ctx, "key-opt")["result"], "applied");
  json s = Submission(*sim, "REF-2024-0001");
  EXPECT_FALSE(s.contains("parent_views"));
  EXPECT_FALSE(s.contains("pupil_views"));
  EXPECT_FALSE(s.contains("external_advice"));
  EXPECT_FALSE(s["evidence"].contains("reviews"));
}

TEST(Write, NotReadyIsRejectedWithWhatIsMissingAndNothingSent) {
  auto sim = StartSim();
  Adapter a(ApiKeyConfig(*sim));
  json ctx = ReadyContext();
  ctx["readiness"]["ready"] = false;
  ctx["readiness"]["items"][0]["met"] = false;
  ctx["readiness"]["items"][0]["missing"] = "Complete a second Assess, Plan, Do, Review cycle";
  ctx["readiness"]["items"][2]["met"] = false;
  ctx["readiness"]["items"][2]["missing"] = "Record the parents' consent to share";
  json res = a.WriteOne(ReferralRecord(), ctx, "key-not-ready");
  EXPECT_EQ(res["result"], "rejected");
  const std::string reason = res.value("reason", "");
  EXPECT_NE(reason.find("Complete a second Assess, Plan, Do, Review cycle"), std::string::npos);
  EXPECT_NE(reason.find("Record the parents' consent to share"), std::string::npos);
  EXPECT_NE(reason.find("force"), std::string::npos) << reason;
  EXPECT_EQ(sim->api_server().stats().requests, 0u) << "the API was called";
}

TEST(Write, MissingReadinessCheckIsNotReady) {
  auto sim = StartSim();
  Adapter a(ApiKeyConfig(*sim));
  json ctx = ReadyContext();
  ctx.erase("readiness");
  json res = a.WriteOne(ReferralRecord(), ctx, "key-no-readiness");
  EXPECT_EQ(res["result"], "rejected");
  EXPECT_NE(res.value("reason", "").find("readiness"), std::string::npos);
  EXPECT_EQ(sim->Counters()["referrals"], 0);
}

TEST(Write, ForcedReferralIsSentAndMarkedForced) {
  auto sim = StartSim();
  Adapter a(ApiKeyConfig(*sim));
  json ctx = ReadyContext();
  ctx["readiness"]["ready"] = false;
  ctx["readiness"]["items"][1]["met"] = false;
  ctx["readiness"]["items"][1]["missing"] = "Cost the provision map";
  ctx["force"] = true;
  EXPECT_EQ(a.WriteOne(ReferralRecord(), ctx, "key-forced")["result"], "applied");
  json s = Submission(*sim, "REF-2024-0001");
  EXPECT_EQ(s["readiness"]["forced"], true);
  EXPECT_EQ(s["readiness"]["items"][1]["missing"], "Cost the provision map");
}

TEST(Write, RepeatedKeyIsAppliedOnceWithTheSameId) {
  auto sim = StartSim();
  Adapter a(ApiKeyConfig(*sim));
  json first = a.WriteOne(ReferralRecord(), ReadyContext(), "key-rep");
  json second = a.WriteOne(ReferralRecord(), ReadyContext(), "key-rep");
  EXPECT_EQ(second["result"], "applied");
  EXPECT_EQ(first["remote_id"], second["remote_id"]);
  EXPECT_EQ(sim->Counters()["referrals"], 1);
  EXPECT_EQ(sim->Counters()["documents"], 2);
  EXPECT_GE(sim->Counters()["replays"], 1);  // the submit; the documents are held, not re-sent
}

TEST(Write, DroppedAfterHandlingAndServerErrorsStillGiveOneReferral) {
  auto sim = StartSim();
  Adapter a(ApiKeyConfig(*sim));
  FaultConfig f;
  f.fail_next = 2;                 // two 503s: the host retries the change
  f.drop_after_handling_next = 1;  // then the LA takes the referral but the answer is lost
  sim->api_server().SetFaults(f);
  json res = a.WriteOne(ReferralRecord(), ReadyContext(), "key-faults");
  for (int attempt = 0; attempt < 5 && (res["result"] == "retry" || res["result"] == "unknown");
       ++attempt)
    res = a.WriteOne(ReferralRecord(), ReadyContext(), "key-faults");  // the host's retries
  EXPECT_EQ(res["result"], "applied") << res.dump();
  EXPECT_EQ(sim->Counters()["referrals"], 1);
  EXPECT_EQ(sim->Counters()["documents"], 2);
  EXPECT_EQ(sim->api_server().stats().dropped_after, 1u);
  EXPECT_EQ(sim->api_server().stats().injected_errors, 2u);
  EXPECT_EQ(res["remote_id"], SimReferralId(*sim, "REF-2024-0001"));
}

TEST(Write, ConnectionDroppedTwiceIsUnknownThenAppliedOnce) {
  auto sim = StartSim();
  Adapter a(ApiKeyConfig(*sim));
  FaultConfig f;
  f.drop_after_handling_next = 2;  // the client's own single retry is dropped too
  sim->api_server().SetFaults(f);
  json res = a.WriteOne(ReferralRecord(), ReadyContext(), "key-drops");
  EXPECT_EQ(res["result"], "unknown") << "sent, but no answer: " << res.dump();
  EXPECT_NE(res.value("reason", "").find("dropped"), std::string::npos) << res.dump();
  res = a.WriteOne(ReferralRecord(), ReadyContext(), "key-drops");
  EXPECT_EQ(res["result"], "applied") << res.dump();
  EXPECT_EQ(sim->Counters()["referrals"], 1);
  EXPECT_EQ(sim->Counters()["documents"], 2);
}

TEST(Write, ServerErrorIsRetryAndHaltsTheRestOfTheBatch) {
  auto sim = StartSim();
  Adapter a(ApiKeyConfig(*sim));
  FaultConfig f;
  f.fail_next = 1;
  sim->api_server().SetFaults(f);
  json second = ReferralRecord("REF-2024-0002");
  auto r = a.Call(
      "write",
      {{"kind", "referral"},
       {"changes",
        {{{"key", "k-a"},
          {"op", "upsert"},
          {"record", ReferralRecord()},
          {"context", ReadyContext()}},
         {{"key", "k-b"}, {"op", "upsert"}, {"record", second}, {"context", ReadyContext()}}}}});
  ASSERT_EQ(r.status, 0) << r.body.dump();
  EXPECT_EQ(r.body["results"][0]["result"], "retry");
  EXPECT_NE(r.body["results"][0].value("reason", "").find("503"), std::string::npos)
      << r.body.dump();
  EXPECT_EQ(r.body["results"][1]["result"], "not_sent") << "held back: no attempt charged";
  EXPECT_EQ(sim->api_server().stats().requests, 1u) << "the second change was sent anyway";
}

TEST(Write, LaRefusalIsRejectedWithTheFieldPaths) {
  auto sim = StartSim();
  Adapter a(ApiKeyConfig(*sim));
  json ctx = ReadyContext();
  ctx["pupil"]["upn"] = "A801200005001";  // wrong check letter
  json record = ReferralRecord();
  record["pupil"]["upn"] = "A801200005001";
  json res = a.WriteOne(record, ctx, "key-bad-upn");
  EXPECT_EQ(res["result"], "rejected");
  EXPECT_NE(res.value("reason", "").find("/pupil/upn"), std::string::npos) << res.dump();
  EXPECT_NE(res.value("reason", "").find("422"), std::string::npos) << res.dump();
}

TEST(Write, ReferralForAnotherLaIsRejectedBeforeSending) {
  auto sim = StartSim();
  Adapter a(ApiKeyConfig(*sim));
  json record = ReferralRecord();
  record["la"] = "821";
  json res = a.WriteOne(record, ReadyContext(), "key-821");
  EXPECT_EQ(res["result"], "rejected");
  EXPECT_NE(res.value("reason", "").find("821"), std::string::npos);
  EXPECT_EQ(sim->api_server().stats().requests, 0u);
}

TEST(Write, KnownRemoteIdAttachesANewEvidencePack) {
  auto sim = StartSim();
  Adapter a(ApiKeyConfig(*sim));
  const std::string id = a.WriteOne(ReferralRecord(), ReadyContext(), "key-1")["remote_id"];
  // The LA asked for more; the school answers with an updated pack under a new change.
  ASSERT_TRUE(sim->Act(id, {{"action", "request_more_information"}}).ok());
  json updated = ReferralRecord();
  updated["parent_views"] = "Since May she will not go into school without a fight.";
  json res = a.WriteOne(updated, ReadyContext(), "key-2", id);
  EXPECT_EQ(res["result"], "applied");
  EXPECT_EQ(res["remote_id"], id);
  EXPECT_EQ(sim->Counters()["referrals"], 1);
  EXPECT_EQ(sim->Counters()["documents"], 4);
  auto r = sim->Referral(id);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["state"]["status"], "received") << "the LA records the information as received";
}

TEST(Write, SameReferralUnderANewKeyAttachesToTheOneTheLaHolds) {
  auto sim = StartSim();
  Adapter a(ApiKeyConfig(*sim));
  const std::string id = a.WriteOne(ReferralRecord(), ReadyContext(), "key-1")["remote_id"];
  json res = a.WriteOne(ReferralRecord(), ReadyContext(), "key-other");
  EXPECT_EQ(res["result"], "applied");
  EXPECT_EQ(res["remote_id"], id);
  EXPECT_EQ(sim->Counters()["referrals"], 1);
}

TEST(Write, PackTheLaAlreadyHoldsIsNotSentAgainUnderANewKey) {
  auto sim = StartSim();
  Adapter a(ApiKeyConfig(*sim));
  // The LA took the request and its pack, but every answer was lost: the host never learned the
  // LA's id, and the change was rebuilt under a new key (a forced resubmit, a new day).
  json first = a.WriteOne(ReferralRecord(), ReadyContext(), "key-lost");
  ASSERT_EQ(first["result"], "applied") << first.dump();
  json res = a.WriteOne(ReferralRecord(), ReadyContext(), "key-rebuilt");
  EXPECT_EQ(res["result"], "applied") << res.dump();
  EXPECT_EQ(res["remote_id"], first["remote_id"]);
  EXPECT_EQ(sim->Counters()["referrals"], 1);
  EXPECT_EQ(sim->Counters()["documents"], 2) << "one copy of each document";
  // And once the host knows the id, the same pack again is not a second copy either.
  res = a.WriteOne(ReferralRecord(), ReadyContext(), "key-third", first["remote_id"]);
  EXPECT_EQ(res["result"], "applied") << res.dump();
  EXPECT_EQ(sim->Counters()["documents"], 2);
}

TEST(Write, ClientReferenceHeldForAnotherPupilIsRejectedAndNothingAttached) {
  auto sim = StartSim();
  Adapter a(ApiKeyConfig(*sim));
  const std::string id = a.WriteOne(ReferralRecord(), ReadyContext(), "hub-a")["remote_id"];
  // Another hub sends another child's request under the same client reference.
  json record = ReferralRecord();
  record["pupil"]["upn"] = "X820200120015";
  json ctx = ReadyContext();
  ctx["pupil"]["upn"] = "X820200120015";
  ctx["pupil"]["legal_forename"] = "Ella";
  json res = a.WriteOne(record, ctx, "hub-b");
  EXPECT_EQ(res["result"], "rejected") << res.dump();
  EXPECT_NE(res.value("reason", "").find("another pupil"), std::string::npos) << res.dump();
  EXPECT_NE(res.value("reason", "").find("nothing was attached"), std::string::npos);
  EXPECT_EQ(sim->Counters()["referrals"], 1);
  auto held = sim->Referral(id);
  ASSERT_TRUE(held.ok());
  EXPECT_EQ((*held)["documents"].size(), 2u) << "the second child's pack reached the first's file";
}

TEST(Write, ClientReferenceHeldForAnotherSchoolIsRejected) {
  auto sim = StartSim();
  Adapter a(ApiKeyConfig(*sim));
  a.WriteOne(ReferralRecord(), ReadyContext(), "school-a");
  json ctx = ReadyContext();
  ctx["school"]["urn"] = "100002";
  ctx["school"].erase("laestab");
  json res = a.WriteOne(ReferralRecord(), ctx, "school-b");
  EXPECT_EQ(res["result"], "rejected") << res.dump();
  EXPECT_NE(res.value("reason", "").find("another school"), std::string::npos) << res.dump();
  EXPECT_EQ(sim->Counters()["documents"], 2);
}

TEST(Write, ReferralWithoutAClientReferenceIsRejectedBeforeSending) {
  auto sim = StartSim();
  Adapter a(ApiKeyConfig(*sim));
  json record = ReferralRecord("h17");
  record.erase("client_reference");
  json res = a.WriteOne(record, ReadyContext(), "key-h17");
  EXPECT_EQ(res["result"], "rejected");
  EXPECT_NE(res.value("reason", "").find("client_reference"), std::string::npos) << res.dump();
  EXPECT_EQ(sim->api_server().stats().requests, 0u) << "a hub's own id was sent as the reference";
}

TEST(Write, ForcedWithoutConsentIsRejectedInWordsBeforeSending) {
  auto sim = StartSim();
  Adapter a(ApiKeyConfig(*sim));
  json record = ReferralRecord();
  record.erase("consent");
  json ctx = ReadyContext();
  ctx["force"] = true;
  ctx["readiness"]["ready"] = false;
  json res = a.WriteOne(record, ctx, "key-no-consent");
  EXPECT_EQ(res["result"], "rejected");
  EXPECT_NE(res.value("reason", "").find("records no consent to share"), std::string::npos)
      << res.dump();
  EXPECT_EQ(res.value("reason", "").find("422"), std::string::npos) << res.dump();
  EXPECT_EQ(sim->api_server().stats().requests, 0u);
}

TEST(Write, UnknownRemoteIdIsRejected) {
  auto sim = StartSim();
  Adapter a(ApiKeyConfig(*sim));
  json res = a.WriteOne(ReferralRecord(), ReadyContext(), "key-x", "ref-999999");
  EXPECT_EQ(res["result"], "rejected");
  EXPECT_NE(res.value("reason", "").find("404"), std::string::npos) << res.dump();
}

TEST(Write, DeleteIsRejectedWithAdvice) {
  auto sim = StartSim();
  Adapter a(ApiKeyConfig(*sim));
  auto r = a.Call("write", {{"kind", "referral"},
                            {"changes",
                             {{{"key", "del"},
                               {"op", "delete"},
                               {"record", {{"kind", "referral"}, {"id", "REF-2024-0001"}}}}}}});
  ASSERT_EQ(r.status, 0);
  EXPECT_EQ(r.body["results"][0]["result"], "rejected");
  EXPECT_NE(r.body["results"][0].value("reason", "").find("withdraw"), std::string::npos);
}

TEST(Write, OtherKindsAreRefused) {
  auto sim = StartSim();
  Adapter a(ApiKeyConfig(*sim));
  auto r = a.Call("write", {{"kind", "sen"}, {"changes", json::array()}});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.body.value("message", "").find("referral"), std::string::npos);
}

TEST(Write, LongHostKeysAreHashedStably) {
  auto sim = StartSim();
  Adapter a(ApiKeyConfig(*sim));
  const std::string key = "link 7 / referral: " + std::string(300, 'x');
  json first = a.WriteOne(ReferralRecord(), ReadyContext(), key);
  json second = a.WriteOne(ReferralRecord(), ReadyContext(), key);
  EXPECT_EQ(first["result"], "applied");
  EXPECT_EQ(first["remote_id"], second["remote_id"]);
  EXPECT_EQ(sim->Counters()["referrals"], 1);
  EXPECT_EQ(sim->Referrals()[0]["idempotency_key"].get<std::string>().rfind("sha256-", 0), 0u);
}

TEST(Write, WorksOverHttpsWithTheLinksCaFile) {
  sendsync::sims::LaPortalSimOptions o;
  o.today = sendsync::Date(2024, 5, 1);
  sendsync::sims::LaPortalSim sim(o);
  ASSERT_TRUE(sim.Start(0, 0, TEST_CERT, TEST_KEY).ok());
  json config = ApiKeyConfig(sim);
  ASSERT_EQ(sim.base_url().rfind("https://", 0), 0u);
  config["ca_file"] = TEST_CERT;
  Adapter a(config);
  ASSERT_TRUE(a.ok()) << a.open_error();
  EXPECT_EQ(a.WriteOne(ReferralRecord(), ReadyContext(), "tls-key")["result"], "applied");
}

TEST(Write, SchoolNameComesFromTheLinkWhenTheHostSendsNone) {
  auto sim = StartSim();
  json config = ApiKeyConfig(*sim);
  config["school_name"] = "Brookside Primary (from the link)";
  Adapter a(config);
  ASSERT_TRUE(a.ok()) << a.open_error();
  json ctx = ReadyContext();
  ctx["school"].erase("name");  // the hub keeps no school record, so the host sends no name
  EXPECT_EQ(a.WriteOne(ReferralRecord(), ctx, "key-1")["result"], "applied");
  EXPECT_EQ(Submission(*sim, "REF-2024-0001")["school"]["name"],
            "Brookside Primary (from the link)");
}

TEST(Write, SchoolNameInTheContextWinsOverTheLinks) {
  auto sim = StartSim();
  json config = ApiKeyConfig(*sim);
  config["school_name"] = "Another name";
  Adapter a(config);
  EXPECT_EQ(a.WriteOne(ReferralRecord(), ReadyContext(), "key-1")["result"], "applied");
  EXPECT_EQ(Submission(*sim, "REF-2024-0001")["school"]["name"], "Brookside Primary School");
}

TEST(Write, WithoutASchoolNameTheLasRefusalNamesTheField) {
  auto sim = StartSim();
  Adapter a(ApiKeyConfig(*sim));
  json ctx = ReadyContext();
  ctx["school"].erase("name");
  json res = a.WriteOne(ReferralRecord(), ctx, "key-1");
  EXPECT_EQ(res["result"], "rejected");
  EXPECT_NE(res.value("reason", "").find("/school/name"), std::string::npos) << res.dump();
}
