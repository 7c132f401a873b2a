// Fuzzes the worker protocol's frame reader (plugins/src/frames.h), the code that reads whatever
// an adapter's worker process writes (and the worker's view of the host). The input is fed through
// a pipe, as the real peer would send it; each frame is taken apart as the host does: a status
// digit and a JSON body for 'R', a level digit and text for 'L'.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <thread>

#include <nlohmann/json.hpp>

#include "plugins/src/frames.h"

using namespace sendsync::plugins::detail;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ::signal(SIGPIPE, SIG_IGN);  // the reader may stop before the writer is done
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return 0;
  // A writer thread, so that inputs larger than the pipe's buffer are read as they would be.
  std::thread writer([&] {
    size_t off = 0;
    while (off < size) {
      const ssize_t n = ::write(fds[1], data + off, size - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    ::close(fds[1]);
  });
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  Frame f;
  while (ReadFrame(fds[0], f, &deadline).ok()) {
    if (f.type == 'R' && !f.payload.empty()) {
      auto body = nlohmann::json::parse(f.payload.substr(1), nullptr, false);
      if (body.is_object() && body.contains("message") && body["message"].is_string())
        body["message"].get<std::string>();
    }
  }
  ::close(fds[0]);  // a writer still blocked gets EPIPE
  writer.join();
  return 0;
}
