// Durable memory of the csv adapter's snapshot mode: for each source, record kind and export
// (named by its content hash), the ids of the records that may still exist after that export was
// read. Comparing that set with the next export's ids gives the deletions to report. Files live
// in the source's state folder (<state_folder>/<kind>/<hash>.ids) and are written atomically, so
// a crash leaves the old set or the new one, never half of one. Used by the csv adapter and tests.
#pragma once

#include <string>
#include <vector>

#include "sendsync/sdk/status.h"

namespace sendsync::csv {

struct IdEntry {
  std::string id;
  std::string upn;  // may be empty
};

class SnapshotState {
 public:
  explicit SnapshotState(std::string folder) : folder_(std::move(folder)) {}

  // The ids saved for `kind` after the export `hash`. NotFound when none were saved; Corruption
  // when the file is damaged.
  Result<std::vector<IdEntry>> Load(const std::string& kind, const std::string& hash) const;

  // Saves the ids for `kind` after the export `hash`, atomically. Keeps the sets of `keep_also`
  // (the export the cursor came from, so a repeated read finds it) and of the few most recent
  // exports; older sets are removed.
  Status Save(const std::string& kind, const std::string& hash, const std::vector<IdEntry>& ids,
              const std::string& keep_also) const;

  const std::string& folder() const { return folder_; }

 private:
  std::string PathOf(const std::string& kind, const std::string& hash) const;
  const std::string folder_;
};

}  // namespace sendsync::csv
