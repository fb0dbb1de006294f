// cell-isolation: a cell's failure leaves every other cell's customers as
// available as before (see ../cell_isolation.hpp).
#include "controllers/checkers/cell_isolation.hpp"
#include "controllers/checkers/invariant_kind.hpp"

namespace faultline {

namespace {

void read(const InvariantTable& in, InvariantSpec& spec) {
  if (auto t = in.reader.number(in.table, "tolerance", 0, 1)) spec.tolerance = *t;
  if (in.experiment.workload.cells.empty())
    in.reader.error(in.table, "cell-isolation needs cells: add cells = [\"a\", \"b\"] to [workload] "
                              "and cell = \"...\" to the [[service]] serving each");
}

CheckResult check(const InvariantSpec& spec, const Experiment& e, const CompactHistory& history) {
  // What each fault took down: a kill, pause or restart of a service that
  // serves a cell takes that cell of the fault's region down.
  std::vector<CellFault> faults;
  for (const auto& f : e.faults) {
    const ServiceSpec* s = f.service.empty() ? nullptr : e.find_service(f.service);
    faults.push_back({f.region, s != nullptr ? s->cell : ""});
  }
  return check_cell_isolation(history, faults, spec.tolerance);
}

}  // namespace

const InvariantKind& cell_isolation_invariant() {
  static const InvariantKind kind{
      .name = "cell-isolation",
      .summary = "a cell's failure leaves every other cell's customers as available as before",
      .keys = {{.name = "tolerance",
                .type = KeyType::number,
                .description = "how far a customer's fraction of successful operations may drop "
                               "during a cell's fault below its fraction before the faults",
                .default_value = "0.05",
                .minimum = "0",
                .maximum = "1"}},
      .per_customer = true,
      .read = read,
      .check = check,
  };
  return kind;
}

}  // namespace faultline
