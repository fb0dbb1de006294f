#pragma once
// Availability: the fraction of the workload's operations that succeeded, per
// client region over the whole run and per region inside each fault window
// (from the nemesis's start and stop records), each against a lower bound.
// Operations are counted by their invocation time; `info` counts as a
// failure: the client did not get an answer. A region without a single
// operation was not judged, and makes the result unknown: its clients never
// got to ask, which says nothing about whether it would have answered.
#include <string>
#include <vector>

#include "controllers/checkers/check_result.hpp"
#include "controllers/history/compact_history.hpp"

namespace faultline {

// `regions`: those the workload ran in; one with no operation at all is
// unknown, not available (empty: the history's regions).
CheckResult check_availability(const CompactHistory& history, double min_fraction,
                               const std::vector<std::string>& regions = {});
CheckResult check_availability(const std::vector<Operation>& history, double min_fraction);

}  // namespace faultline
