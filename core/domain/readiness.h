// Referral readiness: what an LA expects in a request for an EHC needs assessment and what is
// missing (reference section 7).
#pragma once

#include <string>
#include <vector>

#include "core/domain/pupil_records.h"
#include "core/domain/rules.h"
#include "sendsync/sdk/date.h"

namespace sendsync::domain {

struct ChecklistItem {
  std::string id, label;
  bool met = false;
  std::vector<std::string> evidence;  // "cycle:C1", "review:R2", "provision:P1", "referral:F1"
  std::string missing;                // what to do when not met
};
struct Readiness {
  bool ready = false;
  std::vector<ChecklistItem> items;
  // Whether an unmet checklist holds the request back. A request made by the parent or the young
  // person (requester_role parent / young_person) is theirs to make under section 36 of the
  // Children and Families Act 2014, which does not require SEN support first: for it the
  // checklist is advice (gate false) and `advice` says so, naming who asked.
  bool gate = true;
  std::string requested_by;  // the current request's requester_role; "" when none is recorded
  std::string advice;        // for people: why the checklist is advice only (empty when a gate)
};
// What an LA will expect in a request for an EHC needs assessment, and what is missing.
Readiness CheckReadiness(const PupilRecords&, Date as_of, const Rules& = Rules::Builtin());
// An evidence reference ("cycle:h71") as a person names the record: "the cycle begun 9 September
// 2024", "the review of 9 December 2024", "Reading catch-up (from 9 September 2024)", "the
// request", "the SEN record". The reference itself when the record is not among `pr`'s.
std::string EvidenceName(const PupilRecords& pr, const std::string& ref);

}  // namespace sendsync::domain
