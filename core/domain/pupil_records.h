// One pupil's records as the hub holds them (PupilRecords), the input of the consistency
// checks, clocks and readiness, and the census provision in force on a date.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sendsync/sdk/date.h"
#include "sendsync/sdk/records.h"

namespace sendsync::domain {

// Dates of the steps after one EHC annual review meeting. The canonical records do not carry them
// yet (docs/domain.md, "Gaps"); callers that know them (an LA portal) fill them in, keyed by the
// meeting date.
struct AnnualReviewSteps {
  Date meeting;
  std::optional<Date> notice_sent;          // invitations and advice requests sent
  std::optional<Date> report_sent;          // the review report
  std::optional<Date> decision;             // the LA's decision to maintain, amend or cease
  std::optional<std::string> outcome;       // SEN2 ReviewOutcome: A amend, C cease, M maintain
  std::optional<Date> proposals_sent;       // amendment notice with the proposed changes
  std::optional<Date> amended_plan_issued;  // the final amended plan
};

// Everything the hub holds for one pupil.
struct PupilRecords {
  records::Pupil pupil;
  std::optional<records::Sen> sen;
  std::vector<records::Cycle> cycles;
  std::vector<records::Provision> provision;
  std::vector<records::Review> reviews;
  std::vector<records::Referral> referrals;
  std::vector<records::EhcPlan> plans;
  std::vector<AnnualReviewSteps> annual_review_steps;
  // The day the pupil record (so its nc_year) was last received from its system: the NC year is
  // the pupil's year in that school year, and moves on by one each later school year (NcYearOn).
  // nullopt: the NC year is taken as current on every date.
  std::optional<Date> pupil_recorded_on;
};

// The census provision in force on a date: the history episode covering it, else the current
// provision when it started on or before the date (or has no start). nullopt when unknown.
std::optional<std::string> ProvisionOn(const records::Sen& sen, Date on);

}  // namespace sendsync::domain
