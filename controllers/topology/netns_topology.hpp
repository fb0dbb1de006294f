#pragma once
// The regions of a TopologyPlan made real as network namespaces. Owns every
// namespace it creates: the destructor deletes them all (and with them every
// link, address, route and qdisc inside), also when building fails half-way.
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "controllers/topology/plan.hpp"
#include "controllers/topology/topology.hpp"
#include "injector/netlink_socket.hpp"
#include "injector/network_namespace.hpp"

namespace faultline {

class NamespaceTopology : public Topology {
 public:
  // Builds the whole plan. `progress` (optional) hears one line per region.
  static std::unique_ptr<NamespaceTopology> build(
      const TopologyPlan& plan, const std::function<void(const std::string&)>& progress = {});
  ~NamespaceTopology() override;
  NamespaceTopology(const NamespaceTopology&) = delete;
  NamespaceTopology& operator=(const NamespaceTopology&) = delete;

  const TopologyPlan& plan() const override { return plan_; }
  const injector::NamespaceFd& netns(const std::string& name) const override;
  std::shared_ptr<injector::NetlinkSocket> socket(const std::string& netns) const override;
  const injector::NamespaceFd& host(const std::string& region,
                                    const std::string& host) const override;
  std::shared_ptr<injector::NetlinkSocket> router_socket(const std::string& region) const;

  // Deletes every namespace now (the destructor does the same). Idempotent.
  void teardown() noexcept;

 private:
  explicit NamespaceTopology(TopologyPlan plan) : plan_(std::move(plan)) {}
  void create_namespace(const std::string& name);
  void build_backbone();
  void build_region(const RegionPlan& region);
  void route_between_regions();
  void wait_for_links();

  TopologyPlan plan_;
  std::vector<std::string> order_;  // creation order; deleted in reverse
  std::map<std::string, injector::NetworkNamespace> namespaces_;
  std::map<std::string, std::shared_ptr<injector::NetlinkSocket>> sockets_;
  std::vector<std::pair<std::string, std::string>> veths_;  // (namespace, link)
};

}  // namespace faultline
