// Provision arithmetic: hourly rate × hours per week ÷ group size, plus resources spread over the
// school year.
#include <gtest/gtest.h>

#include "tests/domain/fixtures.h"

using namespace sendsync::domain;
using namespace sendsync::domain::testing;

TEST(Cost, GroupSessionSharesTheStaffCost) {
  auto p = MakeProvision();  // 3 × 30 min a week, £18/h, group of 3, £39 resources a year
  ProvisionCost c = Cost(p);
  EXPECT_DOUBLE_EQ(c.staff_hours_per_week, 1.5);
  // staff: 18 × 1.5 ÷ 3 = £9/week; resources: 39 ÷ 39 weeks = £1/week
  EXPECT_DOUBLE_EQ(c.per_week, 10.0);
  EXPECT_DOUBLE_EQ(c.per_term, 130.0);          // 13 weeks
  EXPECT_DOUBLE_EQ(c.per_year, 9 * 39 + 39.0);  // 390
}

TEST(Cost, OneToOneCarriesTheWholeStaffCost) {
  auto p = MakeProvision();
  p.group_size = 1;
  p.sessions_per_week = 5;
  p.minutes_per_session = 20;
  p.hourly_rate = 24;
  p.resources_cost = 0;
  ProvisionCost c = Cost(p);
  EXPECT_NEAR(c.staff_hours_per_week, 100.0 / 60, 1e-12);
  EXPECT_NEAR(c.per_week, 40.0, 1e-9);
  EXPECT_NEAR(c.per_year, 1560.0, 1e-9);
}

TEST(Cost, SchoolWeeksAreConfiguration) {
  auto p = MakeProvision();
  CostConfig config{12, 38};
  ProvisionCost c = Cost(p, config);
  EXPECT_DOUBLE_EQ(c.per_year, 9 * 38 + 39.0);
  EXPECT_NEAR(c.per_term, (9 + 39.0 / 38) * 12, 1e-9);
}

TEST(Cost, InvalidValuesNeverMakeNegativeOrInfiniteMoney) {
  auto p = MakeProvision();
  p.group_size = 0;
  p.hourly_rate = -10;
  ProvisionCost c = Cost(p);
  EXPECT_DOUBLE_EQ(c.per_week, 1.0);  // resources only
  p.group_size = -3;
  p.hourly_rate = 18;
  EXPECT_DOUBLE_EQ(Cost(p).per_week, 27 + 1.0);  // treated as one-to-one
}

TEST(Cost, ResourcesOnly) {
  auto p = MakeProvision();
  p.sessions_per_week = 0;
  p.resources_cost = 195;
  ProvisionCost c = Cost(p);
  EXPECT_DOUBLE_EQ(c.per_year, 195.0);
  EXPECT_DOUBLE_EQ(c.per_week, 5.0);
  EXPECT_DOUBLE_EQ(c.staff_hours_per_week, 0.0);
}
