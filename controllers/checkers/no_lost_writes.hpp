#pragma once
// No lost writes: every acknowledged write is, in every region's final state,
// either the value of its key or superseded by a write that did not finish
// before it began. A final value written by an operation that completed
// before the acknowledged write was invoked means the acknowledged write was
// lost; a final value that no write produced is a phantom.
//
// Writes whose outcome is unknown (info) may or may not have happened, so they
// count as possible writers but are never required to survive.
#include <vector>

#include "controllers/checkers/check_result.hpp"

namespace faultline {

CheckResult check_no_lost_writes(const std::vector<Operation>& history);

}  // namespace faultline
