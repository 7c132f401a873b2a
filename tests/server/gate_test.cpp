// The gate in front of the API's handlers: a fixed number of slots, waiters admitted first come,
// first served, and a bounded wait.
#include <gtest/gtest.h>

#include <mutex>
#include <thread>
#include <vector>

#include "core/server/fair_gate.h"

namespace sendsync::server {
namespace {

using std::chrono::milliseconds;

TEST(FairGateTest, AdmitsWaitersInTheOrderTheyCame) {
  FairGate gate(1);
  ASSERT_TRUE(gate.Enter(milliseconds(10)));  // the only slot
  std::mutex mu;
  std::vector<int> order;
  std::vector<std::thread> waiters;
  for (int i = 0; i < 5; ++i) {
    waiters.emplace_back([&, i] {
      ASSERT_TRUE(gate.Enter(milliseconds(10000)));
      {
        std::lock_guard<std::mutex> lock(mu);
        order.push_back(i);
      }
      gate.Leave();
    });
    // Each waiter is in the queue before the next starts.
    while (gate.waiting() < static_cast<size_t>(i) + 1) std::this_thread::yield();
  }
  gate.Leave();
  for (auto& t : waiters) t.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(FairGateTest, AWaiterGivesUpAfterItsWaitAndTheSlotsAreStillCounted) {
  FairGate gate(2);
  EXPECT_TRUE(gate.Enter(milliseconds(1)));
  EXPECT_TRUE(gate.Enter(milliseconds(1)));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(gate.Enter(milliseconds(30))) << "both slots taken";
  EXPECT_GE(std::chrono::steady_clock::now() - t0, milliseconds(30));
  gate.Leave();
  EXPECT_TRUE(gate.Enter(milliseconds(1))) << "a slot given back is free again";
  EXPECT_FALSE(gate.Enter(milliseconds(1)));
  gate.Leave();
  gate.Leave();
  EXPECT_TRUE(gate.Enter(milliseconds(1)));
  EXPECT_TRUE(gate.Enter(milliseconds(1)));
  EXPECT_FALSE(gate.Enter(milliseconds(1))) << "never more slots than it was made with";
}

}  // namespace
}  // namespace sendsync::server
