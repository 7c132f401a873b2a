#include "core/server/auth.h"

#include <mutex>
#include <regex>
#include <unordered_map>

#include <Poco/Base64Encoder.h>
#include <Poco/RandomStream.h>

#include <sstream>

#include "core/audit/audit.h"
#include "base/log/log.h"

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

std::string BearerToken(const std::string& authorization) {
  // "Bearer", one or more spaces, the token, optional trailing spaces.
  const std::string& a = authorization;
  if (a.size() < 7 || (a[0] != 'B' && a[0] != 'b') || a.compare(1, 5, "earer") != 0 || a[6] != ' ')
    return "";
  size_t from = a.find_first_not_of(' ', 6);
  if (from == std::string::npos) return "";
  size_t to = a.find(' ', from);
  if (to != std::string::npos && a.find_first_not_of(' ', to) != std::string::npos) return "";
  return a.substr(from, to == std::string::npos ? std::string::npos : to - from);
}

struct TokenCache::Impl {
  std::mutex mu;
  std::unordered_map<std::string, Entry> map;
};

TokenCache::TokenCache() : impl_(std::make_unique<Impl>()) {}
TokenCache::~TokenCache() = default;

std::optional<TokenCache::Entry> TokenCache::Find(const std::string& hash, int64_t generation) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->map.find(hash);
  if (it == impl_->map.end() || it->second.generation != generation) return std::nullopt;
  return it->second;
}

void TokenCache::Put(const std::string& hash, const Entry& entry) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  // Few tokens are in use at once; a generation change makes every entry stale, so start again
  // rather than keep a bound per entry.
  if (impl_->map.size() >= 4096) impl_->map.clear();
  impl_->map[hash] = entry;
}

Result<Caller> Authenticate(store::Conn& conn, const std::string& token, TokenCache* cache,
                            int64_t generation) {
  if (token.empty()) return Status::Unauthenticated("a bearer token is needed");
  const std::string hash = HashToken(token);
  const int64_t now = store::NowMs();
  if (cache) {
    if (auto hit = cache->Find(hash, generation)) {
      // "Last used" to the minute is enough, and saves a write on most requests.
      if (now - hit->last_used_at > 60000) {
        // A failed "last used" write does not refuse a valid token; it is logged and tried again
        // on the next request.
        Status touched = store::TouchToken(conn, hit->caller.token_id, now);
        if (touched.ok()) {
          hit->last_used_at = now;
          cache->Put(hash, *hit);
        } else {
          log::Write(log::Level::kWarn, "token.touch_failed",
                     {{"token_id", hit->caller.token_id}, {"error", touched.message()}});
        }
      }
      return hit->caller;
    }
  }
  auto t = store::FindTokenByHash(conn, hash);
  if (!t.ok()) return t.status();
  if (!*t) return Status::Unauthenticated("the token is not valid (unknown or revoked)");
  auto role = ParseRole((*t)->role);
  if (!role) return Status::Unauthenticated("the token is not valid (unknown role)");
  int64_t last_used = (*t)->last_used_at.value_or(0);
  if (now - last_used > 60000) {
    Status touched = store::TouchToken(conn, (*t)->id, now);
    if (touched.ok())
      last_used = now;
    else  // as above: logged, not refused
      log::Write(log::Level::kWarn, "token.touch_failed",
                 {{"token_id", (*t)->id}, {"error", touched.message()}});
  }
  Caller c;
  c.token_id = (*t)->id;
  c.name = (*t)->name;
  c.role = *role;
  c.school_urn = (*t)->school_urn;
  if (cache) cache->Put(hash, {generation, c, last_used});
  return c;
}

}  // namespace sendsync::server
