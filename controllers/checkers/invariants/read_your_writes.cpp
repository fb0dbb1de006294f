// read-your-writes: a session reads what it wrote, or newer (see
// ../session_guarantees.hpp).
#include "controllers/checkers/invariant_kind.hpp"
#include "controllers/checkers/session_guarantees.hpp"

namespace faultline {

namespace {

CheckResult check(const InvariantSpec&, const Experiment&, const CompactHistory& history) {
  return check_read_your_writes(history);
}

}  // namespace

const InvariantKind& read_your_writes_invariant() {
  static const InvariantKind kind{
      .name = "read-your-writes",
      .summary = "after a session's acknowledged write, its reads never return an older value",
      .workloads = {"kv", "register"},
      .check = check,
  };
  return kind;
}

}  // namespace faultline
