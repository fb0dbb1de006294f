// no-lost-writes: every acknowledged write survives somewhere (see
// ../no_lost_writes.hpp).
#include "controllers/checkers/invariant_kind.hpp"
#include "controllers/checkers/no_lost_writes.hpp"

namespace faultline {

namespace {

CheckResult check(const InvariantSpec&, const Experiment&, const CompactHistory& history) {
  return check_no_lost_writes(history);
}

}  // namespace

const InvariantKind& no_lost_writes_invariant() {
  static const InvariantKind kind{
      .name = "no-lost-writes",
      .summary = "every acknowledged write survives in some region that holds its key",
      .workloads = {"kv", "register"},
      .check = check,
  };
  return kind;
}

}  // namespace faultline
