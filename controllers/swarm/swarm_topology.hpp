#pragma once
// The swarm stack's containers as the run's topology, on the controller's
// side: the workload, the health checks and the final reads enter a
// region's client container through /proc/PID/ns/net, as the compose
// provider's do. Faults never go through here: the nodes' agents apply them.
#include <sys/types.h>

#include <map>
#include <memory>
#include <string>

#include "controllers/compose/container_namespaces.hpp"
#include "controllers/topology/plan.hpp"
#include "controllers/topology/topology.hpp"
#include "injector/netlink_socket.hpp"
#include "injector/network_namespace.hpp"

namespace faultline::swarm {

class SwarmTopology final : public Topology {
 public:
  // `pids`: the process of each planned namespace ("<container>@<pid>").
  // Throws, naming the container, when one is not on this machine.
  SwarmTopology(TopologyPlan plan, const std::map<std::string, pid_t>& pids);

  const TopologyPlan& plan() const override { return plan_; }
  const injector::NamespaceFd& netns(const std::string& name) const override;
  std::shared_ptr<injector::NetlinkSocket> socket(const std::string& netns) const override;
  const injector::NamespaceFd& host(const std::string& region,
                                    const std::string& host) const override;

 private:
  TopologyPlan plan_;
  compose::ContainerNamespaces namespaces_{"task"};
};

}  // namespace faultline::swarm
