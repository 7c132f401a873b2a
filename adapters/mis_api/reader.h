// Reading from the API: one read call pages through students (and then deletions) from a cursor,
// returning at most `limit` records and deletions, and a cursor for the rest. Internal to
// adapters/mis_api; cursor.h explains the cursor.
//
// Kinds: pupil (no include; deletions of type student), sen (include=sen_status,sen_needs; no
// deletions — a removed student's pupil deletion covers its SEN record), review
// (include=sen_reviews; deletions of type sen_review). A student whose data does not make a
// well-formed record is returned as a reject with the student's JSON and the reasons.
//
// Requests ahead: when the API offers id ranges (GET .../students/ranges) and requests_in_flight
// is above 1, the students of a pull are read as that many ranges at once, each range a chain of
// `next` links with one request in flight; pages fetched ahead and not yet returned are kept for
// the next call, so a call that stops at its limit does not waste them.
#pragma once

#include <functional>
#include <future>
#include <map>
#include <memory>
#include <vector>

#include <sendsync/sdk/adapter.h>

#include "api_client.h"
#include "config.h"

namespace sendsync::mis_api_adapter {

struct Cursor;
struct KindPlan;
struct PageView;

class Reader {
 public:
  // `fetchers` are clients of their own for the requests sent ahead (one per request in flight);
  // without them every page is fetched on `api`, one at a time.
  Reader(const Config& config, ApiClient& api, std::function<bool()> cancelled,
         std::vector<std::unique_ptr<ApiClient>> fetchers = {});
  ~Reader();  // waits for requests still in flight

  Status Read(const sdk::ReadRequest& request, sdk::ReadResult& result);

  // What one page did to a call: go on, stop here (limit reached), or the kind is read to its end.
  enum class Step { kOn, kStop, kDone };

 private:
  using Fetch = std::shared_future<Result<nlohmann::json>>;
  struct Call;

  // Asks the API for id ranges when a pull starts; the cursor then reads them as chains.
  Status StartChains(Cursor& c, const KindPlan& plan, int per_page);
  Result<Step> PageStep(Call& call, Cursor& c);
  Result<Step> ChainStep(Call& call, Cursor& c);
  // The fetch of `url`, started now on a free fetcher unless one is already in flight.
  Fetch FetchAhead(const std::string& url);
  // Forgets fetched pages the cursor no longer needs.
  void DropUnneeded(const Cursor& c);

  const Config& config_;
  ApiClient& api_;
  std::function<bool()> cancelled_;
  std::vector<std::unique_ptr<ApiClient>> fetchers_;
  std::vector<Fetch> busy_;             // per fetcher: its last request
  std::map<std::string, Fetch> ahead_;  // page URL -> its answer, in flight or arrived
  bool ranges_missing_ = false;         // the API answered 404 to the ranges request
};

}  // namespace sendsync::mis_api_adapter
