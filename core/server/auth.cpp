#include "core/server/auth.h"

#include <regex>

#include <Poco/Base64Encoder.h>
#include <Poco/RandomStream.h>

#include <sstream>

#include "core/audit/audit.h"

namespace sendsync::server {

const std::vector<Role>& AllRoles() {
  static const std::vector<Role> kAll = {Role::kAdmin, Role::kOperator, Role::kSenco,
                                         Role::kAuditor};
  return kAll;
}

const char* RoleName(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kOperator:
      return "operator";
    case Role::kSenco:
      return "senco";
    case Role::kAuditor:
      return "auditor";
  }
  return "?";
}

std::optional<Role> ParseRole(const std::string& name) {
  for (Role r : AllRoles())
    if (name == RoleName(r)) return r;
  return std::nullopt;
}

const std::vector<Perm>& AllPerms() {
  static const std::vector<Perm> kAll = {
      Perm::kWhoAmI,           Perm::kLinksRead,      Perm::kLinksAdmin,
      Perm::kLinksRun,         Perm::kRunsRead,       Perm::kConflictsRead,
      Perm::kConflictsResolve, Perm::kQuarantineRead, Perm::kQuarantineResolve,
      Perm::kMatchesRead,      Perm::kMatchesResolve, Perm::kOutboxRead,
      Perm::kOutboxRetry,      Perm::kPupilsRead,     Perm::kReferralsSubmit,
      Perm::kAuditRead,        Perm::kPluginsRead};
  return kAll;
}

const char* PermName(Perm perm) {
  switch (perm) {
    case Perm::kWhoAmI:
      return "whoami";
    case Perm::kLinksRead:
      return "links.read";
    case Perm::kLinksAdmin:
      return "links.admin";
    case Perm::kLinksRun:
      return "links.run";
    case Perm::kRunsRead:
      return "runs.read";
    case Perm::kConflictsRead:
      return "conflicts.read";
    case Perm::kConflictsResolve:
      return "conflicts.resolve";
    case Perm::kQuarantineRead:
      return "quarantine.read";
    case Perm::kQuarantineResolve:
      return "quarantine.resolve";
    case Perm::kMatchesRead:
      return "matches.read";
    case Perm::kMatchesResolve:
      return "matches.resolve";
    case Perm::kOutboxRead:
      return "outbox.read";
    case Perm::kOutboxRetry:
      return "outbox.retry";
    case Perm::kPupilsRead:
      return "pupils.read";
    case Perm::kReferralsSubmit:
      return "referrals.submit";
    case Perm::kAuditRead:
      return "audit.read";
    case Perm::kPluginsRead:
      return "plugins.read";
  }
  return "?";
}

bool RoleAllows(Role role, Perm perm) {
  switch (role) {
    case Role::kAdmin:
      return true;
    case Role::kOperator:
      // Runs links and works the queues; reads no pupil records and no audit log.
      return perm != Perm::kLinksAdmin && perm != Perm::kPupilsRead &&
             perm != Perm::kReferralsSubmit && perm != Perm::kAuditRead;
    case Role::kSenco:
      // Their school's pupils and referrals, and the conflicts and quarantine about them.
      return perm == Perm::kWhoAmI || perm == Perm::kLinksRead || perm == Perm::kPupilsRead ||
             perm == Perm::kReferralsSubmit || perm == Perm::kConflictsRead ||
             perm == Perm::kConflictsResolve || perm == Perm::kQuarantineRead ||
             perm == Perm::kQuarantineResolve;
    case Role::kAuditor:
      return perm == Perm::kWhoAmI || perm == Perm::kLinksRead || perm == Perm::kRunsRead ||
             perm == Perm::kAuditRead;
  }
  return false;
}

std::string NewToken() {
  Poco::RandomInputStream random;
  char bytes[32];
  random.read(bytes, sizeof bytes);
  std::ostringstream out;
  Poco::Base64Encoder enc(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
  enc.rdbuf()->setLineLength(0);
  enc.write(bytes, sizeof bytes);
  enc.close();
  return "sst_" + out.str();
}

std::string HashToken(const std::string& token) {
  return audit::Sha256Hex(token);
}

Result<std::string> CreateToken(store::Store& store, const std::string& name, Role role,
                                const std::string& school_urn, const std::string& actor) {
  static const std::regex kName(R"([A-Za-z0-9][A-Za-z0-9_.-]{0,63})");
  static const std::regex kUrn(R"([0-9]{6})");
  if (!std::regex_match(name, kName))
    return Status::InvalidArgument(
        "--name must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
  if (!school_urn.empty() && !std::regex_match(school_urn, kUrn))
    return Status::InvalidArgument("--school must be a school URN (6 digits)");
  auto conn = store.Connect();
  if (!conn.ok()) return conn.status();
  std::string token = NewToken();
  store::Token t;
  t.name = name;
  t.role = RoleName(role);
  t.school_urn = school_urn;
  t.token_hash = HashToken(token);
  store::Tx tx(**conn);
  SENDSYNC_RETURN_IF_ERROR(tx.status());
  auto id = store::CreateToken(**conn, t);
  if (!id.ok()) return id.status();
  std::vector<audit::Entry> e(1);
  e[0].actor = actor;
  e[0].action = "token.create";
  e[0].detail = {{"name", name}, {"role", t.role}, {"school_urn", school_urn}};
  SENDSYNC_RETURN_IF_ERROR(audit::Append(**conn, e));
  SENDSYNC_RETURN_IF_ERROR(tx.Commit());
  return token;
}

Status RevokeToken(store::Store& store, const std::string& name, const std::string& actor) {
  auto conn = store.Connect();
  if (!conn.ok()) return conn.status();
  store::Tx tx(**conn);
  SENDSYNC_RETURN_IF_ERROR(tx.status());
  SENDSYNC_RETURN_IF_ERROR(store::RevokeToken(**conn, name));
  std::vector<audit::Entry> e(1);
  e[0].actor = actor;
  e[0].action = "token.revoke";
  e[0].detail = {{"name", name}};
  SENDSYNC_RETURN_IF_ERROR(audit::Append(**conn, e));
  return tx.Commit();
}

Result<Caller> Authenticate(store::Conn& conn, const std::string& token) {
  if (token.empty()) return Status::Unauthenticated("a bearer token is needed");
  auto t = store::FindTokenByHash(conn, HashToken(token));
  if (!t.ok()) return t.status();
  if (!*t) return Status::Unauthenticated("the token is not valid (unknown or revoked)");
  auto role = ParseRole((*t)->role);
  if (!role) return Status::Unauthenticated("the token is not valid (unknown role)");
  // "Last used" to the minute is enough, and saves a write on most requests.
  const int64_t now = store::NowMs();
  if (!(*t)->last_used_at || now - *(*t)->last_used_at > 60000)
    store::TouchToken(conn, (*t)->id, now);
  Caller c;
  c.token_id = (*t)->id;
  c.name = (*t)->name;
  c.role = *role;
  c.school_urn = (*t)->school_urn;
  return c;
}

}  // namespace sendsync::server
