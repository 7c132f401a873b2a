// Checks across one pupil's records (an EHC status without a plan, a review of a missing cycle,
// ...). Mostly warnings: records arrive in any order.
#pragma once

#include <vector>

#include "core/domain/issues.h"
#include "core/domain/pupil_records.h"

namespace sendsync::domain {

// Rules that need several records (E with no active plan and no referral that led to one, plan
// without E, review referring to a missing cycle, …). Mostly warnings: records arrive in any order.
std::vector<Issue> CheckConsistency(const PupilRecords&);

}  // namespace sendsync::domain
