// The sync engine end to end inside one process: a jsonl-folder source, a counting target.
#include "core/audit/audit.h"
#include "core/hub/hub.h"
#include "sync_fixture.h"

using namespace sendsync;
using namespace sendsync::testing_support;
using nlohmann::json;

namespace {

class Engine : public SyncTest {};

TEST_F(Engine, PullCreatesPupilsAndSenAndAgainChangesNothing) {
  AddSource();
  Source({PupilRec("S1", 1), PupilRec("S2", 2), SenRec("S1", 1, "K"), SenRec("S2", 2, "N")});
  auto first = Run("mis");
  EXPECT_EQ(first.created, 4);
  EXPECT_EQ(first.status, "ok");
  auto hub = Hub("sen");
  EXPECT_EQ(hub[Upn(1)]["provision"], "K");
  EXPECT_EQ(hub[Upn(2)]["provision"], "N");
  EXPECT_EQ(hub[Upn(1)]["history"].size(), 1u) << hub[Upn(1)].dump();

  auto again = Run("mis");
  EXPECT_EQ(again.pulled, 0) << "the cursor moved past what was committed";
  Source({PupilRec("S1", 1)});  // the same record exported again
  auto repeat = Run("mis");
  EXPECT_EQ(repeat.unchanged, 1);
  EXPECT_EQ(repeat.updated + repeat.created, 0);
}

TEST_F(Engine, BadRecordIsQuarantinedWithRawPayloadAndReasonsAndOthersStillApply) {
  AddSource();
  json bad = PupilRec("S2", 2);
  bad["upn"] = "A801200005001";  // wrong check letter
  bad["sex"] = "X";
  Source({PupilRec("S1", 1), bad});
  SourceLine("pupil", "{not json");
  auto s = Run("mis");
  EXPECT_EQ(s.created, 1);
  EXPECT_EQ(s.quarantined, 2);
  EXPECT_EQ(s.status, "needs_person");
  auto c = Conn();
  auto q = store::ListQuarantine(*c, {});
  ASSERT_EQ(q->size(), 2u);
  const auto& item = (*q)[0].external_id == "S2" ? (*q)[0] : (*q)[1];
  EXPECT_EQ(json::parse(item.raw), bad) << "the raw payload is kept exactly";
  std::string reasons = item.reasons.dump();
  EXPECT_NE(reasons.find("UPN_CHECK_LETTER"), std::string::npos) << reasons;
  EXPECT_NE(reasons.find("SEX_CODE"), std::string::npos) << "every reason, not just the first";
  const auto& reject = (*q)[0].external_id == "S2" ? (*q)[1] : (*q)[0];
  EXPECT_EQ(reject.raw, "{not json");
  EXPECT_NE(reject.reasons.dump().find("not valid JSON"), std::string::npos);
}

TEST_F(Engine, QuarantinedRecordCanBeFixedAndRetriedOrDiscarded) {
  AddSource();
  json bad = PupilRec("S2", 2);
  bad["dob"] = "02/03/2014";
  Source({bad, PupilRec("S3", 3)});
  json bad3 = PupilRec("S4", 4);
  bad3["sex"] = "Q";
  Source({bad3});
  Run("mis");
  auto c = Conn();
  auto q = store::ListQuarantine(*c, {});
  ASSERT_EQ(q->size(), 2u);
  int64_t dob_item = (*q)[0].external_id == "S2" ? (*q)[0].id : (*q)[1].id;
  int64_t sex_item = (*q)[0].external_id == "S2" ? (*q)[1].id : (*q)[0].id;
  // A retry without a fix fails and leaves it in quarantine.
  EXPECT_FALSE(engine_->RetryQuarantine(dob_item, std::nullopt, "cli:alice").ok());
  bad["dob"] = "2014-03-02";
  ASSERT_TRUE(engine_->RetryQuarantine(dob_item, bad.dump(), "cli:alice").ok());
  EXPECT_TRUE(Hub("pupil").count(Upn(2)));
  EXPECT_EQ(store::GetQuarantine(*c, dob_item)->status, sendsync::store::ReviewStatus::kApplied);
  EXPECT_FALSE(engine_->DiscardQuarantine(sex_item, "", "cli:alice").ok())
      << "a reason is required";
  ASSERT_TRUE(engine_->DiscardQuarantine(sex_item, "pupil left before census", "cli:alice").ok());
  EXPECT_EQ(store::GetQuarantine(*c, sex_item)->status, sendsync::store::ReviewStatus::kDiscarded);
}

TEST_F(Engine, LocalCodesAreMappedAndAnUnmappedCodeIsQuarantinedNotGuessed) {
  AddSource("mis", {{"kinds",
                     {{"pupil", {{"direction", "read"}}},
                      {"sen",
                       {{"direction", "read"},
                        {"code_maps",
                         {{"provision", {{"SEN Support", "K"}, {"No SEN", "N"}}},
                          {"needs.type", {{"Speech and language", "SLCN"}}}}}}}}}});
  json a = SenRec("S1", 1, "SEN Support", "Speech and language");
  json b = SenRec("S2", 2, "Monitoring");
  Source({PupilRec("S1", 1), PupilRec("S2", 2), a, b});
  auto s = Run("mis");
  EXPECT_EQ(Hub("sen")[Upn(1)]["provision"], "K");
  EXPECT_EQ(Hub("sen")[Upn(1)]["needs"][0]["type"], "SLCN");
  EXPECT_EQ(s.quarantined, 1);
  auto c = Conn();
  auto q = store::ListQuarantine(*c, {});
  EXPECT_NE((*q)[0].reasons.dump().find("no code map entry for \\\"Monitoring\\\""),
            std::string::npos)
      << (*q)[0].reasons.dump();
}

TEST_F(Engine, SameUpnWithADifferentDateOfBirthWaitsInTheMatchQueue) {
  AddSource("mis");
  AddSource("tool", nullptr, "tool");
  Source({PupilRec("S1", 1)});
  Source({PupilRec("T9", 1, "Smith", "2015-01-01")}, "tool");
  Run("mis");
  auto s = Run("tool");
  EXPECT_EQ(s.matches, 1);
  EXPECT_EQ(s.created, 0) << "never auto-merged, never duplicated";
  auto c = Conn();
  auto m = store::ListMatches(*c, {});
  ASSERT_EQ(m->size(), 1u);
  EXPECT_NE((*m)[0].reason.find("different date of birth"), std::string::npos);
  int64_t pupil = (*m)[0].candidates[0]["record_id"];
  ASSERT_TRUE(
      engine_->ResolveMatch((*m)[0].id, "record:h" + std::to_string(pupil), "cli:senco").ok());
  // Linked to the existing pupil: the differing date of birth is now a conflict for a person.
  auto conflicts = store::ListConflicts(*c, {});
  ASSERT_EQ(conflicts->size(), 1u);
  EXPECT_EQ((*conflicts)[0].field, "dob");
  EXPECT_EQ(Hub("pupil").size(), 1u);
}

// Issue 17, fault 7: the record that brings a pupil's permanent UPN names the temporary one as
// its former UPN. That is the same pupil (same date of birth and name): the hub replaces the UPN,
// audited, with no duplicate-UPN label and no conflict, and the link keeps one id for the pupil.
TEST_F(Engine, APermanentUpnReplacesTheTemporaryOneItNamesAsFormer) {
  AddSource();
  json temp = PupilRec("T-1", 1);
  temp["upn"] = TempUpn(1);
  Source({temp});
  ASSERT_EQ(Run("mis").created, 1);
  json perm = PupilRec("P-1", 1);
  perm["former_upn"] = TempUpn(1);
  Source({perm});
  auto s = Run("mis");
  EXPECT_EQ(s.matches, 0) << "not a duplicate UPN (census error 1520)";
  EXPECT_EQ(s.conflicts, 0);
  EXPECT_EQ(s.created, 0);
  EXPECT_EQ(s.updated, 1);
  auto pupils = Hub("pupil");
  ASSERT_EQ(pupils.size(), 1u);
  ASSERT_TRUE(pupils.contains(Upn(1))) << json(pupils).dump();
  EXPECT_EQ(pupils[Upn(1)]["former_upn"], TempUpn(1));
  auto c = Conn();
  auto pupil = hub::FindPupil(*c, Upn(1));
  ASSERT_TRUE(pupil.ok());
  auto ids = store::LinkRecordsOf(*c, pupil->id);
  ASSERT_EQ(ids->size(), 1u) << "the link's old id for the pupil is renamed, not kept beside";
  EXPECT_EQ((*ids)[0].external_id, "P-1");
  audit::Query q;
  q.pupil_id = pupil->id;
  auto trail = audit::List(*c, q);
  ASSERT_TRUE(trail.ok());
  bool audited = false;
  for (const auto& e : *trail)
    audited =
        audited || (e.action == "pupil.temporary_upn_replaced" &&
                    e.detail.value("from", "") == TempUpn(1) && e.detail.value("to", "") == Upn(1));
  EXPECT_TRUE(audited);
  // The same again changes nothing.
  Source({perm});
  EXPECT_EQ(Run("mis").unchanged, 1);
}

// Another system brought the temporary UPN; this one brings the permanent UPN naming it: the hub
// takes the permanent UPN at once, not after a conflict a person must resolve.
TEST_F(Engine, APermanentUpnFromAnotherSystemReplacesTheTemporaryOneWithoutAConflict) {
  AddSource("mis");
  AddSource("tool", nullptr, "tool");
  json temp = PupilRec("T-1", 1);
  temp["upn"] = TempUpn(1);
  Source({temp});
  Run("mis");
  json perm = PupilRec("X-77", 1);
  perm["former_upn"] = TempUpn(1);
  Source({perm}, "tool");
  auto s = Run("tool");
  EXPECT_EQ(s.matches, 0);
  EXPECT_EQ(s.conflicts, 0);
  auto pupils = Hub("pupil");
  ASSERT_EQ(pupils.size(), 1u);
  EXPECT_TRUE(pupils.contains(Upn(1))) << json(pupils).dump();
}

// Not the same pupil: a different name (or date of birth) with that former UPN still waits for a
// person.
TEST_F(Engine, AFormerTemporaryUpnOfAnotherChildStillWaitsForAPerson) {
  AddSource();
  json temp = PupilRec("T-1", 1);
  temp["upn"] = TempUpn(1);
  Source({temp});
  Run("mis");
  json other = PupilRec("P-2", 1, "Jones");
  other["former_upn"] = TempUpn(1);
  Source({other});
  auto s = Run("mis");
  EXPECT_EQ(s.matches, 1);
  EXPECT_TRUE(Hub("pupil").contains(TempUpn(1)));
}

TEST_F(Engine, PupilsFromTwoSystemsMatchByUpnAndTheirRecordsMeet) {
  AddSource("mis");
  AddSource("tool",
            {{"kinds", {{"pupil", {{"direction", "read"}}}, {"sen", {{"direction", "read"}}}}}},
            "tool");
  Source({PupilRec("S1", 1), SenRec("S1", 1, "K")});
  json other = PupilRec("X-77", 1);
  Source({other, SenRec("X-77", 1, "K")}, "tool");
  Run("mis");
  auto s = Run("tool");
  EXPECT_EQ(s.created, 0);
  EXPECT_EQ(Hub("pupil").size(), 1u);
  EXPECT_EQ(Hub("sen").size(), 1u) << "one SEN record per pupil whichever system reports it";
  auto c = Conn();
  auto pupil = hub::FindPupil(*c, Upn(1));
  ASSERT_TRUE(pupil.ok());
  EXPECT_EQ(store::LinkRecordsOf(*c, pupil->id)->size(), 2u) << "each system's id is kept";
}

TEST_F(Engine, ConflictWhenTwoSystemsChangeTheSameFieldDifferently) {
  AddSource("mis");
  AddSource("tool",
            {{"kinds", {{"pupil", {{"direction", "read"}}}, {"sen", {{"direction", "read"}}}}}},
            "tool");
  Source({PupilRec("S1", 1), SenRec("S1", 1, "K")});
  Source({PupilRec("T1", 1), SenRec("T1", 1, "K")}, "tool");
  Run("mis");
  Run("tool");
  Source({SenRec("S1", 1, "E", "ASD")});
  Source({SenRec("T1", 1, "N")}, "tool");
  Run("mis");
  auto s = Run("tool");
  EXPECT_EQ(s.conflicts, 2) << "provision and needs";
  EXPECT_EQ(Hub("sen")[Upn(1)]["provision"], "E") << "the hub keeps its value meanwhile";
  auto c = Conn();
  auto conflicts = store::ListConflicts(*c, {});
  const store::Conflict* prov = nullptr;
  for (const auto& x : *conflicts)
    if (x.field == "provision") prov = &x;
  ASSERT_NE(prov, nullptr);
  EXPECT_EQ(*prov->base, "\"K\"");
  EXPECT_EQ(*prov->ours, "\"E\"");
  EXPECT_EQ(*prov->theirs, "\"N\"");
  // Pulling again does not raise the same conflict twice.
  Source({SenRec("T1", 1, "N")}, "tool");
  EXPECT_EQ(Run("tool").conflicts, 0);
  // Alone, taking N would leave needs on a pupil with no SEN: refused, with the way out named.
  auto alone = engine_->ResolveConflict(prov->id, sendsync::store::ConflictResolution::kTheirs,
                                        std::nullopt, "cli:senco");
  ASSERT_FALSE(alone.ok());
  EXPECT_NE(alone.message().find("resolve them together"), std::string::npos) << alone.message();
  auto together = engine_->ResolveConflict(prov->id, sendsync::store::ConflictResolution::kTheirs,
                                           std::nullopt, "cli:senco", true);
  ASSERT_TRUE(together.ok()) << together.ToString();
  EXPECT_EQ(Hub("sen")[Upn(1)]["provision"], "N");
  EXPECT_TRUE(store::ListConflicts(*c, {})->empty()) << "both fields resolved together";
  EXPECT_FALSE(engine_
                   ->ResolveConflict(prov->id, sendsync::store::ConflictResolution::kOurs,
                                     std::nullopt, "cli:senco")
                   .ok());
}

TEST_F(Engine, ResolutionThatWouldMakeTheRecordInvalidIsRefused) {
  AddSource("mis");
  AddSource("tool", {{"kinds", {{"pupil", {{"direction", "read"}}}}}}, "tool");
  Source({PupilRec("S1", 1)});
  Source({PupilRec("T1", 1, "Smith", "2014-03-02")}, "tool");
  Run("mis");
  Run("tool");
  Source({PupilRec("S1", 1, "Jones")});
  Source({PupilRec("T1", 1, "Brown")}, "tool");
  Run("mis");
  Run("tool");
  auto c = Conn();
  auto conflicts = store::ListConflicts(*c, {});
  ASSERT_EQ(conflicts->size(), 1u);
  auto st = engine_->ResolveConflict(
      (*conflicts)[0].id, sendsync::store::ConflictResolution::kValue, "42", "cli:senco");
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("invalid"), std::string::npos) << st.message();
  ASSERT_TRUE(engine_
                  ->ResolveConflict((*conflicts)[0].id, sendsync::store::ConflictResolution::kValue,
                                    "\"Jones-Brown\"", "cli:senco")
                  .ok());
  EXPECT_EQ(Hub("pupil")[Upn(1)]["legal_surname"], "Jones-Brown");
}

TEST_F(Engine, AuthorityMeansNoConflictForTheOwnedField) {
  AddSource("mis",
            {{"kinds",
              {{"pupil", {{"direction", "read"}, {"authority", {{"legal_surname", "link"}}}}}}}});
  AddSource("tool", {{"kinds", {{"pupil", {{"direction", "read"}}}}}}, "tool");
  Source({PupilRec("S1", 1)});
  Source({PupilRec("T1", 1)}, "tool");
  Run("mis");
  Run("tool");
  Source({PupilRec("T1", 1, "Brown")}, "tool");
  Run("tool");
  Source({PupilRec("S1", 1, "Jones")});
  auto s = Run("mis");
  EXPECT_EQ(s.conflicts, 0);
  EXPECT_EQ(Hub("pupil")[Upn(1)]["legal_surname"], "Jones");
}

TEST_F(Engine, DeletionOfAnUnchangedRecordDeletesItAndAgainstAnEditIsAConflict) {
  AddSource("mis");
  AddSource("tool", {{"kinds", {{"pupil", {{"direction", "read"}}}}}}, "tool");
  Source({PupilRec("S1", 1), PupilRec("S2", 2)});
  Run("mis");
  Source({PupilRec("T2", 2, "Smith")}, "tool");
  Run("tool");
  Source({PupilRec("T2", 2, "Other")}, "tool");  // the tool changes pupil 2's surname
  Run("tool");
  SourceLine("pupil", R"({"delete": {"id": "S1"}})");
  SourceLine("pupil", R"({"delete": {"id": "S2"}})");
  auto s = Run("mis");
  EXPECT_EQ(s.deleted, 1);
  EXPECT_EQ(s.conflicts, 1);
  EXPECT_FALSE(Hub("pupil").count(Upn(1)));
  EXPECT_TRUE(Hub("pupil").count(Upn(2))) << "a delete against an edit is a conflict, not a loss";
  auto c = Conn();
  auto history = store::RecordHistory(*c, 1);
  EXPECT_FALSE(history->empty()) << "the deleted record's last version is kept";
}

TEST_F(Engine, ChangesArePushedToTheTargetOnceEachWithOnlyAllowedFields) {
  AddSource();
  AddTarget();
  Source({PupilRec("S1", 1), PupilRec("S2", 2), SenRec("S1", 1, "K")});
  Run("mis");
  auto s = Run("target");
  EXPECT_EQ(s.pushed, 3);
  auto applied = TargetLines();
  ASSERT_EQ(applied.size(), 3u);
  for (const json& a : applied) {
    EXPECT_FALSE(a["record"].contains("preferred_forename")) << "not on the pupil allow-list";
    if (a["kind"] == "sen") {
      EXPECT_EQ(a["context"]["pupil"]["upn"], Upn(1));
      EXPECT_EQ(a["record"]["pupil"]["id"], a["context"]["pupil"]["id"]);
    }
  }
  // Nothing new: nothing sent. A change: only it is sent.
  EXPECT_EQ(Run("target").pushed, 0);
  Source({SenRec("S1", 1, "E", "ASD")});
  Run("mis");
  EXPECT_EQ(Run("target").pushed, 1);
  EXPECT_EQ(TargetLines().size(), 4u);
  EXPECT_EQ(TargetLines().back()["record"]["provision"], "E");
  EXPECT_EQ(TargetLines().back()["remote_id"], applied[2]["remote_id"])
      << "the target's id is used";
}

TEST_F(Engine, ALinkIsGivenOnlyItsOwnSchoolsPupils) {
  AddSource();
  AddTarget();  // school 100000
  fs::create_directories(dir_ / "other");
  sync::LinkSpec other;
  other.name = "other-school";
  other.school_urn = "200000";
  other.adapter_id = "counting";
  other.config = {{"folder", (dir_ / "other").string()}};
  other.settings = {
      {"kinds", {{"pupil", {{"direction", "write"}}}, {"sen", {{"direction", "write"}}}}}};
  ASSERT_TRUE(sync::AddLink(*store_, other, options_.runtime, SYNC_PLUGIN_DIR, "test").ok());
  json elsewhere = PupilRec("S2", 2);
  elsewhere["school_urn"] = "200000";
  Source({PupilRec("S1", 1), elsewhere, SenRec("S1", 1, "K"), SenRec("S2", 2, "E")});
  Run("mis");
  EXPECT_EQ(Run("target").pushed, 2);
  EXPECT_EQ(Run("other-school").pushed, 2);
  auto upn_of = [](const json& a) {
    return a["kind"] == "pupil" ? a["record"]["upn"] : a["context"]["pupil"]["upn"];
  };
  for (const json& a : TargetLines()) EXPECT_EQ(upn_of(a), Upn(1)) << a.dump();
  std::ifstream in(dir_ / "other" / "applied.jsonl");
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    EXPECT_EQ(upn_of(json::parse(line)), Upn(2)) << line;
    ++n;
  }
  EXPECT_EQ(n, 2);
}

TEST_F(Engine, RetriesBackOffThenDeadLetterAndCanBeRetriedByAPerson) {
  AddSource();
  AddTarget("target", {{"always_retry", true}});
  Source({PupilRec("S1", 1)});
  Run("mis");
  auto s1 = Run("target");
  EXPECT_EQ(s1.retried, 2);
  EXPECT_EQ(s1.dead_lettered, 1);
  EXPECT_EQ(s1.status, "needs_person");
  auto c = Conn();
  store::QueueFilter f;
  f.status = "dead";
  auto dead = store::ListOutbox(*c, f);
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].attempts, 3);
  EXPECT_NE((*dead)[0].last_error.find("busy"), std::string::npos);
  ASSERT_TRUE(engine_->RetryOutbox((*dead)[0].id, "cli:admin").ok());
  EXPECT_EQ(store::GetOutbox(*c, (*dead)[0].id)->status, store::OutboxStatus::kPending);
}

// Issue 21, fault 1: a change held back because an earlier one in its call failed was never sent,
// so it keeps its attempts and its own last error; only the change that failed is charged.
TEST_F(Engine, OnlyTheChangeThatWasSentAndFailedIsChargedAnAttempt) {
  options_.max_attempts = 2;
  Rebuild();
  AddSource();
  AddTarget("target", {{"fail_first_change_calls", 2}});
  Source({PupilRec("S1", 1), PupilRec("S2", 2), PupilRec("S3", 3), PupilRec("S4", 4)});
  Run("mis");
  auto s = Run("target");
  EXPECT_EQ(s.dead_lettered, 1) << "only the change that failed twice is dead";
  EXPECT_EQ(s.pushed, 3);
  auto c = Conn();
  store::QueueFilter every;
  every.status = "";
  auto all = store::ListOutbox(*c, every);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  for (const store::OutboxItem& o : *all) {
    if (o.status == sendsync::store::OutboxStatus::kDead) {
      EXPECT_EQ(o.attempts, 2);
      EXPECT_NE(o.last_error.find("failed this change (test, call 2)"), std::string::npos)
          << o.last_error;
    } else {
      EXPECT_EQ(o.status, sendsync::store::OutboxStatus::kDelivered);
      EXPECT_EQ(o.attempts, 0) << "never sent before it was delivered";
      EXPECT_EQ(o.last_error, "") << "no other change's error";
    }
  }
}

// A call that fails as a whole charges only its first change: the others were not surely sent.
TEST_F(Engine, AWholeCallFailureChargesOnlyItsFirstChange) {
  options_.max_attempts = 2;
  Rebuild();
  AddSource();
  AddTarget("target", {{"unavailable_first_calls", 2}});
  Source({PupilRec("S1", 1), PupilRec("S2", 2), PupilRec("S3", 3)});
  Run("mis");
  auto s = Run("target");
  EXPECT_EQ(s.dead_lettered, 1);
  EXPECT_EQ(s.pushed, 2);
  EXPECT_EQ(TargetLines().size(), 2u);
}

// Issue 21, fault 4: the two directions fail independently; a failed pull still pushes.
TEST_F(Engine, AFailedPullDoesNotHoldBackThePush) {
  AddSource();
  AddTarget("target", {{"fail_reads", true}},
            {{"kinds", {{"pupil", {{"direction", "both"}}}, {"sen", {{"direction", "write"}}}}}});
  Source({PupilRec("S1", 1), PupilRec("S2", 2)});
  Run("mis");
  auto r = engine_->RunLink("target", sync::RunMode::kSync);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, "failed");
  EXPECT_NE(r->pull_error.find("HTTP 500"), std::string::npos) << r->pull_error;
  EXPECT_EQ(r->push_error, "");
  EXPECT_EQ(r->pushed, 2) << "the pending changes are delivered although the pull failed";
  EXPECT_EQ(TargetLines().size(), 2u);
  EXPECT_NE(r->ToJson().value("pull_error", "").find("HTTP 500"), std::string::npos);
}

TEST_F(Engine, TargetRejectionIsShownWithItsReason) {
  AddSource();
  AddTarget("target", {{"reject_field_value", "Smith"}});
  Source({PupilRec("S1", 1, "Smith"), PupilRec("S2", 2, "Jones")});
  Run("mis");
  auto s = Run("target");
  EXPECT_EQ(s.rejected, 1);
  EXPECT_EQ(s.pushed, 1);
  auto c = Conn();
  store::QueueFilter f;
  f.status = "rejected";
  auto r = store::ListOutbox(*c, f);
  ASSERT_EQ(r->size(), 1u);
  EXPECT_NE(r->at(0).last_error.find("refuses records containing 'Smith'"), std::string::npos);
}

TEST_F(Engine, TransientFailuresAreRetriedAndDeliveredOnce) {
  AddSource();
  AddTarget("target", {{"retry_first_calls", 1}});
  Source({PupilRec("S1", 1)});
  Run("mis");
  auto s1 = Run("target");
  EXPECT_EQ(s1.retried, 1);
  EXPECT_EQ(s1.pushed, 1) << "due again at once (backoff 0 in tests) and delivered";
  EXPECT_EQ(TargetLines("received.jsonl").size(), 2u);
  EXPECT_EQ(TargetLines().size(), 1u);
}

TEST_F(Engine, DryRunReportsWhatWouldChangeAndChangesNothing) {
  AddSource();
  AddTarget();
  Source({PupilRec("S1", 1), SenRec("S1", 1, "K")});
  json bad = PupilRec("S2", 2);
  bad["sex"] = "Q";
  Source({bad});
  auto s = Run("mis", sync::RunMode::kDryRun);
  EXPECT_EQ(s.created, 2);
  EXPECT_EQ(s.quarantined, 1);
  bool saw_create = false;
  for (const json& c : s.changes) saw_create |= c["action"] == "create" && c["kind"] == "sen";
  EXPECT_TRUE(saw_create) << s.changes.dump();
  EXPECT_TRUE(Hub("pupil").empty());
  auto c = Conn();
  EXPECT_TRUE(store::ListQuarantine(*c, {})->empty());
  EXPECT_EQ(*store::GetCursor(*c, 1, "pupil"), "") << "the cursor did not move";
  EXPECT_EQ(Run("mis").created, 2) << "the real run still does everything";
}

TEST_F(Engine, TwoRunsOfOneLinkNeverOverlap) {
  AddSource();
  auto c = Conn();
  ASSERT_TRUE(*store::AcquireLease(*c, 1, "another-host", 60000));
  auto r = engine_->RunLink("mis", sync::RunMode::kSync);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("being run elsewhere"), std::string::npos);
}

TEST_F(Engine, EveryChangeIsAuditedAndTheChainVerifies) {
  AddSource();
  AddTarget();
  Source({PupilRec("S1", 1), SenRec("S1", 1, "K")});
  Run("mis");
  Run("target");
  auto c = Conn();
  auto pupil = hub::FindPupil(*c, Upn(1));
  audit::Query q;
  q.pupil_id = pupil->id;
  auto entries = audit::List(*c, q);
  std::set<std::string> actions;
  for (const auto& e : *entries) actions.insert(e.action);
  EXPECT_TRUE(actions.count("record.create"));
  EXPECT_TRUE(actions.count("delivery.applied") == 0) << "deliveries are audited by record";
  auto v = audit::Verify(*c);
  EXPECT_TRUE(v->ok) << v->problem;
  EXPECT_GT(v->checked, 3);
  for (const auto& e : *entries)
    EXPECT_EQ(e.detail.dump().find("Smith"), std::string::npos) << "no names";
}

TEST_F(Engine, SenHistoryIsKeptNotOverwritten) {
  AddSource();
  Source({PupilRec("S1", 1), SenRec("S1", 1, "K")});
  Run("mis");
  json e = SenRec("S1", 1, "E", "ASD");
  e["provision_start"] = "2026-02-10";
  Source({e});
  Run("mis");
  json h = Hub("sen")[Upn(1)]["history"];
  ASSERT_EQ(h.size(), 2u) << h.dump();
  EXPECT_EQ(h[0]["provision"], "K");
  EXPECT_EQ(h[0]["end"], "2026-02-09");
  EXPECT_EQ(h[1]["provision"], "E");
  EXPECT_FALSE(h[1].contains("end"));
}

TEST_F(Engine, AStatusReportedAgainWithAnEarlierStartIsOneEpisodeFromThatStart) {
  AddSource();
  Source({PupilRec("S1", 1), SenRec("S1", 1, "K")});
  Run("mis");
  json e = SenRec("S1", 1, "E", "ASD");
  e["provision_start"] = "2025-11-17";
  Source({e});
  Run("mis");
  e["provision_start"] = "2025-11-12";  // the date corrected
  Source({e});
  Run("mis");
  json h = Hub("sen")[Upn(1)]["history"];
  ASSERT_EQ(h.size(), 2u) << h.dump();
  EXPECT_EQ(h[0]["provision"], "K");
  EXPECT_EQ(h[0]["end"], "2025-11-11");
  EXPECT_EQ(h[1]["provision"], "E");
  EXPECT_EQ(h[1]["start"], "2025-11-12");
}

TEST_F(Engine, ReferencesBetweenRecordsAreTranslatedToHubIds) {
  AddSource();
  json cycle = {{"kind", "cycle"},
                {"id", "C1"},
                {"pupil", {{"id", "S1"}}},
                {"start", "2025-09-08"},
                {"review_date", "2025-12-12"}};
  json review = {{"kind", "review"}, {"id", "R1"},           {"pupil", {{"id", "S1"}}},
                 {"cycle_id", "C1"}, {"date", "2025-12-12"}, {"review_kind", "sen_support"}};
  Source({PupilRec("S1", 1), cycle, review});
  Run("mis");
  auto c = Conn();
  auto pupil = hub::FindPupil(*c, Upn(1));
  auto recs = hub::LoadPupilRecords(*c, pupil->id);
  ASSERT_TRUE(recs.ok()) << recs.status().ToString();
  ASSERT_EQ(recs->reviews.size(), 1u);
  ASSERT_EQ(recs->cycles.size(), 1u);
  EXPECT_EQ(*recs->reviews[0].cycle_id, recs->cycles[0].id);
}

TEST_F(Engine, AnnualReviewStepsOnTheReviewDriveTheFollowUpClocks) {
  AddSource();
  json review = {{"kind", "review"},
                 {"id", "R1"},
                 {"pupil", {{"id", "S1"}}},
                 {"date", "2025-02-20"},
                 {"review_kind", "ehc_annual"},
                 {"report_sent", "2025-03-01"},
                 {"la_decision_date", "2025-03-10"},
                 {"la_decision", "M"}};
  Source({PupilRec("S1", 1), review});
  Run("mis");
  auto c = Conn();
  auto pupil = hub::FindPupil(*c, Upn(1));
  auto recs = hub::LoadPupilRecords(*c, pupil->id);
  ASSERT_TRUE(recs.ok()) << recs.status().ToString();
  ASSERT_EQ(recs->annual_review_steps.size(), 1u);
  const domain::AnnualReviewSteps& s = recs->annual_review_steps[0];
  EXPECT_EQ(s.meeting.ToString(), "2025-02-20");
  ASSERT_TRUE(s.report_sent && s.decision && s.outcome);
  EXPECT_EQ(s.report_sent->ToString(), "2025-03-01");
  EXPECT_EQ(s.decision->ToString(), "2025-03-10");
  EXPECT_EQ(*s.outcome, "M");
}

TEST_F(Engine, APupilWithoutASchoolTakesTheLinksSchool) {
  AddSource();
  json p = PupilRec("S1", 1);
  p.erase("school_urn");
  json q = PupilRec("S2", 2);
  q["school_urn"] = "100001";  // a system that names the school is believed
  Source({p, q});
  Run("mis");
  auto hub = Hub("pupil");
  EXPECT_EQ(hub[Upn(1)]["school_urn"], "100000");
  EXPECT_EQ(hub[Upn(2)]["school_urn"], "100001");
}

// A record new to the hub is stored as the link sent it less its explicit nulls (a null clears,
// and there is nothing to clear), and the link agrees with all of it: its base is the stored body.
TEST_F(Engine, ANewRecordIsStoredAsSentLessItsNullsAndTheLinkAgreesWithAllOfIt) {
  int64_t link = AddSource();
  json p = PupilRec("S1", 1);
  p["preferred_forename"] = nullptr;
  p.erase("school_urn");
  Source({p});
  auto dry = Run("mis", sync::RunMode::kDryRun);
  ASSERT_EQ(dry.changes.size(), 1u);
  EXPECT_EQ(dry.changes[0]["fields"], json::array({"dob", "legal_forename", "legal_surname",
                                                   "nc_year", "school_urn", "sex", "upn"}))
      << dry.changes[0].dump();
  auto first = Run("mis");
  EXPECT_EQ(first.created, 1);
  auto c = Conn();
  auto lr = store::LinkRecordsByExternal(*c, link, "pupil", {"S1"});
  ASSERT_TRUE(lr.ok());
  ASSERT_EQ(lr->size(), 1u);
  auto rec = store::LoadRecords(*c, {(*lr)[0].record_id});
  ASSERT_TRUE(rec.ok());
  ASSERT_EQ(rec->size(), 1u);
  json body = json::parse((*rec)[0].body);
  EXPECT_FALSE(body.contains("preferred_forename")) << body.dump();
  EXPECT_EQ(body["school_urn"], "100000");
  EXPECT_EQ(body["upn"], Upn(1));
  EXPECT_EQ((*rec)[0].hash, audit::Sha256Hex((*rec)[0].body));
  ASSERT_TRUE((*lr)[0].base.has_value());
  EXPECT_EQ(*(*lr)[0].base, (*rec)[0].body);
  EXPECT_EQ((*lr)[0].base_hash, (*rec)[0].hash);
  Source({p});  // sent again: nothing to do
  auto again = Run("mis");
  EXPECT_EQ(again.unchanged, 1);
  EXPECT_EQ(again.updated, 0);
}

TEST_F(Engine, SecretsAreReferencesAndAMissingOneIsNamedNotShown) {
  sync::LinkSpec spec;
  spec.name = "t";
  spec.school_urn = "100000";
  spec.adapter_id = "counting";
  spec.config = {{"folder", dir_.string()}, {"token", "hunter2-the-actual-secret"}};
  auto refused = sync::AddLink(*store_, spec, options_.runtime, SYNC_PLUGIN_DIR, "test");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("env:NAME or file:PATH"), std::string::npos);
  EXPECT_EQ(refused.status().message().find("hunter2"), std::string::npos);
  spec.config["token"] = "env:SENDSYNC_TEST_TOKEN_UNSET";
  ASSERT_TRUE(sync::AddLink(*store_, spec, options_.runtime, SYNC_PLUGIN_DIR, "test").ok());
  auto r = engine_->RunLink("t", sync::RunMode::kSync);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, "failed");
  EXPECT_NE(r->error.find("environment variable SENDSYNC_TEST_TOKEN_UNSET is not set"),
            std::string::npos);
  ::setenv("SENDSYNC_TEST_TOKEN_SET", "hunter2", 1);
  auto resolved = sync::ResolveSecrets({{"token", "env:SENDSYNC_TEST_TOKEN_SET"}}, {"/token"});
  EXPECT_EQ((*resolved)["token"], "hunter2");
}

TEST_F(Engine, ConfigIsCheckedAgainstTheAdaptersSchema) {
  sync::LinkSpec spec;
  spec.name = "bad";
  spec.school_urn = "100000";
  spec.adapter_id = "jsonl-folder";
  spec.config = {{"folder", 42}};
  auto r = sync::AddLink(*store_, spec, options_.runtime, SYNC_PLUGIN_DIR, "test");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("/folder"), std::string::npos) << r.status().message();
  spec.adapter_id = "no-such-adapter";
  EXPECT_EQ(sync::AddLink(*store_, spec, options_.runtime, SYNC_PLUGIN_DIR, "test").status().code(),
            Status::Code::kNotFound);
}

TEST_F(Engine, OneAdapterCrashingDoesNotStopTheOtherLinks) {
  options_.runtime.mode = plugins::Mode::kWorker;
  Rebuild();
  AddSource("mis");
  sync::LinkSpec spec;
  spec.name = "crashy";
  spec.school_urn = "100000";
  spec.adapter_id = "misbehaving";
  spec.config = json::object();
  ASSERT_TRUE(sync::AddLink(*store_, spec, options_.runtime, SYNC_PLUGIN_DIR, "test").ok());
  auto c = Conn();
  auto crashy = store::GetLink(*c, "crashy");
  ASSERT_TRUE(store::SetCursor(*c, crashy->id, "pupil", "segfault").ok());
  AddSource("mis2", nullptr, "source2");
  Source({PupilRec("S1", 1)});
  Source({PupilRec("Q1", 2)}, "source2");
  // Under AddressSanitizer, let the worker's SIGSEGV kill it as a signal (as in production
  // builds) rather than become an ASan report and exit code 1; only for this run.
  const char* old_asan = std::getenv("ASAN_OPTIONS");
  const std::string saved = old_asan ? old_asan : "";
  ::setenv("ASAN_OPTIONS", "handle_segv=0:handle_abort=0:detect_leaks=0", 1);
  auto ran = engine_->RunAll(sync::RunMode::kSync);
  if (old_asan)
    ::setenv("ASAN_OPTIONS", saved.c_str(), 1);
  else
    ::unsetenv("ASAN_OPTIONS");
  ASSERT_TRUE(ran.ok()) << ran.status().ToString();
  auto& all = *ran;
  ASSERT_EQ(all.size(), 3u);
  std::map<std::string, sync::RunSummary> by;
  for (auto& s : all) by[s.link] = s;
  EXPECT_EQ(by["crashy"].status, "failed");
  EXPECT_NE(by["crashy"].error.find("SIGSEGV"), std::string::npos) << by["crashy"].error;
  EXPECT_EQ(by["mis"].status, "ok");
  EXPECT_EQ(by["mis2"].status, "ok");
  EXPECT_EQ(Hub("pupil").size(), 2u);
}

TEST_F(Engine, ImportIsAllOrNothingWithLineNumbers) {
  std::string file = (dir_ / "import.jsonl").string();
  {
    std::ofstream f(file);
    f << PupilRec("I1", 1).dump() << "\n\n";
    json bad = PupilRec("I2", 2);
    bad["dob"] = "yesterday";
    f << bad.dump() << "\n";
  }
  auto rep = engine_->ImportJsonLines(file, "cli:admin");
  ASSERT_TRUE(rep.ok());
  ASSERT_EQ(rep->errors.size(), 1u);
  EXPECT_EQ(rep->errors[0].rfind("line 3: dob", 0), 0u) << rep->errors[0];
  EXPECT_TRUE(Hub("pupil").empty()) << "nothing half-written";
  {
    std::ofstream f(file, std::ios::trunc);
    f << PupilRec("I1", 1).dump() << "\n" << SenRec("I1", 1, "K").dump() << "\n";
  }
  rep = engine_->ImportJsonLines(file, "cli:admin");
  ASSERT_TRUE(rep.ok());
  EXPECT_TRUE(rep->errors.empty()) << rep->errors[0];
  EXPECT_EQ(rep->created, 2);
  EXPECT_EQ(Hub("sen")[Upn(1)]["provision"], "K");
}

// The same engine against PostgreSQL: a run, a conflict and a push.
class EnginePostgres : public SyncTest {
 protected:
  void SetUp() override {
    if (PostgresSkipped()) GTEST_SKIP();
    std::string url = FreshPostgresUrl();
    ASSERT_FALSE(url.empty());
    Open(url);
  }
};

TEST_F(EnginePostgres, PullMergePushWorkOnPostgres) {
  AddSource();
  AddTarget();
  Source({PupilRec("S1", 1), SenRec("S1", 1, "K"), PupilRec("S2", 2)});
  auto s = Run("mis");
  EXPECT_EQ(s.created, 3);
  EXPECT_EQ(Run("target").pushed, 3);
  Source({SenRec("S1", 1, "E", "ASD")});
  EXPECT_EQ(Run("mis").updated, 1);
  EXPECT_EQ(Run("target").pushed, 1);
  auto c = Conn();
  EXPECT_TRUE(audit::Verify(*c)->ok);
}

}  // namespace
