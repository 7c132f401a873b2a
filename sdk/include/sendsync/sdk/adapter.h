// The C++ layer adapter authors write against. Derive from sendsync::sdk::Adapter, implement the
// methods your system supports, and export it with SENDSYNC_EXPORT_ADAPTER(YourClass). The macro
// builds the C table of <sendsync/plugin_abi.h>; nothing C++ crosses the boundary.
//
// Exceptions thrown from your methods are caught on the plugin side and reported as FATAL with
// their message. Return Status::Unavailable(...) for transient failures (the host retries with
// backoff) and any other error for permanent ones.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include <boost/dll/alias.hpp>
#include <nlohmann/json.hpp>

#include "sendsync/plugin_abi.h"
#include "sendsync/sdk/change_outcome.h"
#include "sendsync/sdk/status.h"

namespace sendsync::sdk {

// What the host lets an instance do while it works.
class Host {
 public:
  explicit Host(const sendsync_host_api* api) : api_(api) {}
  // Never pass personal data above debug level, and never a secret.
  void Log(sendsync_log_level level, const std::string& message) const;
  void Debug(const std::string& m) const { Log(SENDSYNC_LOG_DEBUG, m); }
  void Info(const std::string& m) const { Log(SENDSYNC_LOG_INFO, m); }
  void Warn(const std::string& m) const { Log(SENDSYNC_LOG_WARN, m); }
  // True once the host wants the current call to stop; return Status::Cancelled(...) then.
  bool Cancelled() const;

 private:
  const sendsync_host_api* api_;
};

// read: records of one kind changed since `cursor` (empty = from the beginning), at most `limit`.
struct ReadRequest {
  std::string kind;
  std::string cursor;
  size_t limit = 500;
};

struct Deletion {
  std::string kind;
  std::string id;  // the source system's id of the removed record (pupil id for pupils)
  std::string upn;  // optional, helps matching pupil deletions
};

// Something the adapter found but could not turn into a record (unparseable line, bad row). The host
// quarantines it with its raw text and reason so a person can fix it; it is never dropped.
struct Reject {
  std::string raw;     // the source text as found
  std::string where;   // where it was: "roll.csv row 17", "8201234_CTF_8214567_001.xml line 40"
  std::string reason;  // what is wrong, for a person
  std::string id;      // the record's id when known (helps a person find it)
};

struct ReadResult {
  // Each element is one record as a JSON object, already serialised (AddRecord does that). Raw text
  // lets file-based adapters pass records through without parsing them; it must be valid JSON.
  std::vector<std::string> records;
  std::vector<Deletion> deletions;
  std::vector<Reject> rejects;
  std::string next_cursor;  // opaque to the host; returned to you on the next read
  bool more = false;        // true when another read with next_cursor would return more
  int64_t remaining = -1;   // optional estimate of records still to come (for progress and ETA)

  void AddRecord(const nlohmann::json& record) { records.push_back(record.dump()); }
  void AddRawRecord(std::string json_object_text) { records.push_back(std::move(json_object_text)); }
  void AddReject(std::string raw, std::string where, std::string reason, std::string id = "") {
    rejects.push_back({std::move(raw), std::move(where), std::move(reason), std::move(id)});
  }
};

// write: a batch of changes of one kind. Each change carries an idempotency key: applying the same
// key twice must have the effect of applying it once.
struct Change {
  std::string key;
  std::string op;             // "upsert" or "delete"
  nlohmann::json record;      // the canonical record (for delete: kind, id and pupil only)
  std::string remote_id;      // your id for this record when the host knows it, else empty
  // Related hub records the host sends along for kinds that need them, already limited to the
  // fields the link may receive. For "referral": {"pupil": {...}, "sen": {...}, "cycles": [...],
  // "reviews": [...], "provision": [...], "plans": [...], "readiness": {...}}. Null otherwise.
  nlohmann::json context;
};

struct WriteRequest {
  std::string kind;
  std::vector<Change> changes;
};

struct ChangeResult {
  std::string key;
  // The wire string of a ChangeOutcome (change_outcome.h): "applied", "rejected", "retry",
  // "unknown" or "not_sent". The last two came later within ABI 1.0: a host that does not know
  // them treats them as "retry", as it treats any unknown value. Set it through the helpers below.
  std::string result;
  std::string remote_id;  // when applied: your id for the record
  std::string reason;     // otherwise: why, for a person
};

struct WriteResult {
  std::vector<ChangeResult> results;  // one per change, same keys
  void Applied(const std::string& key, const std::string& remote_id) {
    results.push_back({key, ChangeOutcomeName(ChangeOutcome::kApplied), remote_id, ""});
  }
  void Rejected(const std::string& key, const std::string& reason) {
    results.push_back({key, ChangeOutcomeName(ChangeOutcome::kRejected), "", reason});
  }
  // Sent, and failed for a transient reason the target answered (429, 5xx): not applied.
  void Retry(const std::string& key, const std::string& reason) {
    results.push_back({key, ChangeOutcomeName(ChangeOutcome::kRetry), "", reason});
  }
  // Sent, but no answer came (timeout, connection dropped): it may or may not be applied. The
  // host sends it again later with the same key, and counts the attempt.
  void Unknown(const std::string& key, const std::string& reason) {
    results.push_back({key, ChangeOutcomeName(ChangeOutcome::kUnknown), "", reason});
  }
  // Not sent at all (for example, an earlier change of the batch failed and the rest were held
  // back). The host sends it again later and does not count an attempt against it.
  void NotSent(const std::string& key, const std::string& reason) {
    results.push_back({key, ChangeOutcomeName(ChangeOutcome::kNotSent), "", reason});
  }
};

class Adapter {
 public:
  virtual ~Adapter() = default;

  // Called once, before any other method, with the instance's configuration (secrets already
  // resolved). Refuse bad configuration with Status::InvalidArgument naming the key and the reason.
  virtual Status Configure(const nlohmann::json& config) = 0;

  // A description of this instance for people (what it is connected to). Default: empty object.
  virtual Result<nlohmann::json> Describe() { return nlohmann::json::object(); }

  // Can the instance reach its system with this configuration? Default: yes.
  virtual Status Check() { return Status::OK(); }

  // What the configured system offers (schools, files waiting, kinds available). Default: nothing.
  virtual Result<nlohmann::json> Discover() { return nlohmann::json::array(); }

  // Default: the adapter does not read (the manifest must then list no readable kinds).
  virtual Status Read(const ReadRequest& request, ReadResult& result);

  // Default: the adapter does not write.
  virtual Status Write(const WriteRequest& request, WriteResult& result);

  // Set by the SDK before Configure; valid for the instance's lifetime.
  void AttachHost(const sendsync_host_api* api) { host_ = Host(api); }

 protected:
  const Host& host() const { return host_; }

 private:
  Host host_{nullptr};
};

namespace detail {
using Factory = Adapter* (*)();
using ManifestFn = nlohmann::json (*)();
using OpenFn = sendsync_status (*)(const char*, size_t, const sendsync_host_api*, void**, char**,
                                   size_t*);

// The C table for one adapter class, built once per library by SENDSYNC_EXPORT_ADAPTER.
class Table {
 public:
  Table(OpenFn open, ManifestFn manifest);
  const sendsync_plugin* get() const { return &table_; }

 private:
  std::string manifest_;
  sendsync_plugin table_{};
};

sendsync_status OpenInstance(Factory factory, const char* config, size_t config_len,
                             const sendsync_host_api* host, void** instance, char** error,
                             size_t* error_len);
}  // namespace detail

}  // namespace sendsync::sdk

// Exports ADAPTER_CLASS as this library's adapter. The class must be default-constructible and have
// `static nlohmann::json Manifest();` returning the manifest object (docs/adapter-sdk.md).
// Use once per shared library, at namespace scope in one .cpp file.
#define SENDSYNC_EXPORT_ADAPTER(ADAPTER_CLASS)                                                 \
  namespace sendsync_export_ {                                                                 \
  static ::sendsync::sdk::Adapter* Make() { return new ADAPTER_CLASS(); }                     \
  static nlohmann::json Manifest() { return ADAPTER_CLASS::Manifest(); }                      \
  static sendsync_status Open(const char* c, size_t n, const sendsync_host_api* h, void** i,  \
                              char** e, size_t* el) {                                          \
    return ::sendsync::sdk::detail::OpenInstance(&Make, c, n, h, i, e, el);                    \
  }                                                                                            \
  extern "C" const sendsync_plugin* sendsync_export_entry() {                                  \
    static const ::sendsync::sdk::detail::Table table(&Open, &Manifest);                       \
    return table.get();                                                                        \
  }                                                                                            \
  }                                                                                            \
  BOOST_DLL_ALIAS(sendsync_export_::sendsync_export_entry, sendsync_adapter_entry)
