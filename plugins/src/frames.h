// Internal to plugins/: the worker protocol. Each frame is a 4-byte big-endian length, then one type
// byte, then the payload (length counts the type byte and the payload). JSON travels as raw text so
// neither side parses what it only passes along.
//
//   host -> worker   'O' open   payload: config JSON
//                    'C' call   payload: method, '\n', request JSON
//                    'K' cancel payload: empty (asks the current call to stop; read by a watcher)
//                    'Q' quit   payload: empty
//   worker -> host   'R' result payload: status digit ('0' ok, '1' retry, '2' fatal), body JSON
//                    'L' log    payload: level digit, message
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "sendsync/sdk/status.h"

namespace sendsync::plugins::detail {

constexpr size_t kMaxFrame = size_t{1} << 30;  // 1 GiB: a bigger frame means a broken peer

struct Frame {
  char type = 0;
  std::string payload;
};

using Clock = std::chrono::steady_clock;

// Writes a whole frame whose payload is a + b. With a deadline, gives up (DeadlineExceeded) when
// the peer does not drain the pipe in time; without one, blocks.
Status WriteFrame(int fd, char type, std::string_view a, std::string_view b = {},
                  const Clock::time_point* deadline = nullptr);

// Reads one frame. Returns Unavailable("closed") on end of file, DeadlineExceeded past the
// deadline (callers branch on the code, never on the message). `tick`, when given, runs about every
// 20 ms while waiting; a non-OK Status from it stops the wait and is returned.
Status ReadFrame(int fd, Frame& out, const Clock::time_point* deadline = nullptr,
                 const std::function<Status()>& tick = nullptr);

}  // namespace sendsync::plugins::detail
