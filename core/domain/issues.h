// Issues: what is wrong with a record (Issue, Severity) and the catalogue of every issue code the
// domain emits. For every part of the host that reports or matches on issues.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sendsync::domain {

enum class Severity { kError, kWarning };
const char* SeverityName(Severity severity);  // "error" / "warning"

// One thing wrong with a record. `code` is stable (upper snake case) and is what programs match on;
// `path` is the JSON path of the field ("needs[1].rank"); `message` is for people and, where the
// school census has an error number for the same fault, names it. Messages never contain the
// identifier or name being checked (they end up in logs).
struct Issue {
  std::string code;
  std::string path;
  std::string message;
  Severity severity = Severity::kError;
};

// True when any issue is an error (the record must be quarantined).
bool HasErrors(const std::vector<Issue>& issues);
// "error UPN_CHECK_LETTER at upn: …" — one line for logs and CLI output.
std::string FormatIssue(const Issue& issue);

// The catalogue of every code this library emits, for docs, the CLI and tests.
struct IssueCodeInfo {
  std::string code;
  Severity severity;
  int census_error = 0;  // the school census error number for the same fault, 0 if none
  std::string summary;
};
const std::vector<IssueCodeInfo>& IssueCodes();
const IssueCodeInfo* FindIssueCode(std::string_view code);

}  // namespace sendsync::domain
