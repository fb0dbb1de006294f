#pragma once
// Session guarantees, judged per session (a client and the customers it
// drives) and per key, from values alone: values are unique, so each value
// read names its writer, and a value is certainly older than a write W when
// its writer completed before W was invoked.
//
// read-your-writes: after a session's acknowledged write W of a key, the
//   session's reads of that key return W's value or a value not certainly
//   older than W; never an older value or nothing.
// monotonic-reads: a session's successive reads of a key never return a
//   value certainly older than the one it read before, nor nothing after
//   something.
//
// Only successful reads are judged; failed reads saw nothing.
#include <vector>

#include "controllers/checkers/check_result.hpp"
#include "controllers/history/compact_history.hpp"

namespace faultline {

CheckResult check_read_your_writes(const CompactHistory& history);
CheckResult check_monotonic_reads(const CompactHistory& history);
CheckResult check_read_your_writes(const std::vector<Operation>& history);
CheckResult check_monotonic_reads(const std::vector<Operation>& history);

}  // namespace faultline
