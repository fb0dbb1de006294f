#pragma once
// How long acknowledged writes took, per region (where the client ran) and
// kind of write: what a synchronous commit costs shows here, as the round
// trip to the standby it waits for. Only ok completions count: a write that
// timed out has no latency, only a timeout.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "controllers/history/history.hpp"

namespace faultline {

class WriteLatency {
 public:
  // Feed every operation in history order; invocations pair with their
  // process's next completion.
  void add(const Operation& op);
  // {"us-east-1": {"write": {"count": 120, "p50_ms": 41.2, "p99_ms": 45.0}, ...}, ...};
  // empty when no write was acknowledged.
  nlohmann::json to_json() const;

 private:
  std::unordered_map<std::int64_t, std::int64_t> invoked_;  // process -> invoked at (ns)
  std::map<std::string, std::map<std::string, std::vector<double>>> ms_;  // region -> f -> ms
};

// The nearest-rank percentile (0 < p <= 1) of `values`, which it sorts.
double percentile(std::vector<double>& values, double p);

// One line per region for the terminal, from to_json()'s shape:
//   "us-east-1: write p50 41.2 ms, p99 45.0 ms (120)".
std::vector<std::string> render_write_latency(const nlohmann::json& latency);

}  // namespace faultline
