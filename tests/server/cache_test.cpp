// The API's caches on their own: pupils' summaries and checked tokens, both kept only for the
// store generation they were built at.
#include <gtest/gtest.h>

#include "core/server/auth.h"
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
