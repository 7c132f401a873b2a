#include "frames.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace sendsync::plugins::detail {
namespace {

constexpr int kTickMs = 20;
constexpr size_t kFrameStep = size_t{4} << 20;  // a frame's payload is read in steps of this

int MsUntil(const Clock::time_point* deadline) {
  if (!deadline) return kTickMs;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now());
  if (left.count() <= 0) return 0;
  return left.count() < kTickMs ? static_cast<int>(left.count()) : kTickMs;
}

// Waits until fd is ready for `events`, running tick between polls.
Status Wait(int fd, short events, const Clock::time_point* deadline,
            const std::function<Status()>& tick) {
  for (;;) {
    if (deadline && Clock::now() >= *deadline)
      return Status::DeadlineExceeded("the deadline passed while waiting on the pipe");
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, MsUntil(deadline));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IoError(std::string("poll: ") + std::strerror(errno));
    }
    if (n > 0) return Status::OK();  // readable, writable, or hung up: the read/write will tell
    if (tick) SENDSYNC_RETURN_IF_ERROR(tick());
  }
}

Status WriteAll(int fd, const char* data, size_t len, const Clock::time_point* deadline) {
  while (len > 0) {
    if (deadline) SENDSYNC_RETURN_IF_ERROR(Wait(fd, POLLOUT, deadline, nullptr));
    ssize_t n = ::write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      if (errno == EPIPE) return Status::Unavailable("closed");
      return Status::IoError(std::string("write: ") + std::strerror(errno));
    }
    data += n;
    len -= static_cast<size_t>(n);
  }
  return Status::OK();
}

Status ReadAll(int fd, char* data, size_t len, const Clock::time_point* deadline,
               const std::function<Status()>& tick) {
  while (len > 0) {
    SENDSYNC_RETURN_IF_ERROR(Wait(fd, POLLIN, deadline, tick));
    ssize_t n = ::read(fd, data, len);
    if (n == 0) return Status::Unavailable("closed");
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return Status::IoError(std::string("read: ") + std::strerror(errno));
    }
    data += n;
    len -= static_cast<size_t>(n);
  }
  return Status::OK();
}

}  // namespace

Status WriteFrame(int fd, char type, std::string_view a, std::string_view b,
                  const Clock::time_point* deadline) {
  size_t len = 1 + a.size() + b.size();
  if (len > kMaxFrame) return Status::InvalidArgument("frame too large");
  unsigned char head[5] = {static_cast<unsigned char>(len >> 24),
                           static_cast<unsigned char>(len >> 16),
                           static_cast<unsigned char>(len >> 8), static_cast<unsigned char>(len),
                           static_cast<unsigned char>(type)};
  SENDSYNC_RETURN_IF_ERROR(WriteAll(fd, reinterpret_cast<char*>(head), sizeof head, deadline));
  SENDSYNC_RETURN_IF_ERROR(WriteAll(fd, a.data(), a.size(), deadline));
  return WriteAll(fd, b.data(), b.size(), deadline);
}

Status ReadFrame(int fd, Frame& out, const Clock::time_point* deadline,
                 const std::function<Status()>& tick) {
  unsigned char head[5];
  SENDSYNC_RETURN_IF_ERROR(ReadAll(fd, reinterpret_cast<char*>(head), sizeof head, deadline, tick));
  size_t len = (size_t{head[0]} << 24) | (size_t{head[1]} << 16) | (size_t{head[2]} << 8) | head[3];
  if (len < 1 || len > kMaxFrame) return Status::Corruption("bad frame length");
  out.type = static_cast<char>(head[4]);
  // The payload grows as its bytes arrive, so a peer that announces a large frame and sends
  // little (a broken or hostile adapter) costs what it sent, not what it announced.
  out.payload.clear();
  out.payload.reserve(std::min(len - 1, kFrameStep));
  for (size_t left = len - 1; left > 0;) {
    const size_t step = std::min(left, kFrameStep), at = out.payload.size();
    out.payload.resize(at + step);
    SENDSYNC_RETURN_IF_ERROR(ReadAll(fd, out.payload.data() + at, step, deadline, tick));
    left -= step;
  }
  return Status::OK();
}

}  // namespace sendsync::plugins::detail
