#pragma once
// The units an experiment writes quantities in: durations ("250ms", "10s")
// and link rates ("10mbit", tc's units).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "controllers/experiment/experiment.hpp"

namespace faultline {

// The longest experiment, and the latest a fault may start.
inline constexpr Duration kMaxDuration{24 * 3600 * 1000};

// "250ms", "10s", "1.5s", "2m", "1h". Nothing for anything else.
std::optional<Duration> parse_duration(std::string_view text);
std::string format_duration(Duration d);

// "10mbit", "1.5gbit", "500kbit", "64000bit": bits per second. Nothing for
// anything else, zero or negative.
std::optional<std::uint64_t> parse_rate(const std::string& text);
// "64MiB", "500KB", "1GiB", "4096B": bytes. Nothing for anything else.
std::optional<std::uint64_t> parse_size(const std::string& text);

}  // namespace faultline
