#include "core/server/summary_cache.h"

#include <functional>
#include <list>
#include <mutex>
#include <unordered_map>

namespace sendsync::server {

namespace {
// Shards let the server's threads look up different pupils without queuing on one lock.
constexpr size_t kShards = 16;

size_t Cost(const std::string& key, const SummaryCache::Entry& e) {
  return key.size() + e.school_urn.size() + (e.body ? e.body->size() : 0) + 96;
}
}  // namespace

struct SummaryCache::Shard {
  mutable std::mutex mu;
  std::list<std::string> lru;  // most recently used first
  struct Slot {
    Entry entry;
    std::list<std::string>::iterator at;
  };
  std::unordered_map<std::string, Slot> map;
  size_t bytes = 0;

  void Erase(std::unordered_map<std::string, Slot>::iterator it) {
    bytes -= Cost(it->first, it->second.entry);
    lru.erase(it->second.at);
    map.erase(it);
  }
};

SummaryCache::SummaryCache(size_t max_bytes)
    : per_shard_bytes_(max_bytes / kShards), shards_(new Shard[kShards]) {}

SummaryCache::~SummaryCache() = default;

SummaryCache::Shard& SummaryCache::ShardOf(const std::string& key) {
  return shards_[std::hash<std::string>{}(key) % kShards];
}

std::optional<SummaryCache::Entry> SummaryCache::Find(const std::string& key, int64_t generation) {
  Shard& s = ShardOf(key);
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.map.find(key);
  if (it == s.map.end()) return std::nullopt;
  if (it->second.entry.generation != generation) {
    s.Erase(it);
    return std::nullopt;
  }
  s.lru.splice(s.lru.begin(), s.lru, it->second.at);
  return it->second.entry;
}

void SummaryCache::Put(const std::string& key, Entry entry) {
  const size_t cost = Cost(key, entry);
  Shard& s = ShardOf(key);
  if (cost > per_shard_bytes_) return;
  std::lock_guard<std::mutex> lock(s.mu);
  if (auto it = s.map.find(key); it != s.map.end()) {
    // Keep the newer of the two builds.
    if (it->second.entry.generation > entry.generation) return;
    s.Erase(it);
  }
  while (!s.lru.empty() && s.bytes + cost > per_shard_bytes_) s.Erase(s.map.find(s.lru.back()));
  s.lru.push_front(key);
  s.map.emplace(key, Shard::Slot{std::move(entry), s.lru.begin()});
  s.bytes += cost;
}

size_t SummaryCache::bytes() const {
  size_t n = 0;
  for (size_t i = 0; i < kShards; ++i) {
    std::lock_guard<std::mutex> lock(shards_[i].mu);
    n += shards_[i].bytes;
  }
  return n;
}

size_t SummaryCache::entries() const {
  size_t n = 0;
  for (size_t i = 0; i < kShards; ++i) {
    std::lock_guard<std::mutex> lock(shards_[i].mu);
    n += shards_[i].map.size();
  }
  return n;
}

}  // namespace sendsync::server
