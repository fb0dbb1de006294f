#pragma once
// What `faultline run --dry-run` prints: the topology, then for the WAN
// baseline and each fault the plan the run would apply, rendered (pure).
#include <string>
#include <vector>

#include "controllers/experiment/experiment.hpp"
#include "controllers/topology/plan.hpp"

namespace faultline {

std::string render_dry_run(const Experiment& experiment, const TopologyPlan& plan,
                           const std::vector<std::string>& heading);

}  // namespace faultline
