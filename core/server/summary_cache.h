// Pupils' SEN summaries as sent, kept while the hub has not changed since they were built. A
// summary is read far more often than a pupil's records change (the dashboard, SENCOs' lookups,
// an LA's case tools), and building one takes several queries; with the cache a repeated request
// costs one query (the hub generation, store::HubGeneration) and a copy. Bounded in bytes, least
// recently used out first.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace sendsync::server {

class SummaryCache {
 public:
  struct Entry {
    int64_t generation = 0;                   // the hub generation the body was built at
    std::string school_urn;                   // the pupil's school, for the caller's school limit
    std::shared_ptr<const std::string> body;  // the JSON text as sent
  };

  explicit SummaryCache(size_t max_bytes);
  ~SummaryCache();
  SummaryCache(const SummaryCache&) = delete;
  SummaryCache& operator=(const SummaryCache&) = delete;

  // The entry for `key` when it was built at `generation`; an entry from an older generation is
  // dropped.
  std::optional<Entry> Find(const std::string& key, int64_t generation);
  void Put(const std::string& key, Entry entry);

  size_t bytes() const;
  size_t entries() const;

 private:
  struct Shard;
  Shard& ShardOf(const std::string& key);
  size_t per_shard_bytes_;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace sendsync::server
