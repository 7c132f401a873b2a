// Anchors for the audit chain, kept outside the store. The chain in the store shows an edited,
// removed or reordered entry, but not a cut tail: whoever can delete the last rows can also wind
// the head back. So at the end of each run (and each command that appended entries) the host
// writes the head's sequence number and hash, signed with its own Ed25519 key, as one line of an
// append-only anchor file in the data folder, and to the log and syslog (the journal). Anchors are
// numbered and chained too (each names the SHA-256 of the line before it), so a removed or edited
// anchor is seen. `sendsync audit verify` compares the chain with the newest anchor;
// `sendsync audit anchor export` hands an auditor the anchors and the public key.
// Used by the CLI context, the service's scheduler and the audit commands.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/audit/audit.h"
#include "core/store/store.h"

namespace sendsync::audit {

struct AnchorOptions {
  std::string file;      // the append-only anchor file (JSON lines)
  std::string key_file;  // the host's Ed25519 private key, PEM, mode 0600; made on first use.
                         // To verify only, a public key (PEM) is enough.
};

// <data_dir>/audit-anchors.jsonl and <data_dir>/audit-anchor.key.
AnchorOptions DefaultAnchorOptions(const std::string& data_dir);

// Which store an anchor is about: the store URL without user or password, a SQLite path made
// absolute, so that stores sharing a data folder keep apart.
std::string StoreIdentity(const std::string& store_url);

struct Anchor {
  int64_t n = 0;     // 1, 2, … through the file
  int64_t time = 0;  // ms since the epoch
  std::string store;
  int64_t seq = 0;   // the chain head's sequence number (0: empty chain)
  std::string hash;  // the chain head's hash
  std::string prev;  // SHA-256 (hex) of the previous line of the file; "" for the first
  std::string key;   // the signing key's id (first 16 hex digits of SHA-256 of the public key)
  std::string sig;   // Ed25519 signature (hex) over the line's JSON without "sig"
  std::string line;  // the line as stored
};

// Writes an anchor of the chain's current head, unless the file's last anchor already says the
// same for this store: to the file (locked, appended, fsynced), to the log and to syslog. Makes
// the key on first use. Returns the anchor written, or nullopt when there was nothing new.
Result<std::optional<Anchor>> WriteAnchor(store::Conn& conn, const AnchorOptions& options,
                                          const std::string& store_id);

struct AnchorFileCheck {
  bool present = false;  // the anchor file exists
  bool ok = true;
  std::string problem;          // what is wrong with the file, when not ok
  std::vector<Anchor> anchors;  // the anchors read (up to the first bad line)
  std::string public_key_pem;   // "" when there is no key yet
  std::string key_id;
};
// Reads the anchor file and checks every line: its JSON, its signature under the key, its number
// (1, 2, … with none missing) and its link to the line before. Never makes a key.
Result<AnchorFileCheck> ReadAnchors(const AnchorOptions& options);

// Verify, then compare the chain with the newest anchor for `store_id`: entries the anchor
// covers that the chain lacks, or a chain that differs from it, are reported, as is a damaged
// anchor file. `out.anchored_seq` says what the newest anchor covers (0: none yet).
Result<VerifyResult> VerifyWithAnchors(store::Conn& conn, const AnchorOptions& options,
                                       const std::string& store_id);

// "2026-12-07 16:40:12 UTC".
std::string FormatUtc(int64_t ms);

}  // namespace sendsync::audit
