// Write-back to the API: SEN status and needs (kind "sen") and review records (kind "review"),
// one POST per change carrying the change's key as the Idempotency-Key header. Internal to
// adapters/mis_api.
//
// Which student: change.context["pupil"]["id"] when the host sends it (the API's student id, as
// this link reported it), else the pupil's UPN looked up with GET students?upn=. Outcomes per
// change: 2xx applied (remote id: the student id for sen, the review id for review); 422 rejected
// naming the fields; 400/404/409 rejected with the server's reason; 408/429/5xx retry; no answer
// (timeout, dropped connection) unknown. 401/403 end the whole call as FATAL. After a transient
// failure the changes not yet sent are held back and marked not_sent, so only the change that
// failed is charged an attempt.
#pragma once

#include <functional>
#include <map>
#include <optional>

#include <sendsync/sdk/adapter.h>

#include "api_client.h"

namespace sendsync::mis_api_adapter {

class Writer {
 public:
  Writer(ApiClient& api, std::function<bool()> cancelled)
      : api_(api), cancelled_(std::move(cancelled)) {}

  Status Write(const sdk::WriteRequest& request, sdk::WriteResult& result);

 private:
  // The outcome of one change: final (applied or rejected), retry, or a Status ending the call.
  struct Outcome {
    enum class Kind { kApplied, kRejected, kRetry, kUnknown, kFatal } kind;
    std::string detail;  // remote id when applied, reason otherwise
    Status status;       // kFatal: the call's result
  };

  Outcome WriteOne(const std::string& kind, const sdk::Change& change,
                   std::map<std::string, std::string>& upn_cache);
  // Sets student_id, or returns the outcome that stops this change (rejected, retry, fatal).
  std::optional<Outcome> ResolveStudent(const sdk::Change& change,
                                        std::map<std::string, std::string>& cache,
                                        std::string& student_id);
  Outcome FromResponse(const std::string& kind, const sdk::http::Response& response,
                       const std::string& what, const std::string& student_id);

  ApiClient& api_;
  std::function<bool()> cancelled_;
};

}  // namespace sendsync::mis_api_adapter
