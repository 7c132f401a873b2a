// Lets a few calls work at once and admits the others in the order they came. With hundreds of
// connection threads on a few cores, admitting whichever thread the kernel wakes first leaves some
// requests waiting far longer than the rest (the API's p99 at 200 connections was twice its
// p50 plus the scheduler's whims); first come, first served keeps the tail close to the middle.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>

namespace sendsync::server {

class FairGate {
 public:
  explicit FairGate(unsigned slots) : free_(slots) {}
  FairGate(const FairGate&) = delete;
  FairGate& operator=(const FairGate&) = delete;

  // Takes a slot, waiting behind earlier callers; false when none came free within `wait` (the
  // caller then goes ahead without one, so a slow call never holds the rest up for long).
  bool Enter(std::chrono::milliseconds wait);
  // Gives the slot to the longest waiter, or back to the gate.
  void Leave();
  // Callers waiting now.
  size_t waiting();

 private:
  struct Waiter {
    std::condition_variable cv;
    bool admitted = false;
  };
  std::mutex mu_;
  unsigned free_;
  std::deque<Waiter*> queue_;
};

}  // namespace sendsync::server
