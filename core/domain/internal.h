// Internal to core/domain: small helpers shared by the implementation files (issue builders, date
// formatting, reading the data documents). Other folders use the public headers (domain.h lists
// them).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/domain/codesets.h"
#include "core/domain/issues.h"
#include "core/domain/rules.h"
#include "sendsync/sdk/records.h"

namespace sendsync::domain::detail {

// Appends an issue; the severity comes from the catalogue (IssueCodes), so a code always has the
// same severity wherever it is raised.
void Add(std::vector<Issue>& out, std::string_view code, std::string path, std::string message);

// "needs[2]" / "needs[2].rank"
std::string Index(std::string_view base, size_t i);
std::string Join(std::string_view base, std::string_view field);

// Checks `code` against `set` at `on` and appends `issue_code` with a message that says whether
// the code is unknown, not yet in force or ended. Returns true when valid.
bool CheckCode(std::vector<Issue>& out, const CodeSets& sets, std::string_view set,
               std::string_view code, Date on, std::string_view issue_code, std::string path,
               std::string_view what);

// Appends DATES_OUT_OF_ORDER when `later` is before `earlier` (both present).
void CheckOrder(std::vector<Issue>& out, const std::optional<Date>& earlier,
                std::string_view earlier_name, const std::optional<Date>& later,
                std::string_view later_name, std::string path);

// Checks a contribution's role (CONTRIBUTION_ROLE_CODE).
void CheckContributions(std::vector<Issue>& out, const CodeSets& sets,
                        const std::vector<records::Contribution>& list, std::string_view base,
                        Date on);

bool AllDigits(std::string_view s);

// Reading the data documents: each helper returns an error naming `path` when the value is
// missing or of the wrong type.
Status ReadString(const nlohmann::json& obj, const char* key, const std::string& path,
                  std::string& out, bool required);
Status ReadInt(const nlohmann::json& obj, const char* key, const std::string& path, int& out,
               bool required);
Status ReadDate(const nlohmann::json& obj, const char* key, const std::string& path,
                std::optional<Date>& out);
Status ReadStringList(const nlohmann::json& obj, const char* key, const std::string& path,
                      std::vector<std::string>& out);
// Refuses keys not in `known` (keys starting with "x_" are extensions and allowed).
Status RejectUnknownKeys(const nlohmann::json& obj, const std::string& path,
                         std::initializer_list<std::string_view> known);

// Parses an embedded data file (a build bug if it fails: aborts with the reason).
nlohmann::json EmbeddedJson(std::string_view name);

// The last day of the 12-month period that starts on `base` (the day before the anniversary):
// an annual review held on or before it is in time.
// One convention for the hub and the LA (the Referral API's next_annual_review): the review is
// due on the anniversary itself, 12 months after the plan (or the last review), a 29 February
// base falling due on 28 February.
inline Date AnnualReviewDue(Date base, const Rules& rules) {
  return base.AddMonths(rules.annual_review_months);
}

}  // namespace sendsync::domain::detail
