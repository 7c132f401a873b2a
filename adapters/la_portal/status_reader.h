// Reading the LA's decisions back: pages of status changes (GET /v1/status-changes) turned into
// canonical records. Kind "referral": one partial referral per referral in the page (its latest
// state: id = the LA's referral id, pupil {upn}, the requester's role and SEN2 RequestSource as the
// LA records them, and the LA-owned fields — la_reference, status, received/decision/plan dates,
// decision and reason, SEN2 outcomes, clock exceptions). Kind
// "ehc_plan": one record per final plan issued (id = the LA's plan id). The cursor is the API's
// change cursor, passed through unchanged. A change that does not make a valid record is reported
// as a reject with its raw JSON and the reason, never dropped.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "sendsync/sdk/adapter.h"
#include "sendsync/sdk/status.h"

namespace sendsync::la_portal {

// Turns one page ({"changes", "next_cursor", "more"}) into `result` for `kind`.
// InvalidArgument when the page itself is not a status-change page.
Status PageToRecords(const nlohmann::json& page, const std::string& kind, const std::string& la,
                     sdk::ReadResult& result);

}  // namespace sendsync::la_portal
