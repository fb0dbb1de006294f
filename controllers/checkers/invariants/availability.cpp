// availability: enough of the workload's operations succeed, per region and
// per fault window (see ../availability.hpp).
#include "controllers/checkers/availability.hpp"
#include "controllers/checkers/invariant_kind.hpp"

namespace faultline {

namespace {

void read(const InvariantTable& in, InvariantSpec& spec) {
  if (auto min = in.reader.number(in.table, "min", 0, 1)) spec.min_fraction = *min;
}

CheckResult check(const InvariantSpec& spec, const Experiment& e, const CompactHistory& history) {
  std::vector<std::string> regions;
  for (const auto& region : e.regions) regions.push_back(region.name);
  return check_availability(history, spec.min_fraction, regions);
}

}  // namespace

const InvariantKind& availability_invariant() {
  static const InvariantKind kind{
      .name = "availability",
      .summary = "the fraction of successful operations stays above a bound",
      .keys = {{.name = "min",
                .type = KeyType::number,
                .description = "the lowest acceptable fraction of successful operations",
                .default_value = "0.99",
                .minimum = "0",
                .maximum = "1"}},
      .read = read,
      .check = check,
  };
  return kind;
}

}  // namespace faultline
