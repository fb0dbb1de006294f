#include "targets/kvstore/version.hpp"

#include <algorithm>
#include <charconv>

namespace faultline::kvstore {

std::string format_version(const Version& v) {
  return std::to_string(v.timestamp) + "@" + v.region;
}

std::optional<Version> parse_version(std::string_view text) {
  const auto at = text.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == text.size()) return std::nullopt;
  Version v;
  auto [end, ec] = std::from_chars(text.data(), text.data() + at, v.timestamp);
  if (ec != std::errc{} || end != text.data() + at) return std::nullopt;
  v.region = std::string(text.substr(at + 1));
  return v;
}

std::uint64_t HybridClock::tick(std::uint64_t wall_ns) {
  if (wall_clock_only_) return wall_ns;
  last_ = std::max(wall_ns, last_ + 1);
  return last_;
}

void HybridClock::observe(std::uint64_t timestamp) {
  if (!wall_clock_only_) last_ = std::max(last_, timestamp);
}

}  // namespace faultline::kvstore
