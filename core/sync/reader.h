// Internal to core/sync: reads a link's pages of one kind on a thread of its own, one page ahead of
// the run that applies them, so that the adapter's read and the store-free checks of the next page
// overlap the match, merge and commit of this one.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/sync/internal.h"
#include "plugins/plugins.h"

namespace sendsync::sync::detail {

// One page of one kind as the adapter returned it, checked (CheckBatch) but not applied.
struct Page {
  Status status;  // not OK: the read failed or its answer was not a read result
  std::vector<Incoming> items;
  std::vector<Deletion> deletions;
  std::vector<Reject> rejects;
  CheckedBatch checked;  // points into `items`
  std::string next_cursor;
  bool more = false;
  int64_t remaining = -1;
};

// Reading ahead is safe because reads are repeatable and never consume the source (adapter SDK
// guide, section 7): a page read but never committed is read again by the next run, from the
// cursor the store still holds. Calls on an instance are serialised, and while a reader is
// reading it is the only caller of its adapter.
class PageReader {
 public:
  PageReader(plugins::Instance& adapter, const LinkCtx& link, std::string kind, std::string cursor,
             size_t limit, const std::atomic<bool>& stop);
  ~PageReader();  // stops reading (cancelling a read under way) and waits for the thread
  PageReader(const PageReader&) = delete;
  PageReader& operator=(const PageReader&) = delete;

  // The next page, in order. After a page that failed or said more = false there are no more,
  // and the reader no longer calls the adapter once it has handed that page over; if the run was
  // asked to stop, the page's status is Cancelled.
  Page Next();
  // Gives back a page the run is done with, so that freeing it (a page of parsed JSON is many
  // small allocations) happens on the reader's thread, not the run's.
  void Release(Page page);

 private:
  void Run();
  Page Read(const std::string& cursor);

  plugins::Instance& adapter_;
  const LinkCtx& link_;
  const std::string kind_;
  const std::string first_cursor_;
  const size_t limit_;
  const std::atomic<bool>& stop_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Page> ready_;   // at most one page waits here while the next is read
  std::vector<Page> spent_;  // released pages, freed by the thread before its next read
  bool quit_ = false;        // the run is done with this reader
  bool finished_ = false;    // the thread will read no more
  std::thread thread_;
};

}  // namespace sendsync::sync::detail
