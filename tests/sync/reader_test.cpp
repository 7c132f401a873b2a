// The page reader: reads a kind's pages in order on its own thread, at most one page ahead of the
// run, checks each page, and stops cleanly when the run stops or leaves early.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/sync/reader.h"
#include "sendsync/sdk/json_limits.h"
#include "sync_fixture.h"

using namespace sendsync;
using namespace sendsync::sync;
using namespace sendsync::testing_support;
using nlohmann::json;

namespace {

// An adapter that answers reads from a script of pages ("c0" → page 0 → "c1" → ...), records the
// cursors it was asked for, and can hold a read until it is cancelled.
class ScriptedAdapter : public plugins::Instance {
 public:
  explicit ScriptedAdapter(int pages) : pages_(pages) {}

  plugins::CallResult Call(std::string_view method, std::string_view request) override {
    json req = json::parse(request);
    std::unique_lock<std::mutex> lock(mu_);
    cancelled_ = false;
    cursors_.push_back(req["cursor"].get<std::string>());
    const int n = static_cast<int>(cursors_.size()) - 1;
    cv_.notify_all();
    plugins::CallResult r;
    if (method != "read" || n == fail_at_) {
      r.status = plugins::CallStatus::kRetry;
      r.message = "the source is busy";
      r.body = json{{"message", r.message}}.dump();
      return r;
    }
    if (n == hold_at_) {
      cv_.wait_for(lock, std::chrono::seconds(10), [this] { return cancelled_; });
      r.status = plugins::CallStatus::kRetry;
      r.message = "cancelled";
      r.body = json{{"message", r.message}}.dump();
      return r;
    }
    json records = json::array();
    records.push_back(PupilRec("p" + std::to_string(n), n + 1));
    json bad = PupilRec("bad" + std::to_string(n), n + 100);
    bad["dob"] = "not a date";
    records.push_back(bad);
    r.status = plugins::CallStatus::kOk;
    r.body = json{{"records", records},
                  {"next_cursor", "c" + std::to_string(n + 1)},
                  {"more", n + 1 < pages_},
                  {"remaining", pages_ - n - 1}}
                 .dump();
    return r;
  }
  void Cancel() override {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_ = true;
    ++cancels_;
    cv_.notify_all();
  }
  int restarts() const override { return 0; }
  plugins::Mode mode() const override { return plugins::Mode::kInProcess; }

  // Waits until `n` reads have started (or two seconds have passed); returns how many have.
  size_t WaitForCalls(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(2), [&] { return cursors_.size() >= n; });
    return cursors_.size();
  }
  std::vector<std::string> cursors() {
    std::lock_guard<std::mutex> lock(mu_);
    return cursors_;
  }
  int cancels() {
    std::lock_guard<std::mutex> lock(mu_);
    return cancels_;
  }

  int fail_at_ = -1, hold_at_ = -1;

 private:
  const int pages_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> cursors_;
  bool cancelled_ = false;
  int cancels_ = 0;
};

detail::LinkCtx Link() {
  detail::LinkCtx ctx;
  ctx.link.id = 1;
  ctx.link.name = "mis";
  ctx.actor = "link:mis";
  return ctx;
}

}  // namespace

TEST(PageReader, GivesEveryPageInOrderCheckedAndStopsAfterTheLast) {
  ScriptedAdapter adapter(3);
  detail::LinkCtx ctx = Link();
  std::atomic<bool> stop{false};
  detail::PageReader reader(adapter, ctx, "pupil", "c0", 50, stop);
  for (int n = 0; n < 3; ++n) {
    detail::Page p = reader.Next();
    ASSERT_TRUE(p.status.ok()) << p.status.message();
    EXPECT_EQ(p.next_cursor, "c" + std::to_string(n + 1));
    EXPECT_EQ(p.more, n < 2);
    EXPECT_EQ(p.remaining, n < 2 ? 2 - n : -1);
    ASSERT_EQ(p.items.size(), 2u);
    // The store-free checks were done on the reader's thread: one good record, one quarantined.
    ASSERT_EQ(p.checked.ok.size(), 1u);
    EXPECT_EQ(p.checked.ok[0].ext, "p" + std::to_string(n));
    EXPECT_EQ(p.checked.ok[0].in, &p.items[0]);
    ASSERT_EQ(p.checked.failed.size(), 1u);
    EXPECT_EQ(p.checked.failed[0].ext, "bad" + std::to_string(n));
    EXPECT_NE(p.checked.failed[0].reasons.dump().find("dob"), std::string::npos);
  }
  EXPECT_EQ(adapter.cursors(), (std::vector<std::string>{"c0", "c1", "c2"}));
  EXPECT_EQ(adapter.cancels(), 0);
}

TEST(PageReader, ReadsAtMostOnePageAheadOfTheRun) {
  ScriptedAdapter adapter(10);
  detail::LinkCtx ctx = Link();
  std::atomic<bool> stop{false};
  detail::PageReader reader(adapter, ctx, "pupil", "c0", 50, stop);
  ASSERT_TRUE(reader.Next().status.ok());
  // Page 0 taken, page 1 waiting, page 2 read and held back: never a fourth read.
  EXPECT_EQ(adapter.WaitForCalls(3), 3u);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(adapter.cursors().size(), 3u);
}

TEST(PageReader, AFailedReadEndsThePagesWithTheAdaptersReason) {
  ScriptedAdapter adapter(5);
  adapter.fail_at_ = 1;
  detail::LinkCtx ctx = Link();
  std::atomic<bool> stop{false};
  detail::PageReader reader(adapter, ctx, "sen", "c0", 50, stop);
  EXPECT_TRUE(reader.Next().status.ok());
  detail::Page p = reader.Next();
  EXPECT_EQ(p.status.code(), Status::Code::kUnavailable);
  EXPECT_NE(p.status.message().find("read sen"), std::string::npos) << p.status.message();
  EXPECT_NE(p.status.message().find("the source is busy"), std::string::npos);
  EXPECT_EQ(reader.Next().status.code(), Status::Code::kCancelled);  // nothing after a failure
  EXPECT_EQ(adapter.cursors().size(), 2u);
}

TEST(PageReader, LeavingEarlyCancelsTheReadUnderWay) {
  ScriptedAdapter adapter(5);
  adapter.hold_at_ = 1;
  detail::LinkCtx ctx = Link();
  std::atomic<bool> stop{false};
  auto t0 = std::chrono::steady_clock::now();
  {
    detail::PageReader reader(adapter, ctx, "pupil", "c0", 50, stop);
    EXPECT_TRUE(reader.Next().status.ok());
    ASSERT_EQ(adapter.WaitForCalls(2), 2u);
  }  // the run left (a commit failed, say) while page 1 was being read
  EXPECT_EQ(adapter.cancels(), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_EQ(adapter.cursors().size(), 2u);
}

TEST(PageReader, AStoppedRunReadsNothingMore) {
  ScriptedAdapter adapter(5);
  detail::LinkCtx ctx = Link();
  std::atomic<bool> stop{true};
  detail::PageReader reader(adapter, ctx, "pupil", "c0", 50, stop);
  EXPECT_EQ(reader.Next().status.code(), Status::Code::kCancelled);
  EXPECT_TRUE(adapter.cursors().empty());
}

// The run starts the next kind's reader on the same adapter as soon as a reader hands over its
// last page, so a reader must be done with the adapter by then: ending it must not cancel the
// next reader's read. (Repeated, because the handover is a race when it is wrong.)
TEST(PageReader, AfterItsLastPageAReaderNeverCancelsTheAdapter) {
  ScriptedAdapter adapter(1);
  detail::LinkCtx ctx = Link();
  std::atomic<bool> stop{false};
  for (int i = 0; i < 300; ++i) {
    detail::PageReader reader(adapter, ctx, "pupil", "c0", 50, stop);
    detail::Page p = reader.Next();
    ASSERT_TRUE(p.status.ok()) << p.status.message();
    ASSERT_FALSE(p.more);
  }
  EXPECT_EQ(adapter.cancels(), 0);
  EXPECT_EQ(adapter.cursors().size(), 300u);
}

// Pages given back are freed by the reader; giving one back changes nothing about the pages still
// to come, and giving back a page after the last one (the reader has ended) is safe.
TEST(PageReader, PagesGivenBackLeaveTheRestInOrder) {
  ScriptedAdapter adapter(6);
  detail::LinkCtx ctx = Link();
  std::atomic<bool> stop{false};
  detail::PageReader reader(adapter, ctx, "pupil", "c0", 50, stop);
  for (int n = 0; n < 6; ++n) {
    detail::Page p = reader.Next();
    ASSERT_TRUE(p.status.ok()) << p.status.message();
    ASSERT_EQ(p.checked.ok.size(), 1u);
    EXPECT_EQ(p.checked.ok[0].ext, "p" + std::to_string(n));
    EXPECT_EQ(p.checked.ok[0].in, &p.items[0]);
    reader.Release(std::move(p));
  }
  EXPECT_EQ(reader.Next().status.code(), Status::Code::kCancelled);
  reader.Release(detail::Page());
  EXPECT_EQ(adapter.cursors().size(), 6u);
  EXPECT_EQ(adapter.cancels(), 0);
}

namespace {

// An adapter whose one read answers with `body`, as written.
class FixedAdapter : public plugins::Instance {
 public:
  explicit FixedAdapter(std::string body) : body_(std::move(body)) {}
  plugins::CallResult Call(std::string_view, std::string_view) override {
    plugins::CallResult r;
    r.status = plugins::CallStatus::kOk;
    r.body = body_;
    return r;
  }
  void Cancel() override {}
  int restarts() const override { return 0; }
  plugins::Mode mode() const override { return plugins::Mode::kInProcess; }

 private:
  const std::string body_;
};

detail::Page ReadOnce(const std::string& body) {
  FixedAdapter adapter(body);
  detail::LinkCtx ctx = Link();
  std::atomic<bool> stop{false};
  detail::PageReader reader(adapter, ctx, "pupil", "", 50, stop);
  return reader.Next();
}

std::string Page(const std::string& records) {
  return R"({"records":[)" + records + R"(],"next_cursor":"c1","more":false})";
}

}  // namespace

// The page is read once, fast (simdjson), yet every record is the value nlohmann reads from the
// same text: numbers of every form, escapes, a repeated key.
TEST(PageReader, ReadsEachRecordAsNlohmannReadsIt) {
  const std::vector<std::string> records = {
      R"({"kind":"pupil","id":"a","n":5,"neg":-7,"zero":-0,"big":18446744073709551615,)"
      R"("huge":18446744073709551616,"f":1.0,"e":1e2,"tiny":5e-324,"x":0.1})",
      R"({"kind":"pupil","id":"b","s":"Zo\u00eb \ud83d\ude00 \"q\" \\ \/ \t","u":"Zoë"})",
      R"({"kind":"pupil","id":"c","id":"d","deep":[[[{"a":[{}]}]]],"t":true,"nil":null})",
  };
  std::string joined;
  for (const std::string& r : records) joined += (joined.empty() ? "" : ",") + r;
  detail::Page p = ReadOnce(Page(joined));
  ASSERT_TRUE(p.status.ok()) << p.status.message();
  ASSERT_EQ(p.items.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    const json expected = json::parse(records[i]);
    EXPECT_EQ(p.items[i].raw, expected) << records[i];
    EXPECT_EQ(p.items[i].raw.dump(), expected.dump()) << records[i];
  }
  EXPECT_TRUE(p.items[0].raw["n"].is_number_unsigned());
  EXPECT_TRUE(p.items[0].raw["huge"].is_number_float());
  EXPECT_EQ(p.items[2].ext_id, "d") << "a repeated key: the last one wins";
}

// A page that is not JSON, or nested too deep, is refused with the reason it always had.
TEST(PageReader, RefusesABadPageWithTheReasonItAlwaysHad) {
  const std::string deep = std::string(70, '[') + std::string(70, ']');
  for (const std::string& body :
       {Page(R"({"kind":"pupil","id":"a",})"), Page(deep), Page(R"({"s":"\udc00"})"), Page("1e400"),
        std::string("{\"records\":[] x")}) {
    std::string why;
    ASSERT_TRUE(sdk::ParseJson(body, &why).is_discarded()) << body;
    detail::Page p = ReadOnce(body);
    EXPECT_EQ(p.status.code(), Status::Code::kInvalidArgument) << body;
    EXPECT_EQ(p.status.message(), "read pupil: the adapter's answer is not JSON (" + why + ")");
  }
}
