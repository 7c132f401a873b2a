// Reading the LA's decisions back: pages of status changes (GET /v1/status-changes) turned into
// canonical records. Kind "referral": one partial referral per referral in the page (its latest
// state: id = the LA's referral id, pupil {upn}, the requester's role and SEN2 RequestSource as the
// LA records them, and the LA-owned fields — la_reference, status, received/decision/plan dates,
// decision and reason, SEN2 outcomes, clock exceptions, and x_information_requested: what the LA
// asked the school for and by when while the status is more_info_requested, null otherwise). Kind
// "ehc_plan": one record per final plan issued (id = the LA's plan id). The cursor is the API's
// change cursor, passed through unchanged. A change that does not make a valid record is reported
// as a reject with its raw JSON and the reason, never dropped.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "sendsync/sdk/adapter.h"
#include "sendsync/sdk/status.h"

namespace sendsync::la_portal {

// The referral extension field for the LA's request for more information:
// {"requested_on": date, "items": [text], "respond_by": date (when the LA gave one)}. The hub
// turns it into a clock the school owns (core/hub).
inline constexpr const char* kInformationRequested = "x_information_requested";

// Turns one page ({"changes", "next_cursor", "more"}) into `result` for `kind`.
// InvalidArgument when the page itself is not a status-change page.
Status PageToRecords(const nlohmann::json& page, const std::string& kind, const std::string& la,
                     sdk::ReadResult& result);

}  // namespace sendsync::la_portal
