// School years and national curriculum years: the start of a school year, a child's NC year by
// age, and a recorded NC year moved on to another date.
#pragma once

#include <string>

#include "sendsync/sdk/date.h"

namespace sendsync::domain {

// The national curriculum year a child born on `dob` is in during the school year containing
// `on` ("N1", "N2", "R", "1" … "14"; "" outside that range), by age alone.
std::string ChronologicalNcYear(Date dob, Date on);
// 1 September of the school year containing `on`.
Date SchoolYearStart(Date on);

// The census NC year (N1, N2, R, 1…14) of a pupil on `on`, given the year recorded on
// `recorded_on`: one more for each school year (from 1 September) between the two. X and unknown
// values stay as they are; a year past 14 or before N1 gives "".
std::string NcYearOn(const std::string& recorded, Date recorded_on, Date on);

}  // namespace sendsync::domain
