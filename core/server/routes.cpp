// The route table: path, method, the permission it needs and whether it is about one school.
// Dispatch matches only against this list, and tests/server checks every entry's access rules.
#include "core/server/api.h"
#include "core/server/handlers.h"

namespace sendsync::server {

const std::vector<Route>& Routes() {
  using namespace handlers;
  using P = Perm;
  constexpr Scope S = Scope::kSchool, G = Scope::kGlobal;
  static const std::vector<Route> kRoutes = {
      {"GET", "/api/v1/whoami", P::kWhoAmI, S, WhoAmI},
      {"GET", "/api/v1/schools", P::kLinksRead, S, ListSchools},
      {"POST", "/api/v1/schools/{urn}/name", P::kLinksAdmin, S, SetSchoolName},
      {"GET", "/api/v1/links", P::kLinksRead, S, ListLinks},
      {"POST", "/api/v1/links", P::kLinksAdmin, S, AddLink},
      {"GET", "/api/v1/links/{name}", P::kLinksRead, S, ShowLink},
      {"POST", "/api/v1/links/{name}/test", P::kLinksRun, S, TestLink},
      {"POST", "/api/v1/links/{name}/enable", P::kLinksAdmin, S, EnableLink},
      {"POST", "/api/v1/links/{name}/disable", P::kLinksAdmin, S, DisableLink},
      {"POST", "/api/v1/links/{name}/run", P::kLinksRun, S, RunLink},
      {"POST", "/api/v1/links/{name}/dry-run", P::kLinksRun, S, DryRunLink},
      {"GET", "/api/v1/runs", P::kRunsRead, S, ListRuns},
      {"GET", "/api/v1/runs/{run_id}", P::kRunsRead, S, ShowRun},
      {"GET", "/api/v1/conflicts", P::kConflictsRead, S, ListConflicts},
      {"GET", "/api/v1/conflicts/{conflict_id}", P::kConflictsRead, S, ShowConflict},
      {"POST", "/api/v1/conflicts/{conflict_id}/resolve", P::kConflictsResolve, S, ResolveConflict},
      {"GET", "/api/v1/quarantine", P::kQuarantineRead, S, ListQuarantine},
      {"POST", "/api/v1/quarantine/bulk", P::kQuarantineResolve, S, BulkQuarantine},
      {"GET", "/api/v1/quarantine/{quarantine_id}", P::kQuarantineRead, S, ShowQuarantine},
      {"POST", "/api/v1/quarantine/{quarantine_id}/retry", P::kQuarantineResolve, S,
       RetryQuarantine},
      {"POST", "/api/v1/quarantine/{quarantine_id}/discard", P::kQuarantineResolve, S,
       DiscardQuarantine},
      {"GET", "/api/v1/matches", P::kMatchesRead, S, ListMatches},
      {"GET", "/api/v1/matches/{match_id}", P::kMatchesRead, S, ShowMatch},
      {"POST", "/api/v1/matches/{match_id}/resolve", P::kMatchesResolve, S, ResolveMatch},
      {"GET", "/api/v1/outbox", P::kOutboxRead, S, ListOutbox},
      {"POST", "/api/v1/outbox/retry", P::kOutboxRetry, S, RetryOutboxBulk},
      {"POST", "/api/v1/outbox/{outbox_id}/retry", P::kOutboxRetry, S, RetryOutbox},
      {"GET", "/api/v1/pupils", P::kPupilsRead, S, ListPupils},
      {"GET", "/api/v1/register", P::kPupilsRead, S, SenRegister},
      {"GET", "/api/v1/pupils/{upn}", P::kPupilsRead, S, ShowPupil},
      {"GET", "/api/v1/pupils/{upn}/disclosures", P::kPupilsRead, S, PupilDisclosures},
      {"GET", "/api/v1/pupils/{upn}/readiness", P::kPupilsRead, S, PupilReadiness},
      {"GET", "/api/v1/due", P::kPupilsRead, S, ListDue},
      {"GET", "/api/v1/referrals", P::kPupilsRead, S, ListReferrals},
      {"POST", "/api/v1/pupils/{upn}/referral/submit", P::kReferralsSubmit, S, SubmitReferral},
      {"GET", "/api/v1/audit", P::kAuditRead, G, ListAudit},
      {"GET", "/api/v1/audit/verify", P::kAuditRead, G, VerifyAudit},
      {"GET", "/api/v1/plugins", P::kPluginsRead, G, ListPlugins},
  };
  return kRoutes;
}

}  // namespace sendsync::server
