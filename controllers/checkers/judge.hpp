#pragma once
// Every invariant an experiment names, checked against one history: the same
// function for a live run and for `faultline check` on a stored one.
#include <vector>

#include "controllers/checkers/check_result.hpp"
#include "controllers/experiment/experiment.hpp"
#include "controllers/history/compact_history.hpp"

namespace faultline {

std::vector<CheckResult> judge_invariants(const Experiment& e, const CompactHistory& history);

}  // namespace faultline
