#pragma once
// Waits until every service with a health check answers 200, checking from
// each region's client host as a client would. A service of the region that
// exits meanwhile (its database, say) fails the start at once.
#include "controllers/experiment/experiment.hpp"
#include "controllers/providers/provider.hpp"

namespace faultline {

void wait_healthy(const Experiment& experiment, const TopologyPlan& plan, Provider& provider);

}  // namespace faultline
