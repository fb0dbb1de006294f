#pragma once
// Convergence: after the last heal, every region that should hold a key (the
// regions asked for it in the final reads) returns the same value for it,
// within a bound. Judged from the final reads ("final-read"
// operations), which the controller repeats until the regions agree or the
// bound has passed; the time from the heal to the first agreement is reported.
#include <vector>

#include "controllers/checkers/check_result.hpp"
#include "controllers/experiment/experiment.hpp"
#include "controllers/history/compact_history.hpp"

namespace faultline {

CheckResult check_convergence(const CompactHistory& history, Duration within);
CheckResult check_convergence(const std::vector<Operation>& history, Duration within);

}  // namespace faultline
