#include "controllers/experiment/units.hpp"

#include <cctype>
#include <cmath>
#include <initializer_list>
#include <sstream>
#include <utility>

namespace faultline {

std::optional<Duration> parse_duration(std::string_view text) {
  static const std::pair<std::string_view, double> kUnits[] = {
      {"ms", 1.0}, {"s", 1000.0}, {"m", 60000.0}, {"h", 3600000.0}};
  for (const auto& [suffix, scale] : kUnits) {
    if (text.size() <= suffix.size() || text.substr(text.size() - suffix.size()) != suffix)
      continue;
    std::string number(text.substr(0, text.size() - suffix.size()));
    // "ms" also ends in "s": make sure the number part is a number.
    if (number.empty() ||
        !(std::isdigit(static_cast<unsigned char>(number[0])) || number[0] == '-'))
      continue;
    std::istringstream in(number);
    double value = 0;
    in >> value;
    if (!in || !in.eof()) continue;
    if (!std::isfinite(value)) return std::nullopt;
    return Duration(static_cast<long long>(std::llround(value * scale)));
  }
  return std::nullopt;
}

std::string format_duration(Duration d) {
  auto ms = d.count();
  if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

namespace {

// A positive number followed by one of `units` (tried in order, so a longer
// suffix that ends in a shorter one must come first), scaled by it.
std::optional<std::uint64_t> parse_scaled(
    const std::string& text, std::initializer_list<std::pair<std::string_view, double>> units) {
  for (const auto& [suffix, scale] : units) {
    if (text.size() <= suffix.size() ||
        text.compare(text.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    std::istringstream in(text.substr(0, text.size() - suffix.size()));
    double v = 0;
    in >> v;
    if (!in || !in.eof() || !(v > 0) || !std::isfinite(v)) return std::nullopt;
    return static_cast<std::uint64_t>(std::llround(v * scale));
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::uint64_t> parse_rate(const std::string& text) {
  return parse_scaled(text, {{"gbit", 1e9}, {"mbit", 1e6}, {"kbit", 1e3}, {"bit", 1}});
}

std::optional<std::uint64_t> parse_size(const std::string& text) {
  return parse_scaled(text, {{"GiB", 1073741824.0}, {"MiB", 1048576.0}, {"KiB", 1024.0},
                             {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}});
}

}  // namespace faultline
