// Signed adapter packages: how a vendor ships one version of an adapter and how a school's admin
// installs it. A package is an uncompressed POSIX tar (pax) of flat regular files:
//   manifest.json      {"format":1, "id", "version", "abi", "vendor", "architecture",
//                       "library", "files": {name: sha256 hex}, "signer": key fingerprint}
//   manifest.sig       Ed25519 signature of manifest.json's exact bytes (absent when unsigned)
//   ID.so              the adapter library
//   config-schema.json the JSON Schema of its configuration
//   ADMIN.md           its admin guide
// Install verifies everything before anything lands in <adapters_dir>/ID/VERSION/. Used by the
// `sendsync adapters` commands (core/cli/commands_adapters.cpp) and their tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "plugins/plugins.h"
#include "sendsync/sdk/status.h"

namespace sendsync::packages {

inline constexpr const char* kManifestName = "manifest.json";
inline constexpr const char* kSignatureName = "manifest.sig";
inline constexpr const char* kSchemaName = "config-schema.json";
inline constexpr const char* kGuideName = "ADMIN.md";
inline constexpr uint64_t kDefaultMaxPackageBytes = 64ull << 20;

// The architecture name this host writes into packages and accepts ("x86-64", "aarch64").
std::string HostArchitecture();

// Writes a new Ed25519 key pair into `dir` (created when missing): vendor.key (PKCS#8 PEM, mode
// 0600) and vendor.pub (PEM). Refuses to overwrite either. Returns the public key's fingerprint
// (SHA-256 of the raw key, hex). The private key is never printed or logged.
Result<std::string> GenerateKeyPair(const std::string& dir);

// SHA-256 (hex) of the raw public key in a PEM file (public or private).
Result<std::string> KeyFingerprint(const std::string& pem_path);

struct PackageFile {
  std::string name;
  std::string data;
};

// Writes a package of `files` with a manifest made of `fields` (id, version, abi, vendor,
// architecture, library) plus the files' hashes, signed with the private key at `key_path` (no
// signature when empty). Checks nothing about the files: Pack and the tests use it.
Status WritePackage(const std::string& out_path, nlohmann::json fields,
                    const std::vector<PackageFile>& files, const std::string& key_path);

// Builds a package from a vendor's folder: its one *.so (inspected through the worker for its id,
// version, vendor and ABI), ADMIN.md or README.md as the admin guide, and config-schema.json
// (taken from the manifest when the folder has none). Returns the package path written
// (`out_path`, or ID-VERSION.sendsync-adapter in the current folder when empty).
Result<std::string> Pack(const std::string& dir, const std::string& key_path,
                         const std::string& out_path, const plugins::RuntimeOptions& runtime);

struct InstallOptions {
  std::string adapters_dir;      // <state>/adapters
  std::string trusted_keys_dir;  // *.pub PEM files of trusted vendors
  bool allow_unsigned = false;
  uint64_t max_package_bytes = kDefaultMaxPackageBytes;
  plugins::RuntimeOptions runtime;  // the self-check runs in a worker unless kInProcess
};

struct InstallResult {
  std::string id, version, vendor, dir, library;
  std::string signer;  // fingerprint of the trusted key, "" when installed unsigned
  bool signature_checked = false;
};

// Verifies a package and installs it side by side with other versions. In order: size limit;
// every tar entry a flat regular file (no '..', absolute path, folder, link or device) within the
// limit; manifest present and well formed; signature by a key in the trusted-keys folder (or,
// with allow_unsigned, none); every file's SHA-256 and no file unlisted; the architecture; then,
// extracted into a temporary folder inside adapters_dir, the library's ELF machine, ABI and
// manifest through the worker (plugins::Inspect) and that its id and version match the package's;
// finally the folder is renamed to ID/VERSION. On any refusal nothing is left behind and the
// status says why. AlreadyExists when that version is installed.
Result<InstallResult> Install(const std::string& package_path, const InstallOptions& options);

}  // namespace sendsync::packages
