// UPN and ULN checks (reference section 3). The check letter is always computed from characters
// 2-13, never trusted from character 1.
#include <map>

#include "core/domain/internal.h"
#include "core/domain/upn.h"

namespace sendsync::domain {
namespace {

// Check-letter table: A0 B1 … H7 J8 … N12 P13 Q14 R15 T16 … Z22 (no I, O, S).
constexpr std::string_view kLetters = "ABCDEFGHJKLMNPQRTUVWXYZ";

int LetterValue(char c) {
  size_t pos = kLetters.find(c);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

bool ValidTail(std::string_view upn) {  // characters 2–13 (indexes 1–12)
  for (size_t i = 1; i < 12; ++i)
    if (!IsDigit(upn[i])) return false;
  return IsDigit(upn[12]) || LetterValue(upn[12]) >= 0;
}

Issue Make(std::string_view code, const std::string& path, std::string message) {
  std::vector<Issue> out;
  detail::Add(out, code, path, std::move(message));
  return out.front();
}

}  // namespace

bool ValidUpnFormat(std::string_view upn) {
  return upn.size() == 13 && LetterValue(upn[0]) >= 0 && ValidTail(upn);
}

std::optional<char> UpnCheckLetter(std::string_view upn) {
  if (upn.size() != 13 || !ValidTail(upn)) return std::nullopt;
  int sum = 0;
  for (size_t i = 1; i < 13; ++i) {
    int weight = static_cast<int>(i) + 1;  // position i+1, counting from 1
    int value = IsDigit(upn[i]) ? upn[i] - '0' : LetterValue(upn[i]);
    sum += value * weight;
  }
  return kLetters[sum % 23];
}

std::optional<Issue> CheckUpn(std::string_view upn, const std::string& path) {
  if (upn.empty()) return Make("UPN_MISSING", path, "UPN is missing");
  if (upn.size() != 13)
    return Make("UPN_LENGTH", path, "UPN must be 13 characters, got " + std::to_string(upn.size()));
  if (LetterValue(upn[0]) < 0)
    return Make("UPN_FORMAT", path,
                "UPN character 1 must be a check letter (upper case A-Z without I, O, S)");
  for (size_t i = 1; i < 4; ++i)
    if (!IsDigit(upn[i]))
      return Make("UPN_LA_CODE", path,
                  "UPN characters 2-4 must be an LA code; only the shape (three digits) is "
                  "checked, not the list of LAs");
  for (size_t i = 4; i < 12; ++i)
    if (!IsDigit(upn[i]))
      return Make("UPN_NOT_NUMERIC", path, "UPN characters 5-12 must be digits");
  if (!IsDigit(upn[12]) && LetterValue(upn[12]) < 0)
    return Make("UPN_FORMAT", path,
                "UPN character 13 must be a digit (permanent UPN) or an upper-case letter other "
                "than I, O, S (temporary UPN)");
  char expected = *UpnCheckLetter(upn);
  if (upn[0] != expected)
    return Make(
        "UPN_CHECK_LETTER", path,
        std::string("UPN check letter is ") + upn[0] + " but characters 2-13 call for " + expected);
  return std::nullopt;
}

std::optional<UpnKind> UpnKindOf(std::string_view upn) {
  if (CheckUpn(upn)) return std::nullopt;
  return IsDigit(upn[12]) ? UpnKind::kPermanent : UpnKind::kTemporary;
}

std::optional<Issue> CheckUln(std::string_view uln, const std::string& path) {
  if (uln.size() != 10 || !detail::AllDigits(uln) || uln[0] == '0')
    return Make("ULN_FORMAT", path, "ULN must be 10 digits, the first not zero");
  int sum = 0;
  for (size_t i = 0; i < 10; ++i) sum += (uln[i] - '0') * static_cast<int>(10 - i);
  if (sum % 11 != 10)
    return Make("ULN_CHECK_DIGIT", path,
                "ULN fails its check: the weighted sum mod 11 is " + std::to_string(sum % 11) +
                    ", must be 10");
  return std::nullopt;
}

std::vector<Issue> CheckDuplicateUpns(const std::vector<records::Pupil>& pupils) {
  std::vector<Issue> out;
  std::map<std::string_view, size_t> first;
  for (size_t i = 0; i < pupils.size(); ++i) {
    const std::string& upn = pupils[i].upn;
    if (upn.empty() || CodeSets::Builtin().UnknownUpnReason(upn)) continue;
    auto [it, inserted] = first.emplace(upn, i);
    if (inserted) continue;
    detail::Add(out, "DUPLICATE_UPN", detail::Join(detail::Index("pupils", i), "upn"),
                "pupil " + pupils[i].id + " has the same UPN as pupil " + pupils[it->second].id);
  }
  return out;
}

}  // namespace sendsync::domain
