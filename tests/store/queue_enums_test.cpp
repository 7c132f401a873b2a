// The queue enums and their wire strings (the store's status and resolution columns, the CLI and
// the API print them): every value prints and parses back, and nothing else parses.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/store/conflict_resolution.h"
#include "core/store/outbox_status.h"
#include "core/store/review_status.h"

namespace sendsync::store {
namespace {

// Each value's wire string parses back to it, and no two values share a string.
template <typename E, size_t N>
void ExpectRoundTrip(const wire::EnumTable<E, N>& names, const std::set<std::string>& wire) {
  std::set<std::string> printed;
  for (const auto& [value, name] : names.names) {
    auto back = names.Parse(names.Name(value));
    ASSERT_TRUE(back.ok()) << name << ": " << back.status().ToString();
    EXPECT_EQ(*back, value) << name;
    printed.insert(names.Name(value));
  }
  EXPECT_EQ(printed, wire);
}

TEST(QueueEnums, OutboxStatusRoundTripsEveryValueWithItsColumnString) {
  ExpectRoundTrip(kOutboxStatusNames, {"pending", "delivered", "rejected", "dead", "superseded"});
  EXPECT_STREQ(OutboxStatusName(OutboxStatus::kDead), "dead");
  EXPECT_EQ(*ParseOutboxStatus("superseded"), OutboxStatus::kSuperseded);
}

TEST(QueueEnums, ReviewStatusRoundTripsEveryValueWithItsColumnString) {
  ExpectRoundTrip(kReviewStatusNames, {"open", "applied", "discarded", "resolved", "superseded"});
  EXPECT_STREQ(ReviewStatusName(ReviewStatus::kOpen), "open");
}

TEST(QueueEnums, ConflictResolutionRoundTripsEveryValueWithItsColumnString) {
  ExpectRoundTrip(kConflictResolutionNames, {"ours", "theirs", "value"});
  EXPECT_EQ(*ParseConflictResolution("theirs"), ConflictResolution::kTheirs);
}

TEST(QueueEnums, AnUnknownStringIsRefusedNamingItAndEveryAcceptedOne) {
  auto outbox = ParseOutboxStatus("Pending");  // wire strings are exact: no case folding
  ASSERT_FALSE(outbox.ok());
  EXPECT_EQ(outbox.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(outbox.status().message(),
            "unknown outbox status 'Pending': expected pending, delivered, rejected, dead or "
            "superseded");
  auto review = ParseReviewStatus("");
  ASSERT_FALSE(review.ok());
  EXPECT_EQ(review.status().message(),
            "unknown queue item status '': expected open, applied, discarded, resolved or "
            "superseded");
  auto take = ParseConflictResolution("mine");
  ASSERT_FALSE(take.ok());
  EXPECT_EQ(take.status().message(),
            "unknown conflict resolution 'mine': expected ours, theirs or value");
}

}  // namespace
}  // namespace sendsync::store
