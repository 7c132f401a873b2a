// Who may call the admin API: the four roles, what each may do, and the bearer tokens that carry
// them. Tokens are random, shown once, and only their SHA-256 hash is stored (core/store tokens).
// Used by the HTTP layer, the `sendsync token` commands and the server's tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/store/store.h"
#include "sendsync/sdk/status.h"

namespace sendsync::server {

enum class Role { kAdmin, kOperator, kSenco, kAuditor };
const std::vector<Role>& AllRoles();
const char* RoleName(Role role);
std::optional<Role> ParseRole(const std::string& name);

// One kind of call. Each API route needs exactly one.
enum class Perm {
  kWhoAmI,
  kLinksRead,   // schools, links
  kLinksAdmin,  // add, enable, disable
  kLinksRun,    // run now, dry run, test
  kRunsRead,
  kConflictsRead,
  kConflictsResolve,
  kQuarantineRead,
  kQuarantineResolve,  // retry, discard
  kMatchesRead,
  kMatchesResolve,
  kOutboxRead,
  kOutboxRetry,
  kPupilsRead,       // pupil summary, readiness, due reviews and clocks, referrals
  kReferralsSubmit,  // a request for an EHC needs assessment, through the hub's pipeline
  kAuditRead,
  kPluginsRead,
};
const std::vector<Perm>& AllPerms();
const char* PermName(Perm perm);  // "conflicts.resolve"

// The role matrix (docs/api/admin-api.yaml, "Roles").
bool RoleAllows(Role role, Perm perm);

// The caller behind a request.
struct Caller {
  int64_t token_id = 0;
  std::string name;
  Role role = Role::kAuditor;
  std::string school_urn;  // empty: every school

  std::string Actor() const { return "token:" + name; }
};

// A new token: 32 random bytes (Poco::RandomInputStream), base64url without padding, prefixed
// "sst_" so it is recognisable in a secrets scanner.
std::string NewToken();
// The stored form of a token.
std::string HashToken(const std::string& token);

// Checks the name (letters, digits, . _ -, at most 64), the school (6 digits or empty), stores the
// token's hash and audits the creation as `actor`. Returns the token, which is never stored.
Result<std::string> CreateToken(store::Store& store, const std::string& name, Role role,
                                const std::string& school_urn, const std::string& actor);
Status RevokeToken(store::Store& store, const std::string& name, const std::string& actor);

// Finds the live token for `token` (the text after "Bearer "). Unauthenticated when it is empty,
// unknown or revoked; the message never repeats the token.
Result<Caller> Authenticate(store::Conn& conn, const std::string& token);

}  // namespace sendsync::server
