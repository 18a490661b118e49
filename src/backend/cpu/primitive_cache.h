// A small, bounded, thread-safe LRU map from an op's parameters (shapes, options) to what was
// built for them, so a model's forward creates each primitive once. oneDNN keeps its own cache
// of compiled kernels, but choosing an implementation (primitive_desc) still costs per call.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

namespace lucid::backend::cpu {

using CacheKey = std::vector<int64_t>;

struct CacheKeyHash {
  size_t operator()(const CacheKey& key) const {
    size_t h = key.size();
    for (int64_t v : key) h ^= std::hash<int64_t>{}(v) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h;
  }
};

template <class Value>
class PrimitiveCache {
 public:
  explicit PrimitiveCache(size_t capacity) : capacity_(capacity) {}

  // The value for key, built by make() on a miss; the least recently used entry is dropped when full.
  template <class Make>
  std::shared_ptr<const Value> get(const CacheKey& key, Make&& make) {
    std::lock_guard lock(mutex_);
    if (auto it = index_.find(key); it != index_.end()) {
      entries_.splice(entries_.begin(), entries_, it->second);
      return it->second->second;
    }
    auto value = std::make_shared<const Value>(make());
    entries_.emplace_front(key, value);
    index_[key] = entries_.begin();
    if (entries_.size() > capacity_) {
      index_.erase(entries_.back().first);
      entries_.pop_back();
    }
    return value;
  }

 private:
  using Entry = std::pair<CacheKey, std::shared_ptr<const Value>>;
  size_t capacity_;
  std::mutex mutex_;
  std::list<Entry> entries_;  // most recently used first
  std::unordered_map<CacheKey, typename std::list<Entry>::iterator, CacheKeyHash> index_;
};

}  // namespace lucid::backend::cpu
