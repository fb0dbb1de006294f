#pragma once
// Which routes a partition installs, as a pure function of the topology, so it
// can be printed (--dry-run) and tested without root.
//
// A partition between groups A and B puts, in the router of every region a in
// A, a blackhole (or prohibit) route for the LAN of every region b in B, for
// IPv4 and IPv6 alike; and the mirror image in B's routers unless it is
// one-way. The fault routes have a lower metric than the ordinary
// inter-region routes, so they win the lookup while both exist, and removing
// them restores the path without touching the original routes.
#include <cstdint>
#include <string>
#include <vector>

#include "controllers/topology/plan.hpp"
#include "injector/route_spec.hpp"

namespace faultline {

struct RouteChange {
  std::string region;  // whose router the route goes in
  std::string netns;
  injector::Route route;
};

// Metric of the routes of the fault with the given index in the experiment:
// distinct per fault, so overlapping partitions coexist and each removes only
// its own routes.
std::uint32_t partition_metric(std::size_t fault_index);

// groups[0] cannot reach the other groups; unless one_way, no group can
// reach any other.
std::vector<RouteChange> plan_partition(const TopologyPlan& topology,
                                        const std::vector<std::vector<std::string>>& groups,
                                        bool one_way, injector::RouteType drop,
                                        std::uint32_t metric);

}  // namespace faultline
