// Crash-test fault points: SENDSYNC_FAULT_POINT=name[:n] makes the process kill itself with SIGKILL
// the n-th time (default first) it reaches `name`, so tests can prove a run survives a crash at
// that exact step. Compiled in only when the build enables SENDSYNC_FAULT_POINTS (test builds).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/sync/internal.h"

namespace sendsync::sync::detail {

void FaultPoint(const char* name) {
#ifdef SENDSYNC_FAULT_POINTS
  static const char* spec = std::getenv("SENDSYNC_FAULT_POINT");
  if (!spec || !*spec) return;
  static std::atomic<int> hits{0};
  std::string s(spec);
  size_t colon = s.find(':');
  int want = colon == std::string::npos ? 1 : std::atoi(s.c_str() + colon + 1);
  if (s.substr(0, colon) != name) return;
  if (++hits == want) ::kill(::getpid(), SIGKILL);
#else
  (void)name;
#endif
}

}  // namespace sendsync::sync::detail
