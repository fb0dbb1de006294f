#pragma once
// Availability: the fraction of the workload's operations that succeeded, per
// client region over the whole run and per region inside each fault window
// (from the nemesis's start and stop records), each against a lower bound.
// Operations are counted by their invocation time; `info` counts as a
// failure: the client did not get an answer.
#include <vector>

#include "controllers/checkers/check_result.hpp"
#include "controllers/history/compact_history.hpp"

namespace faultline {

CheckResult check_availability(const CompactHistory& history, double min_fraction);
CheckResult check_availability(const std::vector<Operation>& history, double min_fraction);

}  // namespace faultline
