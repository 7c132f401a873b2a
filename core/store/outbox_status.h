// Where a queued change to a link stands: the `status` column of the outbox. Parsed where a row
// is read (core/store/queues_store.cpp) and printed where it leaves (store writes, CLI, API).
#pragma once

#include <string_view>

#include "sendsync/sdk/wire_enum.h"

namespace sendsync::store {

enum class OutboxStatus {
  kPending,     // waiting to be sent (or to be sent again after a backoff)
  kDelivered,   // the link applied it
  kRejected,    // the link refused it; a person decides
  kDead,        // gave up after the retry limit
  kSuperseded,  // a newer change to the same record replaced it before it went
};

inline constexpr wire::EnumTable<OutboxStatus, 5> kOutboxStatusNames{
    "outbox status",
    {{{OutboxStatus::kPending, "pending"},
      {OutboxStatus::kDelivered, "delivered"},
      {OutboxStatus::kRejected, "rejected"},
      {OutboxStatus::kDead, "dead"},
      {OutboxStatus::kSuperseded, "superseded"}}}};

inline const char* OutboxStatusName(OutboxStatus s) {
  return kOutboxStatusNames.Name(s);
}
inline Result<OutboxStatus> ParseOutboxStatus(std::string_view text) {
  return kOutboxStatusNames.Parse(text);
}

}  // namespace sendsync::store
