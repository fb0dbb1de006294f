#pragma once
// Recovery: "the biggest risk isn't the failure itself; it's the recovery".
// After a fault that took a region down ends, the region must take its
// customers back gradually (10%, 50%, 100% in the guide) while its errors and
// latency stay within bounds, not in one thundering herd.
//
// For each fault window with a region, from the moment the region serves
// one of its own (home) customers' operations again (`returned`):
// - its load follows the ramp: in the first `step` after it returned, the
//   share of its home customers' successful operations it served (by
//   served_by) is at most `max_jump` times the share it served before the
//   fault began (reads at a failover edge go to the replica there, so the
//   share before the fault is the baseline, not 100%);
// - during `ramp` after it returned, its home customers' operations fail at
//   most `max_errors` of the time, and (if given) their p99 latency, failures
//   counted at the timeout, is at most `p99`.
// A region that never serves again before the run ends, or had no baseline,
// makes the result unknown for it.
#include <cstdint>
#include <string>
#include <vector>

#include "controllers/checkers/check_result.hpp"
#include "controllers/checkers/latency.hpp"
#include "controllers/history/compact_history.hpp"

namespace faultline {

struct RecoveryBounds {
  std::int64_t step_ns = 1000000000;
  std::int64_t ramp_ns = 6000000000;
  double max_jump = 0.6;
  double max_errors = 0.05;
  std::int64_t p99_ns = 0;  // 0: latency not judged
  std::int64_t timeout_ns = 1000000000;
};

// A fault window and the region it took down.
struct RegionOutage {
  FaultWindow window;
  std::string region;
};

CheckResult check_recovery(const CompactHistory& history, const std::vector<RegionOutage>& outages,
                           const RecoveryBounds& bounds);

}  // namespace faultline
