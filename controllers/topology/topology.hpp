#pragma once
// Where a run's regions live, whichever provider made them: network
// namespaces faultline built (NamespaceTopology) or the containers of a
// running compose stack (ComposeTopology). Faults, the workload and health
// checks see only this: a plan with names and addresses, and a namespace
// handle and netlink socket for each name in the plan.
#include <memory>
#include <string>

#include "controllers/topology/plan.hpp"
#include "injector/netlink_socket.hpp"
#include "injector/network_namespace.hpp"

namespace faultline {

class Topology {
 public:
  virtual ~Topology() = default;

  virtual const TopologyPlan& plan() const = 0;
  virtual const injector::NamespaceFd& netns(const std::string& name) const = 0;
  virtual std::shared_ptr<injector::NetlinkSocket> socket(const std::string& netns) const = 0;
  virtual const injector::NamespaceFd& host(const std::string& region,
                                            const std::string& host) const = 0;
  // Whether the namespace behind `netns` has been replaced since the plan
  // named it (a container restarted). A fault applied there went with it.
  virtual bool replaced(const std::string& /*netns*/) const { return false; }
  // The namespace that stands today where the plan named `planned`: a fault
  // planned before the run lands in a restarted container's new namespace.
  virtual std::string current(const std::string& planned) const { return planned; }
};

}  // namespace faultline
