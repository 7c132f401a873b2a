// The stages of plan, then commit (core/sync/plan.h), each on its own: the per-kind policy table,
// matching one pupil, merging one record, planning a deletion, quarantine, and the commit of a plan
// (what a real commit and a dry run write). Read as the stages' specification.
#include <gtest/gtest.h>

#include "core/audit/audit.h"
#include "core/sync/plan.h"
#include "sync_fixture.h"

using namespace sendsync;
using namespace sendsync::sync;
using namespace sendsync::sync::detail;
using namespace sendsync::testing_support;
using nlohmann::json;

namespace {

BatchPlan PlanFor(records::Kind kind, int64_t link_id = 1) {
  BatchPlan plan;
  plan.kind = records::KindName(kind);
  plan.policy = &PolicyOf(kind);
  plan.link_id = link_id;
  plan.actor = "link:mis";
  return plan;
}

// A checked record as CheckBatch leaves it, with the incoming record it came from.
struct Rec {
  Incoming in;
  WorkRecord work{CheckedRecord{}};
  Rec(const json& fields, const std::string& ext, const std::string& upn = "",
      const std::string& dob = "") {
    in.raw = fields;
    in.ext_id = ext;
    CheckedRecord c;
    c.in = &in;
    c.ext = ext;
    c.upn = upn;
    c.dob = dob;
    c.fields = fields;
    work = WorkRecord(std::move(c));
  }
};

store::RecordRow PupilRow(int64_t id, const std::string& upn, const std::string& dob,
                          const json& body = json::object()) {
  store::RecordRow r;
  r.id = id;
  r.kind = "pupil";
  r.upn = upn;
  r.dob = dob;
  r.body = body.dump();
  r.hash = audit::Sha256Hex(r.body);
  return r;
}

// A cycle record the hub holds (id 9) with `body`, and this link's record of it (C-1) agreeing on
// `base`.
struct KnownCycle {
  store::RecordRow hub;
  store::LinkRecord link;
  KnownCycle(const json& body, const json& base) {
    hub.id = 9;
    hub.kind = "cycle";
    hub.body = body.dump();
    hub.hash = audit::Sha256Hex(hub.body);
    link = {1, "cycle", "C-1", 9, base.dump(), audit::Sha256Hex(base.dump())};
  }
};

std::vector<std::string> Actions(const BatchPlan& plan) {
  std::vector<std::string> out;
  for (const auto& e : plan.audit) out.push_back(e.action);
  return out;
}

}  // namespace

// ---- the policy table ------------------------------------------------------------------------

TEST(KindPolicyTable, IsIndexedByTheKindAndNamesEveryKind) {
  for (records::Kind k : records::AllKinds()) {
    EXPECT_EQ(PolicyOf(k).kind, k);
    ASSERT_NE(PolicyOf(records::KindName(k)), nullptr) << records::KindName(k);
    EXPECT_EQ(PolicyOf(records::KindName(k))->kind, k);
  }
  EXPECT_EQ(PolicyOf("pupils"), nullptr) << "an unknown name has no policy";
}

TEST(KindPolicyTable, SaysHowEachKindIsMatchedMergedAndConfirmed) {
  const KindPolicy& pupil = PolicyOf(records::Kind::kPupil);
  EXPECT_TRUE(pupil.is_pupil && pupil.school_from_link);
  EXPECT_FALSE(pupil.claims_in_flight || pupil.one_per_pupil || pupil.history_union);
  const KindPolicy& sen = PolicyOf(records::Kind::kSen);
  EXPECT_TRUE(sen.one_per_pupil && sen.history_union);
  EXPECT_FALSE(sen.is_pupil || sen.claims_in_flight);
  EXPECT_TRUE(PolicyOf(records::Kind::kProvision).claims_in_flight);
  EXPECT_TRUE(PolicyOf(records::Kind::kReferral).claims_in_flight);
  EXPECT_FALSE(PolicyOf(records::Kind::kReferral).delivered_with_record)
      << "a referral's evidence pack goes with further requests";
  EXPECT_TRUE(PolicyOf(records::Kind::kReview).delivered_with_record);
  EXPECT_TRUE(DeliveredWithTheRecord("cycle"));
  EXPECT_FALSE(DeliveredWithTheRecord("referral"));
}

// ---- match one pupil -------------------------------------------------------------------------

TEST(MatchPupil, APupilTheHubDoesNotHoldIsNewAndRemembered) {
  Rec r({{"upn", Upn(1)}}, "P-1", Upn(1), "2014-03-02");
  std::map<std::string, std::string> batch;
  PupilMatch m = MatchPupil(r.work, {}, {}, batch);
  EXPECT_EQ(m.outcome, PupilMatch::Outcome::kNew);
  EXPECT_EQ(batch[Upn(1)], "P-1");
  Rec twin({{"upn", Upn(1)}}, "P-2", Upn(1), "2014-03-02");
  m = MatchPupil(twin.work, {}, {}, batch);
  EXPECT_EQ(m.outcome, PupilMatch::Outcome::kQueue) << "two new pupils of one pull share a UPN";
  EXPECT_NE(m.reason.find("census error 1520"), std::string::npos);
  EXPECT_EQ(m.candidates[0]["external_id"], "P-1");
}

TEST(MatchPupil, OneHubPupilWithTheUpnAndDateOfBirthIsThatPupil) {
  PupilCandidates c;
  c.pupils = {PupilRow(7, Upn(1), "2014-03-02")};
  Rec r({{"upn", Upn(1)}}, "P-1", Upn(1), "2014-03-02");
  std::map<std::string, std::string> batch;
  PupilMatch m = MatchPupil(r.work, c, {}, batch);
  EXPECT_EQ(m.outcome, PupilMatch::Outcome::kKnown);
  EXPECT_EQ(m.record_id, 7);
  EXPECT_TRUE(batch.empty());
}

TEST(MatchPupil, ADifferentDateOfBirthOrSeveralPupilsWaitForAPerson) {
  PupilCandidates c;
  c.pupils = {PupilRow(7, Upn(1), "2014-03-02")};
  Rec r({{"upn", Upn(1)}}, "P-1", Upn(1), "2015-01-01");
  std::map<std::string, std::string> batch;
  PupilMatch m = MatchPupil(r.work, c, {}, batch);
  EXPECT_EQ(m.outcome, PupilMatch::Outcome::kQueue);
  EXPECT_EQ(m.reason, "a pupil with this UPN has a different date of birth");
  ASSERT_EQ(m.candidates.size(), 1u);
  EXPECT_EQ(m.candidates[0]["record_id"], 7);

  c.pupils.push_back(PupilRow(8, "X", "2014-03-02"));
  c.pupils.back().former_upn = Upn(1);
  m = MatchPupil(r.work, c, {}, batch);
  EXPECT_EQ(m.outcome, PupilMatch::Outcome::kQueue);
  EXPECT_EQ(m.reason, "the UPN matches 2 pupils in the hub");
}

TEST(MatchPupil, APupilThisLinkKnowsUnderAnotherIdIsADuplicateUpn) {
  PupilCandidates c;
  c.pupils = {PupilRow(7, Upn(1), "2014-03-02")};
  c.link_record_of[7] = store::LinkRecord{1, "pupil", "P-OLD", 7, std::nullopt, ""};
  Rec r({{"upn", Upn(1)}}, "P-1", Upn(1), "2014-03-02");
  std::map<std::string, std::string> batch;
  PupilMatch m = MatchPupil(r.work, c, {}, batch);
  EXPECT_EQ(m.outcome, PupilMatch::Outcome::kQueue);
  EXPECT_EQ(m.candidates[0]["linked_as"], "P-OLD");
}

TEST(MatchPupil, APermanentUpnNamingTheTemporaryOneAsFormerIsTheSamePupil) {
  json name = {{"legal_surname", "Smith"}, {"legal_forename", "Sam"}};
  PupilCandidates c;
  c.pupils = {PupilRow(7, TempUpn(1), "2014-03-02", name)};
  c.link_record_of[7] = store::LinkRecord{1, "pupil", "T-1", 7, std::nullopt, ""};
  json fields = name;
  fields["upn"] = Upn(1);
  Rec r(fields, "P-1", Upn(1), "2014-03-02");
  r.work.former_upn = TempUpn(1);
  std::map<std::string, std::string> batch;
  PupilMatch m = MatchPupil(r.work, c, {}, batch);
  EXPECT_EQ(m.outcome, PupilMatch::Outcome::kKnown);
  EXPECT_EQ(m.record_id, 7);
  EXPECT_EQ(m.replaced_temporary_upn, TempUpn(1));
  ASSERT_TRUE(m.old_link_record);
  EXPECT_EQ(m.old_link_record->external_id, "T-1");
  r.work.fields["legal_surname"] = "Jones";
  EXPECT_EQ(MatchPupil(r.work, c, {}, batch).outcome, PupilMatch::Outcome::kQueue)
      << "another child's name: a person decides";
}

TEST(MatchPupil, APersonsChoiceIsTaken) {
  PupilCandidates c;
  c.pupils = {PupilRow(7, Upn(1), "2014-03-02")};
  Rec r({{"upn", Upn(1)}}, "P-1", Upn(1), "2015-01-01");
  std::map<std::string, std::string> batch;
  BatchOptions opt;
  opt.force_pupil_id = 7;
  EXPECT_EQ(MatchPupil(r.work, c, opt, batch).record_id, 7);
  opt = {};
  opt.force_new_pupil = true;
  EXPECT_EQ(MatchPupil(r.work, c, opt, batch).outcome, PupilMatch::Outcome::kNew);
}

// ---- quarantine --------------------------------------------------------------------------------

TEST(PlanQuarantine, QuarantinesOrReportsWhenTheCallerRefusesInstead) {
  BatchPlan plan = PlanFor(records::Kind::kSen);
  BatchOptions opt;
  opt.run_id = 3;
  PlanQuarantine(plan, opt, "{}", "S-1", Upn(1), json::array({Reason("X", "provision", "bad")}),
                 "S-1");
  ASSERT_EQ(plan.quarantine.size(), 1u);
  EXPECT_EQ(plan.quarantine[0].run_id, 3);
  EXPECT_EQ(plan.result.quarantined, 1);
  EXPECT_EQ(plan.result.changes[0]["action"], "quarantine");
  opt.quarantine_failures = false;
  PlanQuarantine(plan, opt, "{}", "S-2", "", json::array({Reason("X", "provision", "bad")}),
                 "line 2");
  EXPECT_EQ(plan.quarantine.size(), 1u);
  ASSERT_EQ(plan.result.errors.size(), 1u);
  EXPECT_EQ(plan.result.errors[0], "line 2: provision: bad");
}

// ---- merge one record --------------------------------------------------------------------------

TEST(MergeOne, ARecordNewToTheHubIsInsertedAsSentLessItsNulls) {
  BatchPlan plan = PlanFor(records::Kind::kPupil);
  Rec r({{"upn", Upn(1)}, {"dob", "2014-03-02"}, {"nickname", nullptr}}, "P-1");
  r.work.record_id = 40;
  KindSettings ks;
  MergeInput in;
  in.work = &r.work;
  in.settings = &ks;
  in.link_school_urn = "100000";
  in.now = 1000;
  ASSERT_TRUE(MergeOne(in, plan).ok());
  ASSERT_EQ(plan.inserts.size(), 1u);
  const store::RecordRow& row = plan.inserts[0];
  EXPECT_EQ(row.id, 40);
  EXPECT_EQ(row.upn, Upn(1));
  EXPECT_EQ(row.school_urn, "100000") << "a pupil's school is the link's when it does not say";
  EXPECT_EQ(json::parse(row.body),
            json({{"upn", Upn(1)}, {"dob", "2014-03-02"}, {"school_urn", "100000"}}));
  EXPECT_EQ(row.version, 1);
  EXPECT_EQ(Actions(plan), std::vector<std::string>{"record.create"});
  ASSERT_EQ(plan.link_rows.size(), 1u);
  EXPECT_EQ(*plan.link_rows[0].base, row.body) << "the link agrees with all of it";
  EXPECT_EQ(plan.fanout, std::vector<int64_t>{40});
  EXPECT_EQ(plan.result.created, 1);
  EXPECT_TRUE(plan.applied_ext.count("P-1"));
}

TEST(MergeOne, AKnownRecordTheLinkChangedIsUpdatedAndOnlyItsBaseMoves) {
  BatchPlan plan = PlanFor(records::Kind::kCycle);
  KnownCycle k({{"stage", "assess"}}, {{"stage", "assess"}});
  store::RecordRow& hub = k.hub;
  hub.pupil_id = 7;
  hub.version = 2;
  store::LinkRecord& lr = k.link;
  Rec r({{"stage", "do"}}, "C-1");
  r.work.record_id = 9;
  r.work.pupil_id = 7;
  KindSettings ks;
  MergeInput in{&r.work, &hub, &lr, nullptr, &ks, "", 1000};
  ASSERT_TRUE(MergeOne(in, plan).ok());
  ASSERT_EQ(plan.updates.size(), 1u);
  EXPECT_EQ(plan.updates[0].version, 3);
  EXPECT_EQ(plan.updates[0].pupil_id, 7);
  EXPECT_EQ(json::parse(plan.updates[0].body)["stage"], "do");
  EXPECT_EQ(Actions(plan), std::vector<std::string>{"record.update"});
  EXPECT_TRUE(plan.audit[0].detail["fields"].contains("stage"));
  EXPECT_EQ(plan.audit[0].pupil_id, 7);
  EXPECT_TRUE(plan.link_rows.empty());
  ASSERT_EQ(plan.base_rows.size(), 1u) << "the link record names this record already";

  BatchPlan again = PlanFor(records::Kind::kCycle);
  store::RecordRow now = plan.updates[0];
  store::LinkRecord lr2{1, "cycle", "C-1", 9, now.body, now.hash};
  Rec same({{"stage", "do"}}, "C-1");
  same.work.record_id = 9;
  MergeInput in2{&same.work, &now, &lr2, nullptr, &ks, "", 2000};
  ASSERT_TRUE(MergeOne(in2, again).ok());
  EXPECT_TRUE(again.updates.empty());
  EXPECT_EQ(again.result.unchanged, 1);
  EXPECT_TRUE(again.fanout.empty()) << "nothing changed, nothing goes out";
}

TEST(MergeOne, BothSidesChangedAFieldSoAConflictIsPlannedAndTheHubKeepsItsValue) {
  BatchPlan plan = PlanFor(records::Kind::kCycle);
  plan.run_id = 5;
  KnownCycle k({{"stage", "review"}}, {{"stage", "assess"}});
  Rec r({{"stage", "do"}}, "C-1");
  r.work.record_id = 9;
  KindSettings ks;
  MergeInput in{&r.work, &k.hub, &k.link, nullptr, &ks, "", 1000};
  ASSERT_TRUE(MergeOne(in, plan).ok());
  ASSERT_EQ(plan.conflicts.size(), 1u);
  EXPECT_EQ(plan.conflicts[0].field, "stage");
  EXPECT_EQ(plan.conflicts[0].run_id, 5);
  EXPECT_EQ(*plan.conflicts[0].theirs, "\"do\"");
  EXPECT_TRUE(plan.updates.empty()) << "nothing is overwritten while a person decides";
  EXPECT_EQ(Actions(plan), std::vector<std::string>{"conflict.open"});
  EXPECT_EQ(plan.result.unchanged, 0) << "a record with a conflict is not 'unchanged'";
}

TEST(MergeOne, AFieldTheHubWonGoesBackToTheLink) {
  BatchPlan plan = PlanFor(records::Kind::kCycle);
  KnownCycle k({{"stage", "review"}}, {{"stage", "assess"}});
  Rec r({{"stage", "do"}}, "C-1");
  r.work.record_id = 9;
  KindSettings ks;
  ks.authority["*"] = FieldAuthority::kHub;
  MergeInput in{&r.work, &k.hub, &k.link, nullptr, &ks, "", 1000};
  ASSERT_TRUE(MergeOne(in, plan).ok());
  EXPECT_TRUE(plan.conflicts.empty());
  EXPECT_TRUE(plan.updates.empty());
  EXPECT_EQ(plan.fanout, std::vector<int64_t>{9}) << "the link must be sent the hub's value";
  ASSERT_EQ(plan.base_rows.size(), 1u);
  EXPECT_EQ(json::parse(*plan.base_rows[0].base)["stage"], "do") << "what the link now has";
}

TEST(MergeOne, ASenHistoryIsAUnionOfWhatEveryoneReported) {
  BatchPlan plan = PlanFor(records::Kind::kSen);
  store::RecordRow hub;
  hub.id = 9;
  hub.kind = "sen";
  hub.pupil_id = 7;
  hub.body = json({{"provision", "K"},
                   {"provision_start", "2024-09-04"},
                   {"history", {{{"provision", "K"}, {"start", "2024-09-04"}}}}})
                 .dump();
  hub.hash = audit::Sha256Hex(hub.body);
  Rec r({{"provision", "E"}, {"provision_start", "2025-09-04"}}, "S-1");
  r.work.record_id = 9;
  r.work.pupil_id = 7;
  r.work.pupil_upn = Upn(1);
  KindSettings ks;
  ks.authority["*"] = FieldAuthority::kLink;
  MergeInput in{&r.work, &hub, nullptr, nullptr, &ks, "", 1000};
  ASSERT_TRUE(MergeOne(in, plan).ok());
  ASSERT_EQ(plan.updates.size(), 1u);
  json body = json::parse(plan.updates[0].body);
  EXPECT_EQ(body["history"], json::parse(R"([
    {"provision": "K", "start": "2024-09-04", "end": "2025-09-03"},
    {"provision": "E", "start": "2025-09-04"}])"));
  EXPECT_EQ(plan.result.changes[0]["upn"], Upn(1));
}

TEST(NormalizeSenHistory, OneEpisodePerStatusRunEndedTheDayBeforeTheNext) {
  json merged = {{"provision", "E"}, {"provision_start", "2025-09-04"}};
  json theirs = {{"history",
                  {{{"provision", "K"}, {"start", "2023-09-04"}},
                   {{"provision", "K"}, {"start", "2024-01-10"}}}}};
  json h = NormalizeSenHistory(merged, nullptr, theirs);
  EXPECT_EQ(h, json::parse(R"([
    {"provision": "K", "start": "2023-09-04", "end": "2025-09-03"},
    {"provision": "E", "start": "2025-09-04"}])"));
}

// ---- plan a deletion ---------------------------------------------------------------------------

TEST(PlanDeletion, ARecordTheHubHoldsAsTheLinkLastSawItIsDeleted) {
  BatchPlan plan = PlanFor(records::Kind::kCycle);
  KnownCycle k(json::object(), json::object());
  k.hub.pupil_id = 7;
  k.hub.version = 4;
  PlanDeletion(k.link, k.hub, 1000, 0, plan);
  ASSERT_EQ(plan.updates.size(), 1u);
  EXPECT_TRUE(plan.updates[0].deleted);
  EXPECT_EQ(plan.updates[0].version, 5);
  EXPECT_EQ(plan.fanout, std::vector<int64_t>{9});
  EXPECT_EQ(Actions(plan), std::vector<std::string>{"record.delete"});
  EXPECT_EQ(plan.audit[0].pupil_id, 7);
  EXPECT_EQ(plan.result.deleted, 1);
}

TEST(PlanDeletion, ARecordChangedSinceTheLinkSawItIsAConflictNotADeletion) {
  BatchPlan plan = PlanFor(records::Kind::kCycle);
  KnownCycle k({{"stage", "do"}}, json::object());
  PlanDeletion(k.link, k.hub, 1000, 0, plan);
  EXPECT_TRUE(plan.updates.empty());
  ASSERT_EQ(plan.conflicts.size(), 1u);
  EXPECT_EQ(plan.conflicts[0].field, "(deleted)");
  EXPECT_EQ(*plan.conflicts[0].ours, k.hub.body);
  EXPECT_TRUE(plan.fanout.empty());
  EXPECT_EQ(plan.result.conflicts, 1);
}

// ---- commit a plan -----------------------------------------------------------------------------

class CommitPlanTest : public SyncTest {
 protected:
  // A plan of one new pupil, one quarantined record and the cursor, for the link "mis".
  BatchPlan OnePupil(store::Conn& c, int64_t link_id) {
    BatchPlan plan = PlanFor(records::Kind::kPupil, link_id);
    auto id = store::AllocateIds(c, "records", 1);
    EXPECT_TRUE(id.ok());
    store::RecordRow row = PupilRow(*id, Upn(1), "2014-03-02", {{"upn", Upn(1)}});
    row.created_at = row.updated_at = 1;
    plan.inserts.push_back(row);
    plan.link_rows.push_back(store::LinkRecord{link_id, "pupil", "P-1", *id, row.body, row.hash});
    plan.Audit("record.create", *id, *id, {{"hash", row.hash}});
    store::QuarantineItem q;
    q.link_id = link_id;
    q.kind = "pupil";
    q.external_id = "P-2";
    q.raw = "{}";
    q.reasons = json::array({Reason("X", "upn", "bad")});
    plan.quarantine.push_back(q);
    plan.cursor = "page-2";
    return plan;
  }
  int64_t Count(store::Conn& c, const std::string& table) {
    auto rows = c.Query("SELECT COUNT(*) FROM " + table);
    EXPECT_TRUE(rows.ok());
    return std::get<int64_t>((*rows)[0][0]);
  }
};

TEST_F(CommitPlanTest, WritesEveryPartOfThePlanInTheCallersTransaction) {
  const int64_t link = AddSource();
  auto c = Conn();
  const int64_t audit_before = Count(*c, "audit");
  {
    store::Tx tx(*c);
    BatchPlan plan = OnePupil(*c, link);
    ASSERT_TRUE(CommitPlan(*c, plan, false).ok());
    ASSERT_TRUE(tx.Commit().ok());
  }
  EXPECT_EQ(Hub("pupil").size(), 1u);
  EXPECT_EQ(Count(*c, "link_records"), 1);
  EXPECT_EQ(Count(*c, "quarantine"), 1);
  EXPECT_EQ(Count(*c, "audit"), audit_before + 2) << "record.create and quarantine.add";
  EXPECT_EQ(*store::GetCursor(*c, link, "pupil"), "page-2");
}

TEST_F(CommitPlanTest, ADryRunWritesOnlyWhatLaterBatchesOfTheRunRead) {
  const int64_t link = AddSource();
  auto c = Conn();
  const int64_t audit_before = Count(*c, "audit");
  store::Tx tx(*c);
  BatchPlan plan = OnePupil(*c, link);
  ASSERT_TRUE(CommitPlan(*c, plan, true).ok());
  EXPECT_EQ(Count(*c, "records"), 1) << "a later kind of the run finds its pupil";
  EXPECT_EQ(Count(*c, "link_records"), 1);
  EXPECT_EQ(Count(*c, "quarantine"), 0);
  EXPECT_EQ(Count(*c, "outbox"), 0);
  EXPECT_EQ(Count(*c, "audit"), audit_before);
  EXPECT_EQ(*store::GetCursor(*c, link, "pupil"), "");
}
