#pragma once
// Failover time: for each customer, the longest window in which its
// operations failed, from its last success before the failures to its first
// success after them (Jepsen's "unavailability window"). Violated when the
// longest window exceeds the bound, or when a customer never recovered
// before the workload ended.
#include <vector>

#include "controllers/checkers/check_result.hpp"
#include "controllers/experiment/experiment.hpp"
#include "controllers/history/compact_history.hpp"

namespace faultline {

CheckResult check_failover_time(const CompactHistory& history, Duration within);
CheckResult check_failover_time(const std::vector<Operation>& history, Duration within);

}  // namespace faultline
