// Issue 5, end to end: one school with three links — the MIS through its REST API (the simulator,
// a separate process on 127.0.0.1), the LA's CTF drop folder and the provision-mapping tool's CSV
// exports — run through the real `sendsync` binary with adapters in their worker processes. The
// school and its data are the demo's (demo_school.h, scripts/demo/); the pupils that matter here:
//   Amara Okafor  Q820200119001  in all three systems; the LA's second CTF says her EHC plan was
//                                issued on 10 November 2025
//   Jayden Price  K820200118014  in all three; the LA's second CTF says his plan started on
//                                12 November, and (in some tests) the MIS is edited to say 17th
//   Priya Sharma  F820200119022  in the MIS and the provision map; the LA's first CTF mistyped her
//                                UPN (F820200119202) and her provision-map row has wave "Two"
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "demo_school.h"

namespace sendsync::e2e {
namespace {

const char kAmara[] = "Q820200119001";
const char kJayden[] = "K820200118014";
const char kPriya[] = "F820200119022";
const char kPriyaMistyped[] = "F820200119202";

// The school's story depends on the order its links run in (the MIS before the CTF, as the demo
// tells it: a change the CTF brings waits for the MIS link's next run), so these runs take the
// links one after another in the order they were added. By default `sync` runs them side by side.
const std::vector<std::string> kSyncInOrder = {"sync", "--parallel", "1"};

class ThreeLinkSchool : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(school_.SetUp()); }

  const Cli& cli() const { return school_.cli(); }

  // One `sendsync sync`; fails the test when the exit code is not `expected_exit`.
  ProgramResult Sync(int expected_exit) {
    ProgramResult r = cli().Run(kSyncInOrder);
    EXPECT_EQ(r.exit_code, expected_exit) << r.Describe();
    return r;
  }

  json LinkSummary(const json& sync_json, const std::string& link) {
    for (const json& l : sync_json["links"])
      if (l.value("link", "") == link) return l;
    ADD_FAILURE() << "no summary for link " << link << " in " << sync_json.dump(2);
    return json::object();
  }

  // The systems' ids for a hub pupil, by link name.
  std::map<std::string, std::string> SystemIds(const std::string& upn) {
    json s = cli().RunJson({"pupil", "show", upn});
    std::map<std::string, std::string> ids;
    for (const json& i : s["system_ids"])
      ids[i["link"].get<std::string>()] = i["id"].get<std::string>();
    return ids;
  }

  // Every record in the hub, as export-json writes it.
  std::vector<json> HubRecords() {
    const fs::path file = dir_ / "hub-export.jsonl";
    ProgramResult r = cli().Run({"export-json", file.string()});
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    return ReadJsonLines(file);
  }

  // The MIS edits Jayden's SEN status (his EHC plan from 17 November) and the LA's second CTF
  // arrives saying 12 November: both sides change provision_start since the base they agreed.
  void EditBothSidesOfJaydensPlanDate() {
    ASSERT_TRUE(school_.EditMisSenStatus(
        "STU-0002", json::parse(ReadText(DemoData() / "mis-edit-jayden.json"))));
    school_.DropLaterCtf();
  }

  TempDir dir_;
  DemoSchool school_{dir_.path()};
};

TEST_F(ThreeLinkSchool, FirstSyncMatchesEachUpnToOneHubPupilLinkedToEverySystemThatHasIt) {
  Sync(3);
  std::map<std::string, int> pupils_per_upn;
  for (const json& r : HubRecords())
    if (r["kind"] == "pupil") ++pupils_per_upn[r["upn"].get<std::string>()];
  EXPECT_EQ(pupils_per_upn.size(), 5u) << "the MIS's five students";
  for (const auto& [upn, n] : pupils_per_upn) EXPECT_EQ(n, 1) << upn;
  EXPECT_EQ(SystemIds(kAmara),
            (std::map<std::string, std::string>{
                {"mis", "STU-0001"}, {"ctf", kAmara}, {"provision-map", "PM-101"}}));
  EXPECT_EQ(SystemIds(kJayden),
            (std::map<std::string, std::string>{
                {"mis", "STU-0002"}, {"ctf", kJayden}, {"provision-map", "PM-102"}}));
  EXPECT_EQ(SystemIds(kPriya),
            (std::map<std::string, std::string>{{"mis", "STU-0004"}, {"provision-map", "PM-103"}}))
      << "the CTF's copy of Priya has a mistyped UPN and must not be matched to her";
}

TEST_F(ThreeLinkSchool, FirstSyncFilesProvisionMapRowsUnderTheMatchedPupilInCanonicalCodes) {
  Sync(3);
  json amara = cli().RunJson({"pupil", "show", kAmara});
  ASSERT_EQ(amara["provision"].size(), 2u) << amara.dump(2);
  for (const json& p : amara["provision"]) {
    EXPECT_EQ(p["area"], "CI")
        << "the link's code map turns the tool's wording into the broad area";
    EXPECT_GT(p["cost"].value("per_year", 0.0), 0);
  }
  EXPECT_EQ(amara["sen"]["provision"], "K");
  EXPECT_EQ(amara["reviews"].size(), 1u) << "the MIS's review";
}

TEST_F(ThreeLinkSchool, FirstSyncQuarantinesTheBrokenRowsWithTheirReasonsAndKeepsTheGoodOnes) {
  Sync(3);
  json q = cli().RunJson({"quarantine", "list"})["quarantine"];
  ASSERT_EQ(q.size(), 3u) << q.dump(2);
  std::set<std::string> ctf_kinds;
  json wave_row;
  for (const json& item : q) {
    ASSERT_EQ(item["reasons"].size(), 1u) << item.dump(2);
    const json& why = item["reasons"][0];
    if (item["link"] == "ctf") {
      ctf_kinds.insert(item["kind"].get<std::string>());
      EXPECT_EQ(item["source_id"], kPriyaMistyped);
      EXPECT_NE(why["message"].get<std::string>().find("check letter"), std::string::npos) << why;
      EXPECT_NE(why["message"].get<std::string>().find("census error 1510"), std::string::npos)
          << why;
      EXPECT_EQ(why["path"], "820LLLL_CTF_8202001_001.xml line 59, Pupil/UPN");
      EXPECT_NE(item["raw"].get<std::string>().find(kPriyaMistyped), std::string::npos)
          << "the payload as received is kept";
    } else {
      wave_row = item;
    }
  }
  EXPECT_EQ(ctf_kinds, (std::set<std::string>{"pupil", "sen"}));
  EXPECT_EQ(wave_row.value("link", ""), "provision-map");
  EXPECT_EQ(wave_row.value("kind", ""), "provision");
  EXPECT_EQ(wave_row["reasons"][0].value("message", ""),
            "column 'Wave': 'Two' is not a whole number");
  EXPECT_EQ(wave_row["reasons"][0].value("path", ""), "provision_map.csv row 5 (line 6)");
  // The good rows of the same file and the same CTF still arrived.
  int provision = 0;
  for (const json& r : HubRecords()) provision += r["kind"] == "provision";
  EXPECT_EQ(provision, 4);
  EXPECT_EQ(SystemIds(kJayden).count("ctf"), 1u);
}

TEST_F(ThreeLinkSchool, QuarantineShowGivesEveryReasonAndThePayloadAsReceived) {
  Sync(3);
  json q = cli().RunJson({"quarantine", "list", "--link", "provision-map"})["quarantine"];
  ASSERT_EQ(q.size(), 1u);
  ProgramResult r = cli().Run({"quarantine", "show", std::to_string(q[0]["id"].get<int>())});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.out.find("column 'Wave': 'Two' is not a whole number"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("PM-103,F820200119022,Attention Autism"), std::string::npos) << r.out;
}

TEST_F(ThreeLinkSchool, FirstSyncSummarySaysWhatNeedsAPersonAndExitsThree) {
  ProgramResult r = Sync(3);
  EXPECT_NE(r.out.find("mis: ok — pulled 12, created 12,"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ctf: needs_person — "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("quarantined 2, conflicts 0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("provision-map: needs_person — "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("quarantined 1, conflicts 0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("some records need a person: see sendsync quarantine list"),
            std::string::npos)
      << r.out;
}

TEST_F(ThreeLinkSchool, FirstSyncJsonSummaryCountsEachLinkAndTheTotal) {
  json s = cli().RunJson(kSyncInOrder, 3);
  EXPECT_EQ(s["mode"], "sync");
  ASSERT_EQ(s["links"].size(), 3u);
  json mis = LinkSummary(s, "mis"), ctf = LinkSummary(s, "ctf"),
       csv = LinkSummary(s, "provision-map");
  EXPECT_EQ(mis["status"], "ok");
  EXPECT_EQ(mis["created"], 12) << "5 pupils, 5 SEN records, 2 reviews";
  EXPECT_EQ(ctf["status"], "needs_person");
  EXPECT_EQ(ctf["quarantined"], 2);
  EXPECT_EQ(ctf["unchanged"], 4) << "Amara's and Jayden's pupil and SEN records agree with the MIS";
  EXPECT_EQ(csv["status"], "needs_person");
  EXPECT_EQ(csv["quarantined"], 1);
  EXPECT_EQ(csv["created"], 4) << "the four good provision rows";
  EXPECT_EQ(s["total"]["quarantined"], 3);
  EXPECT_EQ(s["total"]["conflicts"], 0);
  EXPECT_EQ(s["total"]["matches"], 0);
}

TEST_F(ThreeLinkSchool, SenStatusTheLaChangedInItsCtfReachesTheMisByWriteBack) {
  Sync(3);
  school_.DropLaterCtf();
  json later = cli().RunJson(kSyncInOrder, 0);
  EXPECT_EQ(LinkSummary(later, "ctf")["updated"], 2);
  // The MIS link ran before the CTF arrived in this run: the change waits in its outbox.
  json pending =
      cli().RunJson({"outbox", "list", "--link", "mis", "--status", "pending"})["outbox"];
  EXPECT_EQ(pending.size(), 2u) << pending.dump(2);
  EXPECT_EQ(school_.MisStudent("STU-0001")["sen_status"]["code"], "K");

  json next = cli().RunJson(kSyncInOrder, 0);
  EXPECT_EQ(LinkSummary(next, "mis")["pushed"], 2);
  json amara = school_.MisStudent("STU-0001");
  EXPECT_EQ(amara["sen_status"]["code"], "E");
  EXPECT_EQ(amara["sen_status"]["start_date"], "2025-11-10");
  EXPECT_EQ(amara["sen_needs"], json::parse(R"([{"type": "SLCN", "rank": 1}])"));
  EXPECT_EQ(school_.MisStudent("STU-0002")["sen_status"]["start_date"], "2025-11-12");
  // Applied once per idempotency key.
  json wb = school_.MisWriteBacks();
  std::string amaras_key;
  for (const json& w : wb["write_backs"])
    if (w["student_id"] == "STU-0001" && w["body"]["sen_status"]["code"] == "E")
      amaras_key = w["key"];
  ASSERT_FALSE(amaras_key.empty()) << wb.dump(2);
  EXPECT_EQ(wb["applications"][amaras_key], 1);
  EXPECT_TRUE(
      cli().RunJson({"outbox", "list", "--link", "mis", "--status", "pending"})["outbox"].empty());
}

TEST_F(ThreeLinkSchool, TheSameFieldChangedInTheMisAndTheCtfLandsInTheConflictQueue) {
  Sync(3);
  EditBothSidesOfJaydensPlanDate();
  json s = cli().RunJson(kSyncInOrder, 3);
  EXPECT_EQ(LinkSummary(s, "ctf")["conflicts"], 1);
  EXPECT_EQ(LinkSummary(s, "ctf")["status"], "needs_person");
  EXPECT_EQ(s["total"]["conflicts"], 1);

  json c = cli().RunJson({"conflicts", "list"})["conflicts"];
  ASSERT_EQ(c.size(), 1u) << c.dump(2);
  EXPECT_EQ(c[0]["link"], "ctf");
  EXPECT_EQ(c[0]["upn"], kJayden);
  EXPECT_EQ(c[0]["kind"], "sen");
  EXPECT_EQ(c[0]["field"], "provision_start");
  EXPECT_EQ(c[0]["base"], "2022-01-10");
  EXPECT_EQ(c[0]["ours"], "2025-11-17");
  EXPECT_EQ(c[0]["theirs"], "2025-11-12");
  // Nobody's value was silently replaced: the hub and the MIS keep the MIS's date until a person
  // decides.
  EXPECT_EQ(cli().RunJson({"pupil", "show", kJayden})["sen"]["provision_start"], "2025-11-17");
  cli().RunJson(kSyncInOrder, 0);
  EXPECT_EQ(school_.MisStudent("STU-0002")["sen_status"]["start_date"], "2025-11-17");
}

TEST_F(ThreeLinkSchool, ResolvingTheConflictSendsThePersonsDecisionToTheMis) {
  Sync(3);
  EditBothSidesOfJaydensPlanDate();
  Sync(3);
  json c = cli().RunJson({"conflicts", "list"})["conflicts"];
  ASSERT_EQ(c.size(), 1u);
  ProgramResult r = cli().Run(
      {"conflicts", "resolve", std::to_string(c[0]["id"].get<int>()), "--take", "theirs"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  Sync(0);
  EXPECT_TRUE(cli().RunJson({"conflicts", "list"})["conflicts"].empty());
  EXPECT_EQ(cli().RunJson({"pupil", "show", kJayden})["sen"]["provision_start"], "2025-11-12");
  EXPECT_EQ(school_.MisStudent("STU-0002")["sen_status"]["start_date"], "2025-11-12");
  EXPECT_EQ(school_.MisStudent("STU-0002")["sen_status"]["code"], "E");
}

// After a person settles provision_start, the SEN history agrees with the decision: one E
// episode from the chosen date, none from the rejected one.
TEST_F(ThreeLinkSchool, ResolvingTheConflictLeavesAHistoryThatAgreesWithTheDecision) {
  Sync(3);
  EditBothSidesOfJaydensPlanDate();
  Sync(3);
  json c = cli().RunJson({"conflicts", "list"})["conflicts"];
  ASSERT_EQ(c.size(), 1u);
  ASSERT_EQ(
      cli()
          .Run({"conflicts", "resolve", std::to_string(c[0]["id"].get<int>()), "--take", "theirs"})
          .exit_code,
      0);
  Sync(0);
  json history = cli().RunJson({"pupil", "show", kJayden})["sen"]["history"];
  ASSERT_FALSE(history.empty());
  EXPECT_EQ(history.back()["start"].get<std::string>(), "2025-11-12") << history.dump();
  for (const json& e : history)
    EXPECT_NE(e["start"].get<std::string>(), "2025-11-17") << history.dump();
}

// A SEN record read from a link is not queued straight back to it: the link's base holds its own
// history normalised the way the hub normalises it, so the first sync sends the MIS nothing.
TEST_F(ThreeLinkSchool, FirstSyncWritesNothingBackToTheMisItReadFrom) {
  json s = cli().RunJson(kSyncInOrder, 3);
  EXPECT_EQ(LinkSummary(s, "mis")["pushed"], 0);
  EXPECT_TRUE(school_.MisWriteBacks()["write_backs"].empty());
}

}  // namespace
}  // namespace sendsync::e2e
