#include "controllers/topology/netns_topology.hpp"

#include <stdexcept>

#include "injector/links.hpp"
#include "injector/routes.hpp"
#include "injector/sysctl.hpp"

namespace faultline {

using namespace injector;

std::unique_ptr<NamespaceTopology> NamespaceTopology::build(
    const TopologyPlan& plan, const std::function<void(const std::string&)>& progress) {
  std::unique_ptr<NamespaceTopology> topology(new NamespaceTopology(plan));
  // If any step throws, `topology` is destroyed on the way out and deletes
  // whatever was created so far: nothing is left half-built.
  topology->build_backbone();
  for (const auto& region : plan.regions) {
    topology->build_region(region);
    if (progress)
      progress("region " + region.name + " up (" + region.lan_v4 + ", " + region.lan_v6 + ")");
  }
  topology->route_between_regions();
  topology->wait_for_links();
  return topology;
}

NamespaceTopology::~NamespaceTopology() { teardown(); }

void NamespaceTopology::teardown() noexcept {
  sockets_.clear();
  // Hosts first, then routers, then the backbone: the reverse of creation.
  for (auto it = order_.rbegin(); it != order_.rend(); ++it) namespaces_.erase(*it);
  order_.clear();
}

void NamespaceTopology::create_namespace(const std::string& name) {
  auto ns = NetworkNamespace::create(name);
  order_.push_back(name);
  auto& stored = namespaces_.emplace(name, std::move(ns)).first->second;
  // No duplicate address detection on links made later in this namespace: we
  // own every address on these networks, and DAD would hold each link's
  // addresses "tentative" for about a second, dropping the first IPv6 packets.
  write_sysctl(stored.fd(), "net/ipv6/conf/default/accept_dad", "0");
  write_sysctl(stored.fd(), "net/ipv6/conf/all/accept_dad", "0");
  auto sock = std::make_shared<NetlinkSocket>(NetlinkSocket::open_in(stored.fd()));
  set_link_up(*sock, "lo");
  sockets_.emplace(name, std::move(sock));
}

const NamespaceFd& NamespaceTopology::netns(const std::string& name) const {
  auto it = namespaces_.find(name);
  if (it == namespaces_.end()) throw std::out_of_range("no namespace " + name);
  return it->second.fd();
}

std::shared_ptr<NetlinkSocket> NamespaceTopology::socket(const std::string& name) const {
  auto it = sockets_.find(name);
  if (it == sockets_.end()) throw std::out_of_range("no namespace " + name);
  return it->second;
}

const NamespaceFd& NamespaceTopology::host(const std::string& region,
                                           const std::string& host_name) const {
  return netns(plan_.region(region).host(host_name).netns);
}

std::shared_ptr<NetlinkSocket> NamespaceTopology::router_socket(const std::string& region) const {
  return socket(plan_.region(region).router_netns);
}

void NamespaceTopology::wait_for_links() {
  for (const auto& [netns, link] : veths_)
    if (!wait_operational(*sockets_.at(netns), link, std::chrono::seconds(5)))
      throw std::runtime_error("link " + link + " in " + netns + " did not come up within 5 s");
}

void NamespaceTopology::build_backbone() {
  create_namespace(plan_.backbone_netns);
  auto& bb = *sockets_.at(plan_.backbone_netns);
  create_bridge(bb, kBackboneBridge);
  set_link_up(bb, kBackboneBridge);
}

void NamespaceTopology::build_region(const RegionPlan& region) {
  create_namespace(region.router_netns);
  const auto& router_fd = netns(region.router_netns);
  auto& router = *sockets_.at(region.router_netns);
  auto& backbone = *sockets_.at(plan_.backbone_netns);
  enable_forwarding(router_fd);

  // Router <-> backbone. The router end is made in the router namespace and
  // the backbone end straight inside the backbone namespace.
  create_veth(router, kRouterWanLink, region.backbone_port, netns(plan_.backbone_netns));
  veths_.emplace_back(region.router_netns, kRouterWanLink);
  veths_.emplace_back(plan_.backbone_netns, region.backbone_port);
  attach_to_bridge(backbone, region.backbone_port, kBackboneBridge);
  set_link_up(backbone, region.backbone_port);
  add_address(router, kRouterWanLink, region.wan_v4 + "/24");
  add_address(router, kRouterWanLink, region.wan_v6 + "/64");
  set_link_up(router, kRouterWanLink);

  // The region's LAN: a bridge in the router namespace, one port per host.
  create_bridge(router, kRouterLanBridge);
  add_address(router, kRouterLanBridge,
              region.gateway_v4 + "/" + std::to_string(plan_.lan_prefix_v4));
  add_address(router, kRouterLanBridge,
              region.gateway_v6 + "/" + std::to_string(plan_.lan_prefix_v6));
  set_link_up(router, kRouterLanBridge);

  for (const auto& host : region.hosts) {
    create_namespace(host.netns);
    auto& h = *sockets_.at(host.netns);
    create_veth(router, host.router_port, kHostLink, netns(host.netns));
    veths_.emplace_back(region.router_netns, host.router_port);
    veths_.emplace_back(host.netns, kHostLink);
    attach_to_bridge(router, host.router_port, kRouterLanBridge);
    set_link_up(router, host.router_port);
    add_address(h, kHostLink, host.ipv4 + "/" + std::to_string(plan_.lan_prefix_v4));
    add_address(h, kHostLink, host.ipv6 + "/" + std::to_string(plan_.lan_prefix_v6));
    set_link_up(h, kHostLink);
    add_route(h, Route{"0.0.0.0/0", region.gateway_v4, RouteType::unicast, 0});
    add_route(h, Route{"::/0", region.gateway_v6, RouteType::unicast, 0});
  }
}

void NamespaceTopology::route_between_regions() {
  for (const auto& from : plan_.regions) {
    auto& router = *sockets_.at(from.router_netns);
    for (const auto& to : plan_.regions) {
      if (to.index == from.index) continue;
      add_route(router, Route{to.lan_v4, to.wan_v4, RouteType::unicast, kRegionRouteMetric});
      add_route(router, Route{to.lan_v6, to.wan_v6, RouteType::unicast, kRegionRouteMetric});
    }
  }
}

}  // namespace faultline
