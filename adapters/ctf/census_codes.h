// DfE identifier checks and census code lists as the CTF adapter needs them (send-reference.md
// §1–3). Used by the CTF reader (to tell a census code from text that is no code at all) and by the
// writer (to refuse to put a bad identifier into a file a MIS will import). Internal to
// adapters/ctf.
//
// The code lists are the union of every census year the reference names, legacy codes included:
// whether a code is valid for a record's date (DS only from 2025, S only before 2018, NSA only with
// K) is the host's domain rule, not ours. Keep them as data here, not as logic elsewhere.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace sendsync::ctf {

// Why a UPN (or former UPN) is not valid, using the census error numbers where the census reports
// the same fault: 1510 wrong check letter, 1530 characters 2-4 not an LA code, 1540 characters
// 5-12 not numeric. nullopt when valid. A temporary UPN (letter in position 13) is valid.
std::optional<std::string> UpnProblem(std::string_view upn);

// The check letter for the 12 characters after it (positions 2..13), or '\0' when a character has
// no weight (not a digit, or a letter outside the check-letter table).
char UpnCheckLetter(std::string_view positions_2_to_13);

// Why a ULN is not valid (census error 1575), or nullopt: 10 digits, first non-zero, weights
// 10..1, weighted sum mod 11 equal to 10.
std::optional<std::string> UlnProblem(std::string_view uln);

// Census SENprovision codes, current and legacy: N K E S A P.
const std::set<std::string>& ProvisionCodes();
// Census SENtype codes of every year: SPLD MLD SLD PMLD SEMH BESD SLCN ASD HI VI MSI PD OTH NSA DS.
const std::set<std::string>& NeedTypeCodes();
// Census NCyearActual codes: N1 N2 R 1..14 X.
const std::set<std::string>& NcYearCodes();
// Census Sex codes: M F.
const std::set<std::string>& SexCodes();

// "A, B, C" for messages.
std::string JoinCodes(const std::set<std::string>& codes);

// True for "yyyy-mm-ddThh:mm:ss" with a valid date and time.
bool IsCtfDateTime(std::string_view text);

}  // namespace sendsync::ctf
