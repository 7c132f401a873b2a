// Reading from the API: one read call pages through students (and then deletions) from a cursor,
// returning at most `limit` records and deletions, and a cursor for the rest. Internal to
// adapters/mis_api; cursor.h explains the cursor.
//
// Kinds: pupil (no include; deletions of type student), sen (include=sen_status,sen_needs; no
// deletions — a removed student's pupil deletion covers its SEN record), review
// (include=sen_reviews; deletions of type sen_review). A student whose data does not make a
// well-formed record is returned as a reject with the student's JSON and the reasons.
#pragma once

#include <functional>

#include <sendsync/sdk/adapter.h>

#include "api_client.h"
#include "config.h"

namespace sendsync::mis_api_adapter {

class Reader {
 public:
  Reader(const Config& config, ApiClient& api, std::function<bool()> cancelled)
      : config_(config), api_(api), cancelled_(std::move(cancelled)) {}

  Status Read(const sdk::ReadRequest& request, sdk::ReadResult& result);

 private:
  const Config& config_;
  ApiClient& api_;
  std::function<bool()> cancelled_;
};

}  // namespace sendsync::mis_api_adapter
