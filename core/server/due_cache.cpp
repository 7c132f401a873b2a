#include "core/server/due_cache.h"

#include <list>
#include <mutex>
#include <unordered_map>

namespace sendsync::server {

namespace {
// A string's heap bytes beyond the object itself (none while it fits the small-string buffer).
size_t Heap(const std::string& s) {
  return s.capacity() > sizeof(std::string) ? s.capacity() + 1 : 0;
}
}  // namespace

struct DueCache::Impl {
  size_t max_bytes = 0;
  mutable std::mutex mu;
  std::list<std::string> lru;  // most recently used first
  struct Slot {
    int64_t generation = 0;
    std::shared_ptr<const Lines> lines;
    size_t cost = 0;
    std::list<std::string>::iterator at;
  };
  std::unordered_map<std::string, Slot> map;
  size_t bytes = 0;

  void Erase(std::unordered_map<std::string, Slot>::iterator it) {
    bytes -= it->second.cost;
    lru.erase(it->second.at);
    map.erase(it);
  }
};

DueCache::DueCache(size_t max_bytes) : impl_(std::make_unique<Impl>()) {
  impl_->max_bytes = max_bytes;
}

DueCache::~DueCache() = default;

std::string DueCache::Key(const std::string& school, Date as_of, int upcoming_days) {
  return school + "|" + as_of.ToString() + "|" + std::to_string(upcoming_days);
}

size_t DueCache::Cost(const std::string& key, const Lines& lines) {
  size_t n = key.size() + sizeof(Impl::Slot) + 128 + lines.capacity() * sizeof(hub::DueEntry);
  for (const hub::DueEntry& e : lines) {
    const domain::DueItem& d = e.item;
    for (const std::string* s : {&d.clock, &d.title, &d.state, &d.owner, &d.record_kind,
                                 &d.record_id, &d.detail, &e.upn, &e.name, &e.school_urn})
      n += Heap(*s);
  }
  return n;
}

std::shared_ptr<const DueCache::Lines> DueCache::Find(const std::string& key, int64_t generation) {
  Impl& I = *impl_;
  std::lock_guard<std::mutex> lock(I.mu);
  auto it = I.map.find(key);
  if (it == I.map.end()) return nullptr;
  if (it->second.generation != generation) {
    // Older: the hub changed since, never to be served again. Newer: built by a call that began
    // after this one; kept for the calls that follow.
    if (it->second.generation < generation) I.Erase(it);
    return nullptr;
  }
  I.lru.splice(I.lru.begin(), I.lru, it->second.at);
  return it->second.lines;
}

void DueCache::Put(const std::string& key, int64_t generation, std::shared_ptr<const Lines> lines) {
  if (!lines) return;
  Impl& I = *impl_;
  const size_t cost = Cost(key, *lines);
  if (cost > I.max_bytes) return;
  std::lock_guard<std::mutex> lock(I.mu);
  if (auto it = I.map.find(key); it != I.map.end()) {
    if (it->second.generation > generation) return;  // keep the newer of the two
    I.Erase(it);
  }
  // Lines of older generations can never be served again: out first.
  for (auto it = I.map.begin(); it != I.map.end();) {
    auto next = std::next(it);
    if (it->second.generation < generation) I.Erase(it);
    it = next;
  }
  while (!I.lru.empty() && I.bytes + cost > I.max_bytes) I.Erase(I.map.find(I.lru.back()));
  I.lru.push_front(key);
  I.map.emplace(key, Impl::Slot{generation, std::move(lines), cost, I.lru.begin()});
  I.bytes += cost;
}

size_t DueCache::bytes() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->bytes;
}

size_t DueCache::entries() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->map.size();
}

}  // namespace sendsync::server
