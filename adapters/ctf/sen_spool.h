// What a read of "pupil" found about the same pupils' SEN, kept for this instance's reads of
// "sen", so that one parse of a file serves both kinds. The host reads a link's kinds one after
// the other in one run, each from its own cursor (pupil first); both cursors normally start at
// the same place, where the last run ended. While the pupil pages run, each page's SEN records
// and rejects are appended here, each with the sen cursor that follows it; a read of "sen" that
// starts where the spooled pupil pages started (or where the last sen page served from here
// ended) is answered from here, and once the spool is used up it carries on by parsing from the
// place the pupil pages reached. Any other sen cursor is read from the files as before. The spool
// is a temporary file, so memory stays flat however large the files; it lives as long as the
// instance (one run). Internal to adapters/ctf.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <sendsync/sdk/adapter.h>

namespace sendsync::ctf {

class SenSpool {
 public:
  // One pupil's (or refused file's) contribution to a read of "sen".
  struct Entry {
    std::string after;  // the sen cursor just after it
    bool is_record = false;
    std::string record;  // is_record: the SEN record as JSON text
    sdk::Reject reject;  // otherwise
  };

  SenSpool() = default;
  SenSpool(const SenSpool&) = delete;
  SenSpool& operator=(const SenSpool&) = delete;
  ~SenSpool();

  // Whether a pupil page read from `cursor` continues the pages spooled so far; when it does not,
  // the spool starts again from `cursor` (it is then empty).
  void BeginPupilPage(const std::string& cursor);
  // Adds a pupil page's entries, in order, and where the page ended. A page that failed adds
  // nothing (call Abandon instead), so what is here is always a run of whole pages.
  void EndPupilPage(const std::vector<Entry>& entries, const std::string& next_cursor);
  void Abandon();

  // Whether a read of "sen" from `cursor` can be answered from here.
  bool Serves(const std::string& cursor) const;
  // Moves up to `budget` entries from `cursor` on into `result`, decrementing the budget. Sets
  // `next` to the cursor after the last one taken and `exhausted` when none are left after it
  // (then `next` is where the pupil pages ended, and the caller reads on from the files there).
  Status Serve(const std::string& cursor, size_t& budget, sdk::ReadResult& result,
               std::string& next, bool& exhausted);
  // How many entries are spooled after where the last Serve stopped (for progress: the pupil
  // pages have read on to `end`, so these are the sen records and rejects still to come until
  // there).
  int64_t LeftAfterServed() const { return entries_ - served_entries_; }

 private:
  std::FILE* file_ = nullptr;   // lines: <cursor after> TAB R|X TAB <json>
  bool broken_ = false;         // a write failed: serve nothing from here
  std::string start_, end_;     // where the spooled pupil pages started and ended
  std::string served_;          // where the last sen page served from here ended
  long served_at_ = 0;          // and its byte offset in the spool
  int64_t entries_ = 0;         // entries spooled
  int64_t served_entries_ = 0;  // entries before served_at_
};

}  // namespace sendsync::ctf
