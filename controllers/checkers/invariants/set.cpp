// set: no acknowledged element of a set is lost, none appears unbidden, and
// (if asked) no read misses one already known (see ../set_full.hpp).
#include "controllers/checkers/invariant_kind.hpp"
#include "controllers/checkers/set_full.hpp"

namespace faultline {

namespace {

void read(const InvariantTable& in, InvariantSpec& spec) {
  const Keys allowed{"allowed", "violation"};
  if (in.table.contains("stale_reads"))
    if (auto choice = in.reader.choice(in.table, "stale_reads", allowed, "stale_reads"))
      spec.stale_is_violation = *choice == 1;
}

CheckResult check(const InvariantSpec& spec, const Experiment&, const CompactHistory& history) {
  return check_set(history, {.stale_is_violation = spec.stale_is_violation});
}

}  // namespace

const InvariantKind& set_invariant() {
  static const InvariantKind kind{
      .name = "set",
      .summary = "no acknowledged element of a set is lost and none appears that was never added "
                 "(Jepsen's set-full); stale reads measured",
      .keys = {{.name = "stale_reads",
                .type = KeyType::string,
                .description = "whether a read that misses an element already known to be in the "
                               "set violates the invariant (a linearizable set) or is only reported",
                .default_value = "\"allowed\"",
                .allowed = {"allowed", "violation"}}},
      .workloads = {"set"},
      .read = read,
      .check = check,
  };
  return kind;
}

}  // namespace faultline
