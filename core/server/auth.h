// Who may call the admin API: the four roles, what each may do, and the bearer tokens that carry
// them. Tokens are random, shown once, and only their SHA-256 hash is stored (core/store tokens).
// Used by the HTTP layer, the `sendsync token` commands and the server's tests.
#pragma once

#include <cstdint>
#include <memory>
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

// The token in an Authorization header ("Bearer TOKEN", either case of B); "" when there is none.
std::string BearerToken(const std::string& authorization);

// Tokens already found live, by hash, kept while the store's generation (store::HubGeneration,
// which revoking a token moves on) is the one they were found at.
class TokenCache {
 public:
  TokenCache();
  ~TokenCache();
  struct Entry {
    int64_t generation = 0;
    Caller caller;
    int64_t last_used_at = 0;
  };
  std::optional<Entry> Find(const std::string& hash, int64_t generation);
  void Put(const std::string& hash, const Entry& entry);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Finds the live token for `token` (the text after "Bearer "). Unauthenticated when it is empty,
// unknown or revoked; the message never repeats the token. With a cache, a token found live at
// `generation` is not looked up again until the generation moves.
Result<Caller> Authenticate(store::Conn& conn, const std::string& token,
                            TokenCache* cache = nullptr, int64_t generation = 0);

}  // namespace sendsync::server
