#pragma once
// No lost writes: every acknowledged write survives somewhere. In each region
// that holds its key, the final value is either its value or written by a
// write that did not finish before it began; a final value written by an
// operation that completed before the acknowledged write was invoked means
// the write was lost there. Lost in every region that holds the key: lost.
// Lost in some only: stale (divergence, which convergence judges). A final
// value that no write produced is a phantom.
//
// Writes whose outcome is unknown (info) may or may not have happened, so they
// count as possible writers but are never required to survive.
#include <vector>

#include "controllers/checkers/check_result.hpp"
#include "controllers/history/compact_history.hpp"

namespace faultline {

CheckResult check_no_lost_writes(const CompactHistory& history);
CheckResult check_no_lost_writes(const std::vector<Operation>& history);

// Set-full's other outcomes, reported with no-lost-writes (they do not decide
// it): reads that returned a value certainly older than an acknowledged write
// (stale), how long after that write's acknowledgement the stalest of them
// was invoked, and acknowledged writes whose value no read ever returned.
struct ReadStaleness {
  std::size_t stale_reads = 0;
  std::int64_t max_stale_ns = 0;
  std::size_t never_read = 0;
  // Over time, by the reading client's region: how many reads were stale,
  // and how long after the newer write's acknowledgement the stalest was.
  Series stale_over_time, staleness_over_time;
};
class WriteIndex;
ReadStaleness read_staleness(const CompactHistory& history, const WriteIndex& index);

}  // namespace faultline
