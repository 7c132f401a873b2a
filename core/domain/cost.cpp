// Provision arithmetic: hourly rate × hours per week ÷ group size, plus resources.
#include <algorithm>

#include "core/domain/cost.h"

namespace sendsync::domain {

ProvisionCost Cost(const records::Provision& p, const CostConfig& config) {
  ProvisionCost c;
  // Invalid records (Validate reports them) are costed as if the bad value were harmless rather
  // than producing negative or infinite money.
  const double sessions = std::max(0.0, p.sessions_per_week);
  const double minutes = std::max(0, p.minutes_per_session);
  const double rate = std::max(0.0, p.hourly_rate);
  const double resources = std::max(0.0, p.resources_cost);
  const double group = std::max(1, p.group_size);
  c.staff_hours_per_week = sessions * minutes / 60.0;
  const double staff_per_week = rate * c.staff_hours_per_week / group;
  const double resources_per_week =
      config.weeks_per_year > 0 ? resources / config.weeks_per_year : 0.0;
  c.per_week = staff_per_week + resources_per_week;
  c.per_term = c.per_week * config.weeks_per_term;
  c.per_year = staff_per_week * config.weeks_per_year + resources;
  return c;
}

}  // namespace sendsync::domain
