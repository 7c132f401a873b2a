// Pupil identifiers: UPN shape and check letter, ULN, duplicate UPNs across the hub (reference
// section 1). For validation and for the store's matching of pupils.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/domain/issues.h"
#include "sendsync/sdk/records.h"

namespace sendsync::domain {

// UPN shape only: 13 characters; 1 a check letter (A–Z without I, O, S); 2–12 digits; 13 a digit
// (permanent) or a check-table letter (temporary). Lower case is not accepted.
bool ValidUpnFormat(std::string_view upn);
// The check letter characters 2–13 call for (weights 2..13, sum mod 23), computed, never read from
// character 1; nullopt when characters 2–13 are not of the right shape.
std::optional<char> UpnCheckLetter(std::string_view upn);
enum class UpnKind { kPermanent, kTemporary };
// nullopt when valid. Characters 2–4 must be an LA code: without a list of LA codes we check only
// that they are three digits.
std::optional<Issue> CheckUpn(std::string_view upn, const std::string& path = "upn");
std::optional<UpnKind> UpnKindOf(std::string_view upn);  // nullopt unless CheckUpn passes
// ULN: 10 digits, first non-zero, weights 10..1, weighted sum mod 11 must be 10.
std::optional<Issue> CheckUln(std::string_view uln, const std::string& path = "uln");
// Census error 1520: the same UPN on more than one pupil (a hub-wide check, for the store).
std::vector<Issue> CheckDuplicateUpns(const std::vector<records::Pupil>& pupils);

}  // namespace sendsync::domain
