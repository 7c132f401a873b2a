// Validation of one canonical record against the code sets and rules in force at its date. What
// the sync engine runs on every incoming record; errors mean quarantine.
#pragma once

#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/domain/codesets.h"
#include "core/domain/issues.h"
#include "core/domain/rules.h"
#include "sendsync/sdk/records.h"

namespace sendsync::domain {

// Validation of one record against the code sets in force at the record's date (docs/domain.md,
// "Which date a record is checked at"). Errors mean the record must be quarantined; warnings are
// shown but do not block.
std::vector<Issue> Validate(const records::Pupil&, const CodeSets& = CodeSets::Builtin());
std::vector<Issue> Validate(const records::Sen&, const CodeSets& = CodeSets::Builtin());
std::vector<Issue> Validate(const records::Cycle&, const CodeSets& = CodeSets::Builtin(),
                            const Rules& = Rules::Builtin());
std::vector<Issue> Validate(const records::Provision&, const CodeSets& = CodeSets::Builtin());
std::vector<Issue> Validate(const records::Review&, const CodeSets& = CodeSets::Builtin());
std::vector<Issue> Validate(const records::Referral&, const CodeSets& = CodeSets::Builtin(),
                            const Rules& = Rules::Builtin());
std::vector<Issue> Validate(const records::EhcPlan&, const CodeSets& = CodeSets::Builtin(),
                            const Rules& = Rules::Builtin());
// Parses a canonical record JSON (shape problems become issues with code "RECORD_SHAPE" and the
// field path) and validates it. This is what the sync engine calls for every incoming record.
std::vector<Issue> ValidateJson(const nlohmann::json& record,
                                const CodeSets& = CodeSets::Builtin());

}  // namespace sendsync::domain
