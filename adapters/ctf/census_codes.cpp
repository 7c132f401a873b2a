#include "census_codes.h"

#include <sendsync/sdk/date.h>

namespace sendsync::ctf {
namespace {

// Check-letter table of the UPN specification: I, O and S are never used.
constexpr std::string_view kCheckLetters = "ABCDEFGHJKLMNPQRTUVWXYZ";

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

bool AllDigits(std::string_view s) {
  for (char c : s)
    if (!IsDigit(c)) return false;
  return !s.empty();
}

}  // namespace

char UpnCheckLetter(std::string_view rest) {
  if (rest.size() != 12) return '\0';
  int sum = 0;
  for (size_t i = 0; i < rest.size(); ++i) {
    int weight = static_cast<int>(i) + 2;  // positions 2..13
    char c = rest[i];
    int value;
    if (IsDigit(c)) {
      value = c - '0';
    } else {
      size_t at = kCheckLetters.find(c);
      if (at == std::string_view::npos) return '\0';
      value = static_cast<int>(at);
    }
    sum += weight * value;
  }
  return kCheckLetters[sum % 23];
}

std::optional<std::string> UpnProblem(std::string_view upn) {
  if (upn.empty()) return "UPN is missing (census error 1500)";
  if (upn.size() != 13)
    return "a UPN has 13 characters, this one has " + std::to_string(upn.size());
  if (!AllDigits(upn.substr(1, 3)))
    return "characters 2-4 of a UPN are the LA code and must be digits (census error 1530)";
  if (!AllDigits(upn.substr(4, 8)))
    return "characters 5-12 of a UPN must be digits (census error 1540)";
  if (kCheckLetters.find(upn[0]) == std::string_view::npos)
    return std::string(
               "character 1 of a UPN is its check letter and must be a capital letter other "
               "than I, O and S, not '") +
           upn[0] + "' (census error 1510)";
  char last = upn[12];
  if (!IsDigit(last) && kCheckLetters.find(last) == std::string_view::npos)
    return "character 13 of a UPN must be a digit, or a capital letter other than I, O and S for a "
           "temporary UPN";
  if (UpnCheckLetter(upn.substr(1)) != upn[0])
    return "the check letter (character 1) does not match the rest of the UPN (census error 1510)";
  return std::nullopt;
}

std::optional<std::string> UlnProblem(std::string_view uln) {
  if (uln.size() != 10 || !AllDigits(uln) || uln[0] == '0')
    return "a ULN is 10 digits and does not start with 0 (census error 1575)";
  int sum = 0;
  for (size_t i = 0; i < 10; ++i) sum += (uln[i] - '0') * static_cast<int>(10 - i);
  if (sum % 11 != 10) return "the ULN's check digit does not match (census error 1575)";
  return std::nullopt;
}

const std::set<std::string>& ProvisionCodes() {
  static const std::set<std::string> kCodes = {"N", "K", "E", "S", "A", "P"};
  return kCodes;
}

const std::set<std::string>& NeedTypeCodes() {
  static const std::set<std::string> kCodes = {"SPLD", "MLD",  "SLD", "PMLD", "SEMH",
                                               "BESD", "SLCN", "ASD", "HI",   "VI",
                                               "MSI",  "PD",   "OTH", "NSA",  "DS"};
  return kCodes;
}

const std::set<std::string>& NcYearCodes() {
  static const std::set<std::string> kCodes = [] {
    std::set<std::string> s = {"N1", "N2", "R", "X"};
    for (int y = 1; y <= 14; ++y) s.insert(std::to_string(y));
    return s;
  }();
  return kCodes;
}

const std::set<std::string>& SexCodes() {
  static const std::set<std::string> kCodes = {"M", "F"};
  return kCodes;
}

std::string JoinCodes(const std::set<std::string>& codes) {
  std::string out;
  for (const std::string& c : codes) {
    if (!out.empty()) out += ", ";
    out += c;
  }
  return out;
}

bool IsCtfDateTime(std::string_view t) {
  if (t.size() != 19 || t[10] != 'T' || t[13] != ':' || t[16] != ':') return false;
  if (!Date::Parse(t.substr(0, 10))) return false;
  auto two = [&](size_t at, int max) {
    return IsDigit(t[at]) && IsDigit(t[at + 1]) && (t[at] - '0') * 10 + (t[at + 1] - '0') <= max;
  };
  return two(11, 23) && two(14, 59) && two(17, 59);
}

}  // namespace sendsync::ctf
