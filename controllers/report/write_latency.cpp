#include "controllers/report/write_latency.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "controllers/history/operation_kinds.hpp"

namespace faultline {

namespace {

// The operations that change data when they succeed: an ok cas wrote its
// new value.
bool is_write(const std::string& f) { return f == kWriteF || f == kCasF; }

double rounded(double ms) { return std::round(ms * 10) / 10; }

}  // namespace

double percentile(std::vector<double>& values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(values.size())));
  return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
}

void WriteLatency::add(const Operation& op) {
  if (op.process == kNemesisProcess || !is_write(op.f)) return;
  if (op.type == OpType::invoke) {
    invoked_[op.process] = op.time;
    return;
  }
  const auto at = invoked_.find(op.process);
  if (at == invoked_.end()) return;
  if (op.type == OpType::ok) ms_[op.region][op.f].push_back((op.time - at->second) / 1e6);
  invoked_.erase(at);
}

nlohmann::json WriteLatency::to_json() const {
  nlohmann::json out = nlohmann::json::object();
  for (auto [region, by_f] : ms_)
    for (auto& [f, ms] : by_f)
      out[region][f] = {{"count", ms.size()},
                        {"p50_ms", rounded(percentile(ms, 0.5))},
                        {"p99_ms", rounded(percentile(ms, 0.99))}};
  return out;
}

std::vector<std::string> render_write_latency(const nlohmann::json& latency) {
  std::vector<std::string> lines;
  if (!latency.is_object()) return lines;
  for (const auto& [region, by_f] : latency.items()) {
    std::string line = region + ":";
    bool first = true;
    for (const auto& [f, figures] : by_f.items()) {
      char text[160];
      std::snprintf(text, sizeof text, "%s %s p50 %.1f ms, p99 %.1f ms (%llu)", first ? "" : ";",
                    f.c_str(), figures.value("p50_ms", 0.0), figures.value("p99_ms", 0.0),
                    static_cast<unsigned long long>(figures.value("count", 0)));
      line += text;
      first = false;
    }
    lines.push_back(line);
  }
  return lines;
}

}  // namespace faultline
