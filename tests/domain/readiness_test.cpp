// Referral readiness: a pupil whose records hold everything an LA expects is ready; take away
// each piece of evidence and exactly that item says what is missing.
#include <gtest/gtest.h>

#include <functional>

#include "tests/domain/fixtures.h"

using namespace sendsync;
using namespace sendsync::domain;
using namespace sendsync::domain::testing;

namespace {

const Date kAsOf = D("2025-06-01");

records::Cycle Completed(std::string id, const char* start, const char* review) {
  auto c = MakeCycle(id, start, review);
  c.status = "completed";
  c.completed = D(review);
  c.assessment_sources.push_back(
      {"parent", std::nullopt, D(start), std::string("Worried about reading at home"), {}});
  return c;
}

PupilRecords Ready() {
  PupilRecords pr;
  pr.pupil = MakePupil();
  pr.sen = MakeSen("K");
  pr.cycles = {Completed("C1", "2024-09-09", "2024-12-09"),
               Completed("C2", "2025-01-06", "2025-03-31")};
  auto r1 = MakeReview("R1", "C1", "2024-12-09");
  r1.parent_voice = "Happier going to school";
  r1.pupil_voice = "I like the reading group";
  auto r2 = MakeReview("R2", "C2", "2025-03-31");
  r2.attendees.push_back(
      {"specialist", std::string("Educational psychologist"), D("2025-03-31"), {}, {}});
  pr.reviews = {r1, r2};
  pr.provision = {MakeProvision("P1")};
  auto f = MakeReferral();
  f.status = "draft";
  f.received_date.reset();
  f.request_date = D("2025-05-20");
  f.consent = {true, D("2025-05-15"), std::string("parent")};
  pr.referrals = {f};
  return pr;
}

const ChecklistItem& Item(const Readiness& r, const std::string& id) {
  for (const ChecklistItem& i : r.items)
    if (i.id == id) return i;
  static ChecklistItem none;
  ADD_FAILURE() << "no item " << id;
  return none;
}

std::string Unmet(const Readiness& r) {
  std::string s;
  for (const ChecklistItem& i : r.items)
    if (!i.met) s += i.id + ": " + i.missing + "\n";
  return s;
}

}  // namespace

TEST(Readiness, CompleteEvidenceIsReady) {
  Readiness r = CheckReadiness(Ready(), kAsOf);
  EXPECT_TRUE(r.ready) << Unmet(r);
  EXPECT_EQ(r.items.size(), 9u);
}

TEST(Readiness, ItemsLinkTheirEvidence) {
  Readiness r = CheckReadiness(Ready(), kAsOf);
  EXPECT_EQ(Item(r, "completed_cycles").evidence,
            (std::vector<std::string>{"cycle:C1", "review:R1", "cycle:C2", "review:R2"}));
  EXPECT_EQ(Item(r, "costed_provision").evidence, std::vector<std::string>{"provision:P1"});
  EXPECT_EQ(Item(r, "specialist_advice").evidence, std::vector<std::string>{"review:R2"});
  EXPECT_EQ(Item(r, "parent_views").evidence,
            (std::vector<std::string>{"cycle:C1", "cycle:C2", "review:R1"}));
  EXPECT_EQ(Item(r, "pupil_views").evidence, std::vector<std::string>{"review:R1"});
  EXPECT_EQ(Item(r, "consent").evidence, std::vector<std::string>{"referral:F1"});
  EXPECT_EQ(Item(r, "sen_support").evidence, std::vector<std::string>{"sen:S1"});
}

TEST(Readiness, EachMissingPieceIsNamed) {
  struct Case {
    const char* name;
    std::function<void(PupilRecords&)> remove;
    const char* item;
    const char* missing;
  };
  std::vector<Case> cases = {
      {"not on SEN support", [](PupilRecords& pr) { pr.sen = MakeSen("N"); }, "sen_support",
       "not recorded on SEN support"},
      {"already has a plan", [](PupilRecords& pr) { pr.sen = MakeSen("E"); }, "sen_support",
       "already has an EHC plan"},
      {"one cycle only", [](PupilRecords& pr) { pr.cycles.pop_back(); }, "completed_cycles",
       "Needs 2 completed cycles each with a recorded review; found 1."},
      {"unreviewed cycle", [](PupilRecords& pr) { pr.reviews[1].cycle_id = "C9"; },
       "completed_cycles", "The cycle begun 6 January 2025 has no review recorded."},
      {"cycle still open", [](PupilRecords& pr) { pr.cycles[1].status = "open"; },
       "completed_cycles", "found 1"},
      {"target without criteria",
       [](PupilRecords& pr) { pr.cycles[0].outcomes[0].targets[0].success_criteria.clear(); },
       "smart_targets", "The cycle begun 9 September 2024: target C1-T1"},
      {"target without date",
       [](PupilRecords& pr) { pr.cycles[1].outcomes[0].targets[0].due.reset(); }, "smart_targets",
       "The cycle begun 6 January 2025: target C2-T1"},
      {"review without progress", [](PupilRecords& pr) { pr.reviews[0].progress.clear(); },
       "review_progress", "The review of 9 December 2024 records no progress per target."},
      {"no provision", [](PupilRecords& pr) { pr.provision.clear(); }, "costed_provision",
       "No provision is recorded"},
      {"uncosted provision",
       [](PupilRecords& pr) {
         pr.provision[0].hourly_rate = 0;
         pr.provision[0].resources_cost = 0;
       },
       "costed_provision", "Reading catch-up (from 9 September 2024) has no cost"},
      {"no specialist", [](PupilRecords& pr) { pr.reviews[1].attendees.clear(); },
       "specialist_advice", "No advice from an external specialist"},
      {"no parent views",
       [](PupilRecords& pr) {
         pr.reviews[0].parent_voice.reset();
         for (auto& c : pr.cycles) c.assessment_sources.clear();
       },
       "parent_views", "parents' views are not recorded"},
      {"no pupil views", [](PupilRecords& pr) { pr.reviews[0].pupil_voice = " "; }, "pupil_views",
       "pupil's views are not recorded"},
      {"no consent", [](PupilRecords& pr) { pr.referrals[0].consent = {}; }, "consent",
       "The request does not record the family's consent"},
      {"consent undated", [](PupilRecords& pr) { pr.referrals[0].consent.date.reset(); }, "consent",
       "records consent without a date"},
      {"no referral yet", [](PupilRecords& pr) { pr.referrals.clear(); }, "consent",
       "No request is being prepared yet"},
  };
  for (const Case& c : cases) {
    PupilRecords pr = Ready();
    c.remove(pr);
    Readiness r = CheckReadiness(pr, kAsOf);
    EXPECT_FALSE(r.ready) << c.name;
    const ChecklistItem& item = Item(r, c.item);
    EXPECT_FALSE(item.met) << c.name;
    EXPECT_NE(item.missing.find(c.missing), std::string::npos) << c.name << ": " << item.missing;
  }
}

TEST(Readiness, OnlyEvidenceUpToTheDateCounts) {
  Readiness r = CheckReadiness(Ready(), D("2025-03-01"));  // C2 not yet completed
  EXPECT_FALSE(Item(r, "completed_cycles").met);
  EXPECT_FALSE(Item(r, "specialist_advice").met);  // R2 was later
}

TEST(Readiness, AParentsOwnRequestNeedsNoSeparateConsent) {
  PupilRecords pr = Ready();
  pr.referrals[0].requester_role = "parent";
  pr.referrals[0].request_source = 1;
  pr.referrals[0].consent = {};
  EXPECT_TRUE(Item(CheckReadiness(pr, kAsOf), "consent").met);
}

TEST(Readiness, SpecialistAdviceMayComeWithTheRequest) {
  PupilRecords pr = Ready();
  pr.reviews[1].attendees.clear();
  pr.referrals[0].external_advice.push_back(
      {"health", std::string("Speech and language therapist"), D("2025-05-01"), {}, {}});
  Readiness r = CheckReadiness(pr, kAsOf);
  const ChecklistItem& item = Item(r, "specialist_advice");
  EXPECT_TRUE(item.met);
  EXPECT_EQ(item.evidence, std::vector<std::string>{"referral:F1"});
}

TEST(Readiness, ThresholdComesFromTheRules) {
  PupilRecords pr = Ready();
  pr.cycles.pop_back();
  Rules rules = Rules::Builtin();
  rules.min_completed_cycles = 1;
  EXPECT_TRUE(Item(CheckReadiness(pr, kAsOf, rules), "completed_cycles").met);
}

// Only evidence on or before the as-of date counts: a review, advice or a request dated later is
// not yet there.
TEST(Readiness, EvidenceAfterTheAsOfDateDoesNotCount) {
  PupilRecords pr = Ready();
  pr.reviews[1].date = D("2025-06-02");  // R2, C2's only review, the day after as-of
  pr.reviews[1].attendees[0].date = D("2025-06-02");
  Readiness r = CheckReadiness(pr, kAsOf);
  EXPECT_FALSE(Item(r, "completed_cycles").met) << Unmet(r);
  EXPECT_FALSE(Item(r, "specialist_advice").met) << Unmet(r);

  // Advice dated after as-of inside an earlier review does not count either.
  pr = Ready();
  pr.reviews[1].attendees[0].date = D("2025-07-01");
  r = CheckReadiness(pr, kAsOf);
  EXPECT_FALSE(Item(r, "specialist_advice").met) << Unmet(r);

  // A request made after as-of is not the one being prepared then.
  pr = Ready();
  pr.referrals[0].request_date = D("2025-06-10");
  r = CheckReadiness(pr, kAsOf);
  EXPECT_FALSE(Item(r, "consent").met) << Unmet(r);
  // On the as-of date itself, everything counts.
  pr = Ready();
  pr.reviews[1].date = kAsOf;
  EXPECT_TRUE(CheckReadiness(pr, kAsOf).ready) << Unmet(CheckReadiness(pr, kAsOf));
}

// A review dated before its cycle began is not that cycle's review.
TEST(Readiness, ReviewBeforeItsCycleStartedDoesNotCount) {
  PupilRecords pr = Ready();
  pr.reviews[1].date = D("2025-01-05");  // C2 starts 2025-01-06
  Readiness r = CheckReadiness(pr, kAsOf);
  EXPECT_FALSE(Item(r, "completed_cycles").met) << Unmet(r);
  pr.reviews[1].date = D("2025-01-06");  // on its first day it counts
  r = CheckReadiness(pr, kAsOf);
  EXPECT_TRUE(Item(r, "completed_cycles").met) << Unmet(r);
}

// The missing items are read by a SENCO and sent to the LA: they name records by their dates and
// names, never by the hub's ids.
TEST(Readiness, MissingItemsNameRecordsByDatesAndNamesNotIds) {
  PupilRecords pr = Ready();
  pr.cycles[0].id = "h71";
  pr.cycles[1].id = "h72";
  pr.reviews[0].cycle_id = "h71";
  pr.reviews[1].cycle_id = "h99";  // the second cycle goes unreviewed
  pr.reviews[0].id = "h80";
  pr.reviews[0].progress.clear();
  pr.cycles[0].outcomes[0].targets[0].success_criteria.clear();
  pr.provision[0].id = "h90";
  pr.provision[0].hourly_rate = 0;
  pr.provision[0].resources_cost = 0;
  pr.referrals[0].id = "h17";
  pr.referrals[0].consent = {};
  Readiness r = CheckReadiness(pr, kAsOf);
  std::string all;
  for (const ChecklistItem& i : r.items) all += i.missing + "\n";
  for (const char* id :
       {"h71", "h72", "h80", "h90", "h17", "cycle:", "review:", "provision:", "referral:"})
    EXPECT_EQ(all.find(id), std::string::npos) << id << " in:\n" << all;
  EXPECT_NE(all.find("The cycle begun 6 January 2025 has no review recorded."), std::string::npos)
      << all;
}

// Section 36 of the Children and Families Act 2014: a parent or young person may ask for an EHC
// needs assessment themselves, without SEN support first. For their request the checklist is
// advice for the school, not a gate; for a school's request it stays a gate.
namespace {

PupilRecords FamilyAsksWithoutSupport(const std::string& role) {
  PupilRecords pr = Ready();
  pr.sen = MakeSen("N");
  pr.sen->needs.clear();
  pr.cycles.clear();
  pr.reviews.clear();
  pr.referrals[0].requester_role = role;
  pr.referrals[0].request_source = 1;
  return pr;
}

}  // namespace

TEST(ReadinessWhoAsked, ParentRequestIsAdviceNotAGate) {
  Readiness r = CheckReadiness(FamilyAsksWithoutSupport("parent"), kAsOf);
  EXPECT_FALSE(r.ready);
  EXPECT_FALSE(Item(r, "sen_support").met);
  EXPECT_FALSE(r.gate);
  EXPECT_EQ(r.requested_by, "parent");
  EXPECT_NE(r.advice.find("Requested by the parent"), std::string::npos) << r.advice;
  EXPECT_NE(r.advice.find("section 36"), std::string::npos) << r.advice;
  EXPECT_NE(r.advice.find("not a condition"), std::string::npos) << r.advice;
  EXPECT_NE(Item(r, "sen_support").missing.find("does not depend on it"), std::string::npos)
      << Item(r, "sen_support").missing;
}

TEST(ReadinessWhoAsked, YoungPersonRequestIsAdviceNotAGate) {
  Readiness r = CheckReadiness(FamilyAsksWithoutSupport("young_person"), kAsOf);
  EXPECT_FALSE(r.gate);
  EXPECT_EQ(r.requested_by, "young_person");
  EXPECT_NE(r.advice.find("Requested by the young person"), std::string::npos) << r.advice;
}

TEST(ReadinessWhoAsked, SchoolRequestStaysAGate) {
  Readiness r = CheckReadiness(FamilyAsksWithoutSupport("school"), kAsOf);
  EXPECT_FALSE(r.ready);
  EXPECT_TRUE(r.gate);
  EXPECT_EQ(r.requested_by, "school");
  EXPECT_TRUE(r.advice.empty()) << r.advice;
  EXPECT_NE(Item(r, "sen_support").missing.find("LAs expect the graduated approach"),
            std::string::npos);
}

TEST(ReadinessWhoAsked, NoRequestYetIsAGateWithNoRequester) {
  PupilRecords pr = Ready();
  pr.referrals.clear();
  Readiness r = CheckReadiness(pr, kAsOf);
  EXPECT_TRUE(r.gate);
  EXPECT_EQ(r.requested_by, "");
}

TEST(ReadinessWhoAsked, ParentRequestThatIsCompleteIsReadyAndStillAdvice) {
  PupilRecords pr = Ready();
  pr.referrals[0].requester_role = "parent";
  Readiness r = CheckReadiness(pr, kAsOf);
  EXPECT_TRUE(r.ready) << Unmet(r);
  EXPECT_FALSE(r.gate);
}
