#pragma once
// Cell isolation: a cell's failure leaves every other cell's customers as
// available as before. For each fault that takes one cell of one region down
// (its window from the nemesis's start and stop records), every customer not
// assigned to that cell keeps, for the operations it invoked during the
// window, a fraction of successes at least its fraction before the first
// fault minus `tolerance`. Customers' cells come from their sign-ups
// ("register" values {customer, home, cell}); a customer's operations are
// those on its keys ("{customer}/{key}"), counted by invocation time, `info`
// as a failure. A customer with no operation before or during the window is
// not judged; none judged at all is unknown.
#include <string>
#include <vector>

#include "controllers/checkers/check_result.hpp"
#include "controllers/history/compact_history.hpp"

namespace faultline {

struct CellFault {
  std::string region;
  std::string cell;  // empty: the fault is not on a cell
};

// `faults`: by fault index (the nemesis records' "fault"), what each fault
// took down.
CheckResult check_cell_isolation(const CompactHistory& history, const std::vector<CellFault>& faults,
                                 double tolerance);

}  // namespace faultline
