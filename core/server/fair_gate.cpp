#include "core/server/fair_gate.h"

#include <algorithm>

namespace sendsync::server {

bool FairGate::Enter(std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> lock(mu_);
  if (free_ > 0 && queue_.empty()) {
    --free_;
    return true;
  }
  Waiter me;
  queue_.push_back(&me);
  if (me.cv.wait_for(lock, wait, [&] { return me.admitted; })) return true;
  queue_.erase(std::find(queue_.begin(), queue_.end(), &me));
  return false;
}

void FairGate::Leave() {
  std::lock_guard<std::mutex> lock(mu_);
  if (queue_.empty()) {
    ++free_;
    return;
  }
  Waiter* next = queue_.front();
  queue_.pop_front();
  next->admitted = true;
  next->cv.notify_one();
}

size_t FairGate::waiting() {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

}  // namespace sendsync::server
