// Valid permanent UPNs for test pupils: school 8201200, serial n, the check letter computed by the
// domain (never typed in). Header-only, so any test binary can use it.
#pragma once

#include <cstdio>
#include <string>

#include "core/domain/domain.h"

namespace sendsync::testing_support {

// `body` with its first character replaced by the check letter the domain computes for it.
inline std::string WithCheckLetter(const char* body) {
  std::string s(body);
  s[0] = *domain::UpnCheckLetter(s);
  return s;
}

inline std::string Upn(int n) {
  char body[16];
  std::snprintf(body, sizeof body, "?82012000%04d", n % 10000);
  return WithCheckLetter(body);
}

// A temporary UPN: the same shape as Upn(n), ending in a letter.
inline std::string TempUpn(int n) {
  char body[16];
  std::snprintf(body, sizeof body, "?82012000%03dA", n % 1000);
  return WithCheckLetter(body);
}

}  // namespace sendsync::testing_support
