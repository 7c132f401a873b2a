// Turns one parsed CTF pupil into the hub's canonical records (kind "pupil" and kind "sen"), or
// into problems a person must fix, each with the line and element it was found at. This is where
// the adapter's per-pupil rules live (docs/adapters/ctf.md, "What makes a pupil bad"):
//  - identity problems (UPN, names, DOB, sex, ULN, former UPN, NC year, duplicate UPN) hold back
//    both records of that pupil;
//  - SEN problems (a provision or need code that is no census code of any year, a bad date or
//    rank, two episodes on one day) hold back only the SEN record;
//  - census codes of any year pass through as found: whether they are valid for their date is the
//    host's rule, and code mapping is the host's job.
// Internal to adapters/ctf.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ctf_parser.h"

namespace sendsync::ctf {

struct Problem {
  int line = 0;
  std::string element;  // path from Pupil, e.g. "Pupil/SENhistory/SENneeds/SENneed/SENtype"
  std::string message;
};

struct PupilOutcome {
  std::string upn;  // as found; may be empty or invalid
  std::vector<Problem> identity_problems;
  std::vector<Problem> sen_problems;
  bool has_sen = false;  // the pupil carries a SENhistory block
  nlohmann::json pupil;  // canonical pupil record when identity_problems is empty
  nlohmann::json sen;    // canonical sen record when has_sen and both problem lists are empty
};

struct PupilRules {
  std::set<std::string> extra_need_types;  // census need codes newer than this adapter
  std::set<std::string> duplicate_upns;    // UPNs seen more than once in this file
};

PupilOutcome ConvertPupil(const ParsedPupil& p, const PupilRules& rules);

// "Pupil/UPN (line 12): reason; Pupil/DOB (line 14): reason".
std::string DescribeProblems(const std::vector<Problem>& problems);

}  // namespace sendsync::ctf
