#include "controllers/faults/partition_plan.hpp"

namespace faultline {

std::uint32_t partition_metric(std::size_t fault_index) {
  // Ordinary region routes use kRegionRouteMetric (1000); fault routes sit
  // below it. The parser caps an experiment at 500 faults.
  return 100 + static_cast<std::uint32_t>(fault_index);
}

std::vector<RouteChange> plan_partition(const TopologyPlan& topology,
                                        const std::vector<std::vector<std::string>>& groups,
                                        bool one_way, injector::RouteType drop,
                                        std::uint32_t metric) {
  std::vector<RouteChange> changes;
  auto block = [&](const std::string& from, const std::string& to) {
    const RegionPlan& source = topology.region(from);
    const RegionPlan& target = topology.region(to);
    for (const auto& lan : {target.lan_v4, target.lan_v6})
      if (!lan.empty())  // a compose stack may have no IPv6
        changes.push_back(
            {source.name, source.router_netns, injector::Route{lan, std::nullopt, drop, metric}});
  };
  for (size_t a = 0; a < groups.size(); ++a) {
    if (one_way && a > 0) break;
    for (size_t b = 0; b < groups.size(); ++b) {
      if (a == b) continue;
      for (const auto& from : groups[a])
        for (const auto& to : groups[b]) block(from, to);
    }
  }
  return changes;
}

}  // namespace faultline
