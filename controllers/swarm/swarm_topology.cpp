#include "controllers/swarm/swarm_topology.hpp"

#include <filesystem>
#include <stdexcept>

#include "controllers/compose/compose_topology.hpp"
#include "controllers/swarm/swarm_cluster.hpp"

namespace faultline::swarm {

SwarmTopology::SwarmTopology(TopologyPlan plan, const std::map<std::string, pid_t>& pids)
    : plan_(std::move(plan)) {
  for (const auto& [netns, pid] : pids) {
    const std::string path = "/proc/" + std::to_string(pid) + "/ns/net";
    if (!std::filesystem::exists(path))
      throw SwarmError("container " + netns.substr(0, netns.rfind('@')) + " (pid " +
                       std::to_string(pid) +
                       ") is not on this machine: the workload runs from each region's client "
                       "container, so run faultline where it sees every node's processes");
    namespaces_.enter(netns, pid);
  }
}

const injector::NamespaceFd& SwarmTopology::netns(const std::string& name) const {
  return namespaces_.netns(name);
}

std::shared_ptr<injector::NetlinkSocket> SwarmTopology::socket(const std::string& netns) const {
  return namespaces_.socket(netns);
}

const injector::NamespaceFd& SwarmTopology::host(const std::string& region,
                                                 const std::string& host) const {
  const RegionPlan& r = plan_.region(region);
  if (host == compose::kGatewayHost) return netns(r.router_netns);
  return netns(r.host(host).netns);
}

}  // namespace faultline::swarm
