// What became of one change an adapter was asked to write: the "result" of each entry in a write
// response (docs/adapter-sdk.md, "write"). Adapters produce these through WriteResult; the host
// parses them where the response enters it (core/sync/push.cpp).
#pragma once

#include <string_view>

#include "sendsync/sdk/wire_enum.h"

namespace sendsync {

enum class ChangeOutcome {
  kApplied,   // the link holds the change
  kRejected,  // the link refused it for good (a person must look)
  kRetry,     // not applied; a transient refusal the target answered
  kUnknown,   // sent, no answer: it may or may not be applied
  kNotSent,   // not sent at all (an earlier change of the batch stopped the call)
};

inline constexpr wire::EnumTable<ChangeOutcome, 5> kChangeOutcomeNames{
    "change result",
    {{{ChangeOutcome::kApplied, "applied"},
      {ChangeOutcome::kRejected, "rejected"},
      {ChangeOutcome::kRetry, "retry"},
      {ChangeOutcome::kUnknown, "unknown"},
      {ChangeOutcome::kNotSent, "not_sent"}}}};

inline const char* ChangeOutcomeName(ChangeOutcome outcome) {
  return kChangeOutcomeNames.Name(outcome);
}
inline Result<ChangeOutcome> ParseChangeOutcome(std::string_view text) {
  return kChangeOutcomeNames.Parse(text);
}

}  // namespace sendsync
