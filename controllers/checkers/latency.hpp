#pragma once
// Latency: percentile bounds on the workload's operations, per region, over
// the run or in a window of it. The multi-region guide's cascade is a latency
// failure before it is an availability one: a slow database answers 200
// late, and the regions that take its retries slow down in turn.
//
// How an operation counts:
// - its latency is completion time minus invocation time, each attempt on
//   its own (a client's retry is an operation of its own: the first
//   attempt's wait is not hidden in the retry's);
// - a failed or timed-out operation (fail, info, or never completed) counts
//   at least the workload's timeout: a request shed in a millisecond with a
//   503 must not make latency look better, nor one the client gave up on;
// - its region is the customer's home region for a customer's key (the
//   region whose customers it serves, from the sign-up records), else the
//   region its client ran in;
// - it falls in a window by its invocation time.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "controllers/checkers/check_result.hpp"
#include "controllers/checkers/history_facts.hpp"
#include "controllers/history/compact_history.hpp"

namespace faultline {


enum class LatencyDuring { run, faults, after_recovery };

struct LatencyBounds {
  // (quantile in (0, 1], bound in ns): {0.99, 300ms}
  std::vector<std::pair<double, std::int64_t>> percentiles;
  LatencyDuring during = LatencyDuring::run;
  std::int64_t timeout_ns = 1000000000;  // what a failure counts at, at least
  // Judged only in these regions (empty: every region with operations);
  // `untouched` narrows to those no fault touched.
  std::vector<std::string> excluded;  // regions a fault touched, when untouched
};

CheckResult check_latency(const CompactHistory& history, const LatencyBounds& bounds);

// "p99" for 0.99, "p99.9" for 0.999
std::string percentile_name(double q);

}  // namespace faultline
