// Rules data: statutory time limits, exceptions, phase transfers and thresholds, with their
// confidence (core/domain/data/rules.json). For validation, clocks and readiness.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sendsync/sdk/status.h"

namespace sendsync::domain {

// How a statutory exception acts on the 6/16/20-week clocks.
struct ExceptionRule {
  std::string reason;
  bool suspends = false;      // true: the clock pauses for the period; false: the limit is excused
  int min_days = 0;           // shorter periods do not qualify
  int window_shift_days = 0;  // the regulation's window relative to the recorded period
};
// A phase transfer: the plan must name the new setting by month/day of the transfer school year.
struct PhaseTransfer {
  std::string nc_year, to_phase;
  int month = 2, day = 15;
};
// A number from rules.json with its confidence, for docs and the CLI.
struct RuleFact {
  std::string name;
  int value = 0;
  std::string confidence, source;
};

// Time limits, conventions and thresholds (core/domain/data/rules.json). Values the reference marks
// [S] or [U] live here, not in code.
struct Rules {
  int decide_to_assess_days = 0;  // 6 weeks
  int no_plan_days = 0;           // 16 weeks
  int final_plan_days = 0;        // 20 weeks
  int draft_comment_days = 0;     // 15 days
  int annual_review_months = 0;   // 12 months
  int review_notice_days = 0;     // 2 weeks before the meeting
  int review_report_days = 0;     // 2 weeks after the meeting
  int review_decision_days = 0;   // 4 weeks after the meeting
  int amended_plan_days = 0;      // 8 weeks from the proposals
  int amendment_whole_days = 0;   // 12 weeks from the meeting (case law)
  int parent_meetings_per_year = 0;
  int sen_support_review_days = 0;  // "at least termly"
  int min_completed_cycles = 0;     // for referral readiness
  int advice_days = 0;              // professionals' advice: 6 weeks from being asked
  int reassessment_days = 0;        // re-assessment: final plan 14 weeks from the decision
  std::vector<ExceptionRule> exceptions;
  std::vector<PhaseTransfer> phase_transfers;
  std::vector<std::pair<int, int>> term_ends;  // (month, day), autumn, spring, summer
  std::vector<std::string> specialist_roles;   // contribution roles that count as specialist advice
  std::vector<RuleFact> facts;                 // every numeric rule with its confidence

  static const Rules& Builtin();
  static Result<Rules> FromJson(const nlohmann::json& doc);
  const ExceptionRule* FindException(std::string_view reason) const;
};

}  // namespace sendsync::domain
