#include "targets/kvstore/store.hpp"

#include <algorithm>

namespace faultline::kvstore {

std::uint64_t HybridClock::tick(std::uint64_t wall_ns) {
  last_ = std::max(wall_ns, last_ + 1);
  return last_;
}

void HybridClock::observe(std::uint64_t timestamp) { last_ = std::max(last_, timestamp); }

bool Store::merge(const std::string& key, const Entry& entry) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = entries_.try_emplace(key, entry);
  if (inserted) return true;
  if (it->second.version < entry.version) {
    it->second = entry;
    return true;
  }
  return false;
}

std::optional<Entry> Store::get(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::pair<std::string, Entry>> Store::snapshot() const {
  std::lock_guard lock(mutex_);
  return {entries_.begin(), entries_.end()};
}

}  // namespace faultline::kvstore
