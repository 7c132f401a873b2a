// The API's caches on their own: pupils' summaries and checked tokens, both kept only for the
// store generation they were built at.
#include <gtest/gtest.h>

#include "core/server/auth.h"
#include "core/server/due_cache.h"
#include "core/server/summary_cache.h"

namespace sendsync::server {
namespace {

SummaryCache::Entry Summary(int64_t generation, const std::string& school, size_t size) {
  return {generation, school, std::make_shared<const std::string>(std::string(size, 'x'))};
}

TEST(SummaryCacheTest, AnEntryIsServedOnlyAtTheGenerationItWasBuiltAt) {
  SummaryCache cache(1 << 20);
  cache.Put("A|2026-11-24", Summary(7, "100000", 100));
  auto hit = cache.Find("A|2026-11-24", 7);
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->school_urn, "100000");
  EXPECT_EQ(hit->body->size(), 100u);
  EXPECT_FALSE(cache.Find("A|2026-11-25", 7).has_value()) << "another as-of date";
  EXPECT_FALSE(cache.Find("A|2026-11-24", 8).has_value()) << "the hub changed since";
  EXPECT_EQ(cache.entries(), 0u) << "a stale entry is dropped when found";
  EXPECT_FALSE(cache.Find("A|2026-11-24", 7).has_value());
}

TEST(SummaryCacheTest, AnOlderBuildNeverReplacesANewerOne) {
  SummaryCache cache(1 << 20);
  cache.Put("A", Summary(9, "100000", 10));
  cache.Put("A", Summary(8, "100000", 20));
  auto hit = cache.Find("A", 9);
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->body->size(), 10u);
}

TEST(SummaryCacheTest, StaysWithinItsBytesDroppingTheLeastRecentlyUsed) {
  const size_t budget = 16 * 4096;  // 4 KiB per shard
  SummaryCache cache(budget);
  for (int i = 0; i < 400; ++i) cache.Put("pupil-" + std::to_string(i), Summary(1, "1", 1000));
  EXPECT_LE(cache.bytes(), budget);
  EXPECT_GT(cache.entries(), 0u);
  EXPECT_LT(cache.entries(), 400u);
  EXPECT_TRUE(cache.Find("pupil-399", 1).has_value()) << "the latest is kept";
  EXPECT_FALSE(cache.Find("pupil-0", 1).has_value()) << "the oldest went first";
  cache.Put("huge", Summary(1, "1", budget));
  EXPECT_FALSE(cache.Find("huge", 1).has_value()) << "larger than a shard: not kept";
}

std::shared_ptr<const DueCache::Lines> DueLines(size_t n, const std::string& school) {
  auto lines = std::make_shared<DueCache::Lines>();
  for (size_t i = 0; i < n; ++i) {
    hub::DueEntry e;
    e.item.clock = "review_overdue";
    e.item.title = "SEN support review (termly) for a pupil with a long name";
    e.item.state = "overdue";
    e.pupil_id = static_cast<int64_t>(i);
    e.name = "Somebody With A Name Longer Than Fifteen";
    e.school_urn = school;
    lines->push_back(e);
  }
  return lines;
}

TEST(DueCacheTest, LinesAreServedOnlyAtTheirGenerationForTheirSchoolDateAndWindow) {
  DueCache cache(1 << 20);
  const Date day(2026, 11, 24);
  EXPECT_NE(DueCache::Key("100000", day, 0), DueCache::Key("", day, 0));
  EXPECT_NE(DueCache::Key("100000", day, 0), DueCache::Key("100000", day.AddDays(1), 0));
  EXPECT_NE(DueCache::Key("100000", day, 0), DueCache::Key("100000", day, 30));
  const std::string key = DueCache::Key("100000", day, 0);
  cache.Put(key, 7, DueLines(3, "100000"));
  auto hit = cache.Find(key, 7);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->size(), 3u);
  EXPECT_EQ(cache.Find(DueCache::Key("100000", day.AddDays(1), 0), 7), nullptr) << "next day";
  EXPECT_EQ(cache.Find(DueCache::Key("", day, 0), 7), nullptr) << "every school";
  EXPECT_EQ(cache.Find(key, 6), nullptr) << "kept by a later call: not for an earlier one";
  EXPECT_EQ(cache.entries(), 1u) << "a newer entry stays";
  EXPECT_EQ(cache.Find(key, 8), nullptr) << "the hub changed since";
  EXPECT_EQ(cache.entries(), 0u) << "a stale entry is dropped when found";
  cache.Put(key, 9, DueLines(1, "100000"));
  cache.Put(key, 8, DueLines(2, "100000"));
  ASSERT_NE(cache.Find(key, 9), nullptr);
  EXPECT_EQ(cache.Find(key, 9)->size(), 1u) << "an older build never replaces a newer one";
}

TEST(DueCacheTest, StaysWithinItsBytesAndDropsWhatCanNoLongerBeServed) {
  const size_t one =
      DueCache::Cost(DueCache::Key("100001", Date(2026, 1, 1), 0), *DueLines(100, "100001"));
  DueCache cache(one * 3 + one / 2);
  for (int i = 0; i < 10; ++i)
    cache.Put(DueCache::Key(std::to_string(100000 + i), Date(2026, 1, 1), 0), 1,
              DueLines(100, std::to_string(100000 + i)));
  EXPECT_LE(cache.bytes(), one * 3 + one / 2);
  EXPECT_EQ(cache.entries(), 3u);
  EXPECT_NE(cache.Find(DueCache::Key("100009", Date(2026, 1, 1), 0), 1), nullptr) << "latest kept";
  EXPECT_EQ(cache.Find(DueCache::Key("100000", Date(2026, 1, 1), 0), 1), nullptr) << "oldest out";
  cache.Put("big", 1, DueLines(1000, "1"));
  EXPECT_EQ(cache.Find("big", 1), nullptr) << "larger than the budget: not kept";
  // Lines of a later generation push out every older one: those can never be served again.
  cache.Put(DueCache::Key("", Date(2026, 1, 1), 0), 2, DueLines(1, "1"));
  EXPECT_EQ(cache.entries(), 1u);
}

TEST(TokenCacheTest, AnEntryIsServedOnlyAtItsGeneration) {
  TokenCache cache;
  Caller c;
  c.token_id = 4;
  c.name = "senco-1";
  c.role = Role::kSenco;
  c.school_urn = "100000";
  cache.Put("hash", {3, c, 1000});
  auto hit = cache.Find("hash", 3);
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->caller.name, "senco-1");
  EXPECT_EQ(hit->caller.school_urn, "100000");
  EXPECT_FALSE(cache.Find("hash", 4).has_value()) << "a token was revoked since";
  EXPECT_FALSE(cache.Find("other", 3).has_value());
}

TEST(BearerTokenTest, TakesTheTokenOutOfTheHeaderAndNothingElse) {
  EXPECT_EQ(BearerToken("Bearer abc"), "abc");
  EXPECT_EQ(BearerToken("bearer   abc  "), "abc");
  EXPECT_EQ(BearerToken("Bearer"), "");
  EXPECT_EQ(BearerToken("Bearer "), "");
  EXPECT_EQ(BearerToken("Bearerabc"), "");
  EXPECT_EQ(BearerToken("Basic abc"), "");
  EXPECT_EQ(BearerToken("Bearer abc def"), "");
  EXPECT_EQ(BearerToken(""), "");
}

}  // namespace
}  // namespace sendsync::server
