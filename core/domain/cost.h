// Provision cost: staff time and resources as a cost per week, term and year.
#pragma once

#include "sendsync/sdk/records.h"

namespace sendsync::domain {

// School weeks per term/year are a convention [U], not a rule.
struct CostConfig {
  double weeks_per_term = 13;
  double weeks_per_year = 39;
};
// staff cost per week = hourly rate × staff hours per week ÷ group size; resources_cost (a yearly
// amount) is spread over the school weeks of the year.
struct ProvisionCost {
  double per_week = 0, per_term = 0, per_year = 0;
  double staff_hours_per_week = 0;  // sessions × minutes ÷ 60: the staff member's time
};
ProvisionCost Cost(const records::Provision&, const CostConfig& = {});

}  // namespace sendsync::domain
