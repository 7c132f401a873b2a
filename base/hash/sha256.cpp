#include "base/hash/sha256.h"

#include <Poco/Crypto/DigestEngine.h>

namespace sendsync::hash {

std::string Sha256Hex(std::string_view data) {
  thread_local Poco::Crypto::DigestEngine engine("SHA256");
  engine.update(data.data(), static_cast<unsigned>(data.size()));
  return Poco::DigestEngine::digestToHex(engine.digest());
}

}  // namespace sendsync::hash
