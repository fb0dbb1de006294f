#pragma once
// The checks that look across sections, on an experiment as read (values and
// their source positions, no TOML): faults that may not overlap, what the
// engine cannot serve, what the workload and the invariants need from the
// services and hosts. What the run could not do is refused here, before
// anything is created.
#include <vector>

#include "controllers/experiment/diagnostic.hpp"
#include "controllers/experiment/experiment.hpp"

namespace faultline {

// Nothing when the sections fit together; diagnostics name e.path.
std::vector<Diagnostic> validate_experiment(const Experiment& e);

}  // namespace faultline
