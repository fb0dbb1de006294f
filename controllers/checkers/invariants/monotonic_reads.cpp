// monotonic-reads: a session's reads of a key never go back in time (see
// ../session_guarantees.hpp).
#include "controllers/checkers/invariant_kind.hpp"
#include "controllers/checkers/session_guarantees.hpp"

namespace faultline {

namespace {

CheckResult check(const InvariantSpec&, const Experiment&, const CompactHistory& history) {
  return check_monotonic_reads(history);
}

}  // namespace

const InvariantKind& monotonic_reads_invariant() {
  static const InvariantKind kind{
      .name = "monotonic-reads",
      .summary = "a session's successive reads of a key never return an older value",
      .workloads = {"kv", "register"},
      .check = check,
  };
  return kind;
}

}  // namespace faultline
