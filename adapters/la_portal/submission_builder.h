// Builds a ReferralSubmission (docs/api/referral-api.yaml) from a hub referral and the context the
// host sends with it. The context is already limited to what the link's allow-list lets leave the
// hub: the builder maps what is there, field by field, and never fills a gap with invented data
// (a field the API requires but the hub did not send is left out, and the LA's 422 names it).
// Also the readiness gate: a referral the hub says is not ready is refused unless forced.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "sendsync/sdk/status.h"

namespace sendsync::la_portal {

// Why the referral must not be sent yet: the readiness items' "missing" sentences, or nullopt
// when it is ready (or an admin forced it). A context without a readiness check is not ready.
std::optional<std::string> NotReadyReason(const nlohmann::json& context);

// The submission for `record` (a canonical referral) with `context`, for LA `la`.
// InvalidArgument when the record cannot be sent at all (no client_reference, another LA's
// referral).
Result<nlohmann::json> BuildSubmission(const nlohmann::json& record, const nlohmann::json& context,
                                       const std::string& la);

}  // namespace sendsync::la_portal
