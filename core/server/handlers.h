// The admin API's handlers (one per route in routes.cpp) and the helpers they share. Internal to
// core/server: handlers call the same engine, hub, store and audit functions as the CLI.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "core/server/api.h"

namespace sendsync::server::handlers {

// ---- helpers ----

// Collects invalid-input problems with their paths ("/take", "query:status", "path:conflict_id").
class Errors {
 public:
  void Add(const std::string& path, const std::string& message);
  bool empty() const { return list_.empty(); }
  Reply ToReply() const;

 private:
  nlohmann::json list_ = nlohmann::json::array();
};

// Only the listed fields are accepted in a body: each other one is an "unknown field" error.
void OnlyFields(const nlohmann::json& body, const std::set<std::string>& allowed, Errors& e);

// A whole-number path parameter, or a 400 naming it.
std::optional<Reply> IdParam(const Call& call, const char* name, int64_t& out);

// Links by id, looked up once per request (queue items and runs name their link by id).
class LinkCache {
 public:
  explicit LinkCache(store::Conn& conn) : conn_(conn) {}
  // The link (removed ones included); nullptr when it cannot be read.
  const store::Link* Get(int64_t id);
  std::string Name(int64_t id);    // without the "#removed-..." suffix
  std::string School(int64_t id);  // "" when unknown

 private:
  store::Conn& conn_;
  std::map<int64_t, std::optional<store::Link>> links_;
};

// The link named by the {name} path parameter, or the reply (404, 403) saying why not.
std::optional<Reply> LinkParam(Call& call, store::Link& out);
// The ?link= filter as a link id (0 when absent), or the reply (404, 403) saying why not.
std::optional<Reply> LinkFilter(Call& call, int64_t& link_id);

// The link as the API shows it; `details` adds config, settings, cursors and outbox counts.
nlohmann::json LinkJson(Call& call, const store::Link& link, bool details);
// A stored run as the API shows it.
nlohmann::json RunJson(const store::Run& run, const std::string& link, const std::string& school);

// An audit entry made by the caller's token for a change outside the engine (which audits its own).
Status AuditAction(Call& call, const std::string& action, nlohmann::json detail);

// ---- handlers ----
Reply WhoAmI(Call& call);
Reply ListSchools(Call& call);
Reply SetSchoolName(Call& call);
Reply ListLinks(Call& call);
Reply AddLink(Call& call);
Reply ShowLink(Call& call);
Reply TestLink(Call& call);
Reply EnableLink(Call& call);
Reply DisableLink(Call& call);
Reply RunLink(Call& call);
Reply DryRunLink(Call& call);
Reply ListRuns(Call& call);
Reply ShowRun(Call& call);
Reply ListConflicts(Call& call);
Reply ShowConflict(Call& call);
Reply ResolveConflict(Call& call);
Reply ListQuarantine(Call& call);
Reply ShowQuarantine(Call& call);
Reply RetryQuarantine(Call& call);
Reply DiscardQuarantine(Call& call);
Reply BulkQuarantine(Call& call);
Reply ListMatches(Call& call);
Reply ShowMatch(Call& call);
Reply ResolveMatch(Call& call);
Reply ListOutbox(Call& call);
Reply RetryOutbox(Call& call);
Reply RetryOutboxBulk(Call& call);
Reply ShowPupil(Call& call);
Reply PupilReadiness(Call& call);
Reply ListDue(Call& call);
Reply ListPupils(Call& call);
Reply SenRegister(Call& call);
Reply PupilDisclosures(Call& call);
Reply ListReferrals(Call& call);
Reply SubmitReferral(Call& call);
Reply ListAudit(Call& call);
Reply VerifyAudit(Call& call);
Reply ListPlugins(Call& call);

}  // namespace sendsync::server::handlers
