// Versioned code sets: the census and SEN2 codes and the dates each is in force, shipped compiled
// in (core/domain/data/code_sets.json). For validation, the CLI's code listings and the docs.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sendsync/sdk/date.h"
#include "sendsync/sdk/status.h"

namespace sendsync::domain {

// Names of the shipped code sets (docs/domain.md lists their codes).
namespace sets {
inline constexpr std::string_view kSenProvision = "sen_provision";
inline constexpr std::string_view kNeedType = "need_type";
inline constexpr std::string_view kBroadArea = "broad_area";
inline constexpr std::string_view kSex = "sex";
inline constexpr std::string_view kNcYear = "nc_year";
inline constexpr std::string_view kUnknownUpnReason = "unknown_upn_reason";
inline constexpr std::string_view kRequestOutcome = "request_outcome";
inline constexpr std::string_view kAssessmentOutcome = "assessment_outcome";
inline constexpr std::string_view kReviewOutcome = "review_outcome";
inline constexpr std::string_view kCeaseReason = "cease_reason";
inline constexpr std::string_view kRequestSource = "request_source";
inline constexpr std::string_view kReviewKind = "review_kind";
inline constexpr std::string_view kReviewDecision = "review_decision";
inline constexpr std::string_view kTargetProgress = "target_progress";
inline constexpr std::string_view kContributionRole = "contribution_role";
inline constexpr std::string_view kCycleStatus = "cycle_status";
inline constexpr std::string_view kProvisionWave = "provision_wave";
inline constexpr std::string_view kProvisionDelivery = "provision_delivery";
inline constexpr std::string_view kRequesterRole = "requester_role";
inline constexpr std::string_view kReferralStatus = "referral_status";
inline constexpr std::string_view kReferralDecision = "referral_decision";
inline constexpr std::string_view kConsentBy = "consent_by";
inline constexpr std::string_view kClockExceptionReason = "clock_exception_reason";
}  // namespace sets

// One code: in force on dates d with from <= d < until (either bound may be absent).
struct CodeEntry {
  std::string code, label;
  std::optional<Date> from, until;
  std::string confidence;  // V, S or U as in the reference (inherits the set's when absent)
  std::string note;
  std::string group;                         // need types: the broad area (CL, SEMH, CI, SP)
  std::vector<std::string> only_with;        // need types: the only provision codes allowed
  std::vector<std::string> requester_roles;  // request sources: the requester roles they mean
  bool InForce(Date on) const;
};

struct CodeSet {
  std::string id, label, source, confidence;
  std::optional<Date> required_from;  // the field becomes mandatory on this date (request_source)
  std::vector<CodeEntry> entries;
  const CodeEntry* Find(std::string_view code) const;
};

enum class CodeStatus { kValid, kUnknownSet, kUnknown, kNotYetInForce, kEnded };

class CodeSets {
 public:
  // The shipped data (core/domain/data/code_sets.json, compiled in).
  static const CodeSets& Builtin();
  // Parses and checks a code-set document (the shipped file's format); every set the validators
  // use must be present. Errors name the JSON path.
  static Result<CodeSets> FromJson(const nlohmann::json& doc);

  const std::string& version() const { return version_; }
  const std::vector<CodeSet>& all() const { return sets_; }
  const CodeSet* Find(std::string_view set) const;
  const CodeEntry* FindEntry(std::string_view set, std::string_view code) const;
  CodeStatus Check(std::string_view set, std::string_view code, Date on) const;
  bool Valid(std::string_view set, std::string_view code, Date on) const {
    return Check(set, code, on) == CodeStatus::kValid;
  }
  // The codes of a set in force on a date, in file order.
  std::vector<std::string> CodesInForce(std::string_view set, Date on) const;

  // N K E always; legacy S A P only before their end dates.
  bool ProvisionValid(std::string_view code, Date on) const;
  // DS only from the January 2025 census.
  bool NeedTypeValid(std::string_view code, Date on) const;
  bool BroadAreaValid(std::string_view code, Date on) const;
  bool SexValid(std::string_view code, Date on) const;
  bool NcYearValid(std::string_view code, Date on) const;
  bool UnknownUpnReason(std::string_view code) const;
  bool RequestOutcomeValid(std::string_view code, Date on) const;
  bool AssessmentOutcomeValid(std::string_view code, Date on) const;
  bool ReviewOutcomeValid(std::string_view code, Date on) const;
  bool CeaseReasonValid(int code, Date on) const;
  bool RequestSourceValid(int code, Date on) const;
  bool ReviewKindValid(std::string_view code, Date on) const;
  bool ReviewDecisionValid(std::string_view code, Date on) const;
  bool TargetProgressValid(std::string_view code, Date on) const;
  // The broad area a need type belongs to ("" for OTH, NSA, DS and unknown codes).
  std::string_view BroadAreaOfNeed(std::string_view need_type) const;

 private:
  std::string version_;
  std::vector<CodeSet> sets_;
};

// The date used for records that carry none: the newest code sets.
Date LatestCodesDate();

}  // namespace sendsync::domain
