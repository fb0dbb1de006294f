// failover-time: no customer's operations fail for longer than a bound (see
// ../failover_time.hpp).
#include "controllers/checkers/failover_time.hpp"
#include "controllers/checkers/invariant_kind.hpp"
#include "controllers/experiment/units.hpp"

namespace faultline {

namespace {

constexpr Duration kShortest{100}, kLongest{600000};

void read(const InvariantTable& in, InvariantSpec& spec) {
  if (auto within = in.reader.duration(in.table, "within", kShortest, kLongest))
    spec.within = *within;
  // No default: how long a failover may take is the experiment's claim.
  if (!in.table.contains("within"))
    in.reader.error(spec.where, "failover-time needs a bound: 'within', such as \"10s\"");
}

CheckResult check(const InvariantSpec& spec, const Experiment&, const CompactHistory& history) {
  return check_failover_time(history, spec.within);
}

}  // namespace

const InvariantKind& failover_time_invariant() {
  static const InvariantKind kind{
      .name = "failover-time",
      .summary = "no customer's operations fail for longer than the bound",
      .keys = {{.name = "within",
                .type = KeyType::duration,
                .description = "the longest a customer's operations may keep failing",
                .minimum = format_duration(kShortest),
                .maximum = format_duration(kLongest),
                .required = true}},
      .per_customer = true,
      .workloads = {"kv"},
      .read = read,
      .check = check,
  };
  return kind;
}

}  // namespace faultline
