#pragma once
// Versions of stored values: a hybrid logical clock timestamp and the region
// that wrote it. The highest version wins (last-writer-wins); equal
// timestamps are ordered by region name, so every region picks the same winner.
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace faultline::kvstore {

struct Version {
  std::uint64_t timestamp = 0;  // nanoseconds: hybrid logical clock, or wall clock (bug)
  std::string region;           // tie-breaker between equal timestamps

  friend auto operator<=>(const Version&, const Version&) = default;
};

// "1700000000000000000@eu-west-1", the form in session tokens and answers.
std::string format_version(const Version& v);
std::optional<Version> parse_version(std::string_view text);

// Hybrid logical clock: never behind the wall clock, never behind any version
// this region has seen, strictly increasing. With `wall_clock_only` (the
// lww-wall-clock bug) it is the bare wall clock: a region whose clock runs
// behind stamps new writes older than writes it has already seen.
class HybridClock {
 public:
  explicit HybridClock(bool wall_clock_only = false) : wall_clock_only_(wall_clock_only) {}
  std::uint64_t tick(std::uint64_t wall_ns);
  void observe(std::uint64_t timestamp);

 private:
  bool wall_clock_only_;
  std::uint64_t last_ = 0;
};

}  // namespace faultline::kvstore
