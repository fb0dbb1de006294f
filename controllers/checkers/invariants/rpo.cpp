// rpo: the acknowledged data a failover lost, as a span of time, within a
// bound (see ../rpo.hpp).
#include "controllers/checkers/rpo.hpp"

#include "controllers/checkers/invariant_kind.hpp"

namespace faultline {

namespace {

constexpr Duration kShortest{0}, kLongest{3600000};

void read(const InvariantTable& in, InvariantSpec& spec) {
  if (auto within = in.reader.duration(in.table, "within", kShortest, kLongest))
    spec.within = *within;
  // No default: the recovery point a system promises is the experiment's claim.
  if (!in.table.contains("within"))
    in.reader.error(spec.where, "rpo needs a bound: 'within', such as \"1m\" (the guide's RPO)");
}

CheckResult check(const InvariantSpec& spec, const Experiment&, const CompactHistory& history) {
  return check_rpo(history, spec.within);
}

}  // namespace

const InvariantKind& rpo_invariant() {
  static const InvariantKind kind{
      .name = "rpo",
      .summary =
          "the acknowledged writes a failover lost span no longer than the bound (the "
          "recovery point)",
      .keys = {{.name = "within",
                .type = KeyType::duration,
                .description = "the longest span of acknowledged writes that may be lost",
                .minimum = format_duration(kShortest),
                .maximum = format_duration(kLongest),
                .required = true}},
      .workloads = {"kv", "register"},
      .read = read,
      .check = check,
  };
  return kind;
}

}  // namespace faultline
