// SHA-256 as lower-case hex (Poco::Crypto): record hashes, token hashes, the audit chain. In base
// so that the store can hash without linking the audit log (core/audit re-exports it as
// audit::Sha256Hex).
#pragma once

#include <string>
#include <string_view>

namespace sendsync::hash {

// Hex SHA-256. Cheap to call repeatedly on one thread.
std::string Sha256Hex(std::string_view data);

}  // namespace sendsync::hash
