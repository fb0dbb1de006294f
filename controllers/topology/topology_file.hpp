#pragma once
// The topology file a run hands its services ({topology} in a command): each
// region's name, geo, failover region and the addresses of its hosts, so a
// system under test can find its peers without the controller knowing its
// configuration format.
#include <nlohmann/json.hpp>

#include "controllers/experiment/experiment.hpp"
#include "controllers/topology/plan.hpp"

namespace faultline {

nlohmann::json topology_document(const TopologyPlan& plan, const Experiment& experiment);

}  // namespace faultline
