// The store-free check stage (CheckBatch): besides code maps, validation and ids, it makes the
// canonical body text of each record once, the text the hub stores when the record is new.
#include <gtest/gtest.h>

#include "core/audit/audit.h"
#include "core/sync/internal.h"
#include "sync_fixture.h"

using namespace sendsync;
using namespace sendsync::sync;
using namespace sendsync::testing_support;
using nlohmann::json;

namespace {

class CheckStage : public SyncTest {
 protected:
  detail::CheckedBatch Check(const std::string& kind, const std::vector<json>& records,
                             std::vector<detail::Incoming>& items) {
    auto c = Conn();
    auto link = detail::LoadLink(*c, "mis");
    EXPECT_TRUE(link.ok()) << link.status().ToString();
    link_ = *link;
    items.clear();
    for (const json& r : records) items.push_back({r, detail::ExternalIdOf(kind, r)});
    return detail::CheckBatch(link_, kind, items);
  }

  // What the hub stores for this link's record `ext` of `kind`: body and hash.
  std::pair<std::string, std::string> Stored(const std::string& kind, const std::string& ext) {
    auto c = Conn();
    auto lr = store::LinkRecordsByExternal(*c, link_.link.id, kind, {ext});
    EXPECT_TRUE(lr.ok() && lr->size() == 1u) << kind << " " << ext;
    if (!lr.ok() || lr->size() != 1u) return {};
    auto rows = store::LoadRecords(*c, {(*lr)[0].record_id});
    EXPECT_TRUE(rows.ok() && rows->size() == 1u);
    if (!rows.ok() || rows->size() != 1u) return {};
    return {(*rows)[0].body, (*rows)[0].hash};
  }

  detail::LinkCtx link_;
};

TEST_F(CheckStage, AFreshRecordsBodyIsTheTextTheHubStores) {
  AddSource();
  json no_school = PupilRec("S1", 1);
  no_school.erase("school_urn");              // the link's school fills it in
  no_school["preferred_forename"] = nullptr;  // an explicit null is not stored
  json null_school = PupilRec("S2", 2, "O'Brien \"Bee\" \\ Zoë");
  null_school["school_urn"] = nullptr;
  json plain = PupilRec("S3", 3);
  plain["x_tutor_group"] = "7\tB";  // an extension field with a character json escapes
  const std::vector<json> pupils = {no_school, null_school, plain};
  json provision = {{"kind", "provision"},
                    {"id", "S1-P0"},
                    {"pupil", {{"id", "S1"}}},
                    {"area", "SEMH"},
                    {"group_size", 3},
                    {"hourly_rate", 15.5},
                    {"intervention", "Sensory circuit"},
                    {"minutes_per_session", 35},
                    {"resources_cost", 60.0},
                    {"sessions_per_week", 2},
                    {"staff_role", "TA"},
                    {"start", "2025-09-08"},
                    {"wave", 2}};
  Source(pupils);
  Source({provision});
  auto s = Run("mis");
  ASSERT_EQ(s.created, 4) << "every record went in";

  std::vector<detail::Incoming> items;
  detail::CheckedBatch checked = Check("pupil", pupils, items);
  ASSERT_EQ(checked.ok.size(), 3u);
  for (const detail::CheckedRecord& c : checked.ok) {
    ASSERT_FALSE(c.fresh_body.empty()) << c.ext;
    auto [body, hash] = Stored("pupil", c.ext);
    EXPECT_EQ(c.fresh_body, body) << c.ext;
    EXPECT_EQ(c.fresh_hash, hash) << c.ext;
    EXPECT_EQ(c.fresh_hash, audit::Sha256Hex(c.fresh_body));
  }
  EXPECT_EQ(json::parse(checked.ok[0].fresh_body).value("school_urn", ""), "100000");
  EXPECT_FALSE(json::parse(checked.ok[0].fresh_body).contains("preferred_forename"));
  EXPECT_EQ(json::parse(checked.ok[1].fresh_body).value("school_urn", ""), "100000");

  checked = Check("provision", {provision}, items);
  ASSERT_EQ(checked.ok.size(), 1u);
  auto [body, hash] = Stored("provision", "S1-P0");
  EXPECT_EQ(checked.ok[0].fresh_body, body);
  EXPECT_NE(body.find("\"resources_cost\":60.0"), std::string::npos) << body;
}

TEST_F(CheckStage, BodiesThatDependOnTheStoreAreLeftToTheMerge) {
  AddSource();
  std::vector<detail::Incoming> items;
  // A SEN record is always merged (its history is a union with what the hub holds).
  detail::CheckedBatch checked = Check("sen", {SenRec("S1", 1, "K")}, items);
  ASSERT_EQ(checked.ok.size(), 1u);
  EXPECT_TRUE(checked.ok[0].fresh_body.empty());
  EXPECT_TRUE(checked.ok[0].fresh_hash.empty());
  // A review names its cycle in the link's ids; the hub stores the hub's id for it.
  json review = {{"kind", "review"},        {"id", "S1-R0"},
                 {"pupil", {{"id", "S1"}}}, {"cycle_id", "S1-C0"},
                 {"date", "2025-01-10"},    {"decision", "continue"},
                 {"parents_met", true},     {"review_kind", "sen_support"}};
  checked = Check("review", {review}, items);
  ASSERT_EQ(checked.ok.size(), 1u);
  EXPECT_TRUE(checked.ok[0].fresh_body.empty());
  // Without the reference the same review's body is made here.
  review.erase("cycle_id");
  checked = Check("review", {review}, items);
  ASSERT_EQ(checked.ok.size(), 1u);
  EXPECT_EQ(checked.ok[0].fresh_body, detail::FieldsOf(review).dump());
}

}  // namespace
