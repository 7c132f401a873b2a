// Where an item of a review queue (quarantine, conflicts, matches) stands: the `status` column of
// those tables. Parsed where a row is read (core/store/queues_store.cpp), printed at the edges.
#pragma once

#include <string_view>

#include "sendsync/sdk/wire_enum.h"

namespace sendsync::store {

enum class ReviewStatus {
  kOpen,        // waiting for a person (or, for quarantine, for a good version)
  kApplied,     // quarantine only: a corrected or newer version went in
  kDiscarded,   // quarantine only: a person threw it away
  kResolved,    // conflicts and matches: a person decided
  kSuperseded,  // quarantine only: a good version of the record arrived and took its place
};

inline constexpr wire::EnumTable<ReviewStatus, 5> kReviewStatusNames{
    "queue item status",
    {{{ReviewStatus::kOpen, "open"},
      {ReviewStatus::kApplied, "applied"},
      {ReviewStatus::kDiscarded, "discarded"},
      {ReviewStatus::kResolved, "resolved"},
      {ReviewStatus::kSuperseded, "superseded"}}}};

inline const char* ReviewStatusName(ReviewStatus s) {
  return kReviewStatusNames.Name(s);
}
inline Result<ReviewStatus> ParseReviewStatus(std::string_view text) {
  return kReviewStatusNames.Parse(text);
}

}  // namespace sendsync::store
