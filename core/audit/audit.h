// The audit log: every change to the hub and every delivery is an append-only entry, chained by
// SHA-256 over the previous entry's hash, so that an edited, removed or reordered entry is
// detectable. Also the hashing the rest of the host uses (record hashes, token hashes).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/hash/sha256.h"
#include "core/store/store.h"

namespace sendsync::audit {

// Hex SHA-256 (base/hash/sha256.h). Cheap to call repeatedly on one thread.
using hash::Sha256Hex;

struct Entry {
  int64_t seq = 0;     // assigned by Append
  int64_t ts = 0;      // assigned by Append when 0
  std::string actor;   // "link:<name>", "cli:<user>", "token:<name>", "system"
  std::string action;  // record.create, record.update, record.delete, delivery.applied, …
  std::string kind;    // record kind, when about a record
  int64_t record_id = 0, pupil_id = 0;
  nlohmann::json detail = nlohmann::json::object();
  std::string prev_hash, hash;  // assigned by Append
};

// Appends entries in order, extending the chain. Must run inside the transaction that makes the
// changes it records, so the log and the data commit (or not) together.
Status Append(store::Conn& conn, std::vector<Entry>& entries);

// Append in three steps, so that hashing a transaction's entries can overlap its other writes.
// Begin reads the chain's head (on PostgreSQL it also locks it until the transaction ends). Chain
// gives entries their sequence numbers, times and hashes, continuing the chain; it touches no
// store, so it may run on another thread than the connection's (one call at a time). Finish
// writes every entry chained so far and moves the head.
class Appender {
 public:
  static Result<Appender> Begin(store::Conn& conn);
  Status Chain(std::vector<Entry>& entries);
  Status Finish(store::Conn& conn);

 private:
  int64_t seq_ = 0;
  int64_t now_ = 0;
  std::string prev_;
  std::vector<store::Row> rows_;
};

struct VerifyResult {
  bool ok = true;
  int64_t checked = 0;
  int64_t first_bad_seq = 0;  // 0 when ok
  std::string problem;        // what is wrong with it
  // Filled by VerifyWithAnchors (core/audit/anchor.h).
  int64_t anchored_seq = 0;                  // what the newest anchor for this store says (0: none)
  int64_t anchored_at = 0;                   // when it was written (ms)
  int64_t anchors = 0;                       // anchors read from the anchor file
  int64_t missing_from = 0, missing_to = 0;  // entries the anchor covers that are gone
};
// Walks the whole chain (in pages, so memory stays flat) and checks the head against its end.
// A cut tail with a wound-back head passes here: VerifyWithAnchors (anchor.h) catches it.
Result<VerifyResult> Verify(store::Conn& conn);

struct Query {
  int64_t pupil_id = 0;  // 0 = any
  int64_t record_id = 0;
  int64_t after_seq = 0;
  int64_t limit = 100;
};
Result<std::vector<Entry>> List(store::Conn& conn, const Query& query);

}  // namespace sendsync::audit
