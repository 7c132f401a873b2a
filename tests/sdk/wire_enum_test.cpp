// The SDK's wire enums (change op, change result) and the status code for timeouts: every value
// prints and parses back, nothing else parses, and a timeout is told by its code.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "sendsync/sdk/adapter.h"
#include "sendsync/sdk/change_op.h"
#include "sendsync/sdk/change_outcome.h"
#include "sendsync/sdk/status.h"

namespace sendsync {
namespace {

TEST(WireEnums, ChangeOpRoundTripsUpsertAndDelete) {
  EXPECT_STREQ(ChangeOpName(ChangeOp::kUpsert), "upsert");
  EXPECT_STREQ(ChangeOpName(ChangeOp::kDelete), "delete");
  for (const auto& [op, name] : kChangeOpNames.names) EXPECT_EQ(*ParseChangeOp(name), op);
  auto bad = ParseChangeOp("insert");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "unknown change op 'insert': expected upsert or delete");
}

TEST(WireEnums, ChangeOutcomeRoundTripsEveryResultOfTheWriteAnswer) {
  std::set<std::string> printed;
  for (const auto& [outcome, name] : kChangeOutcomeNames.names) {
    EXPECT_EQ(*ParseChangeOutcome(ChangeOutcomeName(outcome)), outcome) << name;
    printed.insert(ChangeOutcomeName(outcome));
  }
  EXPECT_EQ(printed,
            (std::set<std::string>{"applied", "rejected", "retry", "unknown", "not_sent"}));
  auto bad = ParseChangeOutcome("APPLIED");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "unknown change result 'APPLIED': expected applied, rejected, retry, unknown or "
            "not_sent");
}

TEST(WireEnums, WriteResultHelpersWriteTheWireStrings) {
  sdk::WriteResult w;
  w.Applied("a", "r1");
  w.Rejected("b", "why");
  w.Retry("c", "503");
  w.Unknown("d", "timeout");
  ASSERT_EQ(w.results.size(), 4u);
  EXPECT_EQ(w.results[0].result, "applied");
  EXPECT_EQ(w.results[1].result, "rejected");
  EXPECT_EQ(w.results[2].result, "retry");
  EXPECT_EQ(w.results[3].result, "unknown");
}

TEST(StatusCodes, DeadlineExceededIsTransientAndNamed) {
  Status st = Status::DeadlineExceeded("no answer in 2 s");
  EXPECT_EQ(st.code(), Status::Code::kDeadlineExceeded);
  EXPECT_TRUE(st.transient());
  EXPECT_EQ(st.ToString(), "deadline exceeded: no answer in 2 s");
  EXPECT_EQ(st.WithContext("call").code(), Status::Code::kDeadlineExceeded);
}

TEST(StatusCodes, CodesKeepTheirNumbersSoOldNamesStayStable) {
  // The codes are appended, never renumbered: kInternal stays 11 and the timeout code follows.
  EXPECT_EQ(static_cast<int>(Status::Code::kInternal), 11);
  EXPECT_EQ(static_cast<int>(Status::Code::kDeadlineExceeded), 12);
}

}  // namespace
}  // namespace sendsync
