// convergence: after the last heal, every region agrees on every key within
// a bound (see ../convergence.hpp).
#include "controllers/checkers/convergence.hpp"
#include "controllers/checkers/invariant_kind.hpp"
#include "controllers/experiment/units.hpp"

namespace faultline {

namespace {

constexpr Duration kShortest{100}, kLongest{600000};

void read(const InvariantTable& in, InvariantSpec& spec) {
  if (auto within = in.reader.duration(in.table, "within", kShortest, kLongest))
    spec.within = *within;
}

CheckResult check(const InvariantSpec& spec, const Experiment&, const CompactHistory& history) {
  return check_convergence(history, spec.within);
}

}  // namespace

const InvariantKind& convergence_invariant() {
  static const InvariantKind kind{
      .name = "convergence",
      .summary = "after the last heal, every region holds the same value for every key",
      .keys = {{.name = "within",
                .type = KeyType::duration,
                .description = "how long after the heal the regions may take to agree",
                .default_value = format_duration(InvariantSpec{}.within),
                .minimum = format_duration(kShortest),
                .maximum = format_duration(kLongest)}},
      .read = read,
      .check = check,
  };
  return kind;
}

}  // namespace faultline
