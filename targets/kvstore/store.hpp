#pragma once
// The replicated map at the heart of the reference target: every value carries
// a version (hybrid timestamp, origin region) and the highest version wins.
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace faultline::kvstore {

struct Version {
  std::uint64_t timestamp = 0;  // hybrid logical clock, ns
  std::string region;           // tie-breaker between equal timestamps

  friend auto operator<=>(const Version&, const Version&) = default;
};

struct Entry {
  std::string value;
  Version version;
};

// Hybrid logical clock: never behind the wall clock, never behind any version
// this region has seen, strictly increasing.
class HybridClock {
 public:
  std::uint64_t tick(std::uint64_t wall_ns);
  void observe(std::uint64_t timestamp);

 private:
  std::uint64_t last_ = 0;
};

class Store {
 public:
  // Last-writer-wins: keeps `entry` if its version is higher than the current
  // one. Returns whether it was kept.
  bool merge(const std::string& key, const Entry& entry);
  std::optional<Entry> get(const std::string& key) const;
  std::vector<std::pair<std::string, Entry>> snapshot() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;
};

}  // namespace faultline::kvstore
