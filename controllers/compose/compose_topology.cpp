#include "controllers/compose/compose_topology.hpp"

#include <arpa/inet.h>

#include <set>

#include "injector/links.hpp"

namespace faultline::compose {

std::string network_of(const std::string& address, int prefix) {
  unsigned char bytes[16] = {};
  const int family = address.find(':') == std::string::npos ? AF_INET : AF_INET6;
  const int bits = family == AF_INET ? 32 : 128;
  if (::inet_pton(family, address.c_str(), bytes) != 1 || prefix < 0 || prefix > bits)
    throw ComposeError("the Docker daemon reported an unreadable address '" + address + "/" +
                       std::to_string(prefix) + "'");
  for (int bit = prefix; bit < bits; ++bit) bytes[bit / 8] &= static_cast<unsigned char>(~(0x80 >> (bit % 8)));
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(family, bytes, text, sizeof text);
  return std::string(text) + "/" + std::to_string(prefix);
}

namespace {

std::string namespace_name(const Container& c) { return c.name + "@" + std::to_string(c.pid); }

const Endpoint* endpoint_on(const Container& c, const std::string& network) {
  for (const auto& e : c.endpoints)
    if (e.network == network) return &e;
  return nullptr;
}

void require_up(const Container& c) {
  if (!c.running)
    throw ComposeError("container " + c.name +
                       " is not running; start the stack first: docker-compose up -d");
  if (c.paused)
    throw ComposeError("container " + c.name + " is paused; resume it first: docker unpause " +
                       c.name + " (or faultline recover, if a run left it so)");
}

}  // namespace

TopologyPlan plan_from_containers(const std::vector<RegionInput>& regions,
                                  const std::vector<std::string>& hosts,
                                  const std::vector<Container>& containers,
                                  const std::string& project) {
  std::set<std::string> wanted, projects;
  for (const auto& r : regions) wanted.insert(r.name);
  for (const auto& c : containers)
    if (wanted.count(c.label(kRegionLabel))) projects.insert(c.label(kProjectLabel));
  std::string chosen = project;
  if (chosen.empty() && projects.size() > 1) {
    std::string list;
    for (const auto& p : projects) list += (list.empty() ? "" : ", ") + p;
    throw ComposeError("several compose projects hold these regions (" + list +
                       "); choose one with --compose-project");
  }
  if (chosen.empty() && projects.size() == 1) chosen = *projects.begin();
  auto find = [&](const std::string& region, const std::string& host) -> const Container* {
    for (const auto& c : containers)
      if (c.label(kRegionLabel) == region && c.label(kHostLabel) == host &&
          c.label(kProjectLabel) == chosen)
        return &c;
    return nullptr;
  };
  const std::string where = chosen.empty() ? "the compose stack" : "compose project '" + chosen + "'";

  TopologyPlan plan;
  plan.run_id = "compose";
  int index = 0;
  for (const auto& input : regions) {
    const Container* gateway = find(input.name, kGatewayHost);
    if (gateway == nullptr)
      throw ComposeError(where + " has no region '" + input.name + "': no container labelled " +
                         kRegionLabel + "=" + input.name + " and " + kHostLabel + "=" +
                         kGatewayHost + ". Is the stack up (docker-compose up -d), and does the "
                         "experiment name its regions?");
    require_up(*gateway);
    RegionPlan r;
    r.name = input.name;
    r.geo = input.geo;
    r.index = ++index;
    r.router_netns = namespace_name(*gateway);
    std::string lan;
    for (const auto& h : hosts) {
      const Container* c = find(input.name, h);
      if (c == nullptr)
        throw ComposeError(where + " has no host '" + h + "' in region '" + input.name +
                           "': no container labelled " + kRegionLabel + "=" + input.name + " and " +
                           kHostLabel + "=" + h);
      require_up(*c);
      const Endpoint* on_lan = nullptr;
      for (const auto& e : c->endpoints)
        if (endpoint_on(*gateway, e.network) != nullptr) on_lan = &e;
      if (on_lan == nullptr || on_lan->ipv4.empty())
        throw ComposeError("container " + c->name + " shares no network with its region's gateway " +
                           gateway->name + "; put both on the region's network");
      if (lan.empty()) lan = on_lan->network;
      if (on_lan->network != lan)
        throw ComposeError("the hosts of region '" + input.name + "' are on different networks (" +
                           lan + ", " + on_lan->network + "); a region has one LAN");
      HostPlan hp;
      hp.name = h;
      hp.netns = namespace_name(*c);
      hp.ipv4 = on_lan->ipv4;
      hp.ipv6 = on_lan->ipv6;
      r.hosts.push_back(hp);
    }
    const Endpoint* lan_side = endpoint_on(*gateway, lan);
    const Endpoint* wan_side = nullptr;
    for (const auto& e : gateway->endpoints)
      if (e.network != lan) {
        if (wan_side != nullptr)
          throw ComposeError("gateway " + gateway->name +
                             " is on more than two networks; it should join its region's "
                             "network and the WAN only");
        wan_side = &e;
      }
    if (wan_side == nullptr || wan_side->ipv4.empty())
      throw ComposeError("gateway " + gateway->name +
                         " is not on a WAN network besides its region's network " + lan);
    r.lan_v4 = network_of(lan_side->ipv4, lan_side->prefix_v4);
    r.lan_v6 = lan_side->ipv6.empty() ? "" : network_of(lan_side->ipv6, lan_side->prefix_v6);
    r.gateway_v4 = lan_side->ipv4;
    r.gateway_v6 = lan_side->ipv6;
    r.wan_v4 = wan_side->ipv4;
    r.wan_v6 = wan_side->ipv6;
    plan.regions.push_back(r);
  }
  return plan;
}

std::unique_ptr<ComposeTopology> ComposeTopology::discover(DockerClient& docker,
                                                           const std::vector<RegionInput>& regions,
                                                           const std::vector<std::string>& hosts,
                                                           const std::string& project) {
  auto containers = docker.containers_with_label(kRegionLabel);
  std::unique_ptr<ComposeTopology> t(new ComposeTopology(docker));
  t->plan_ = plan_from_containers(regions, hosts, containers, project);
  for (const auto& region : t->plan_.regions) {
    auto keep = [&](const std::string& host, const std::string& netns) {
      for (const auto& c : containers)
        if (namespace_name(c) == netns) {
          t->nodes_[{region.name, host}] = {c, netns};
          t->planned_[netns] = {region.name, host};
          t->open_namespace(netns, c.pid);
        }
    };
    keep(kGatewayHost, region.router_netns);
    for (const auto& h : region.hosts) keep(h.name, h.netns);
  }
  t->read_links();
  return t;
}

void ComposeTopology::open_namespace(const std::string& name, pid_t pid) {
  namespaces_.enter(name, pid);
}

// The links faults go on, by the addresses they hold: docker names them
// eth0, eth1, ... in an order of its own.
void ComposeTopology::read_links() {
  for (auto& region : plan_.regions) {
    auto wan = injector::link_with_address(*socket(region.router_netns), region.wan_v4);
    if (!wan)
      throw ComposeError("gateway " + node(region.name, kGatewayHost).container.name +
                         " holds no link with its WAN address " + region.wan_v4);
    region.wan_link = *wan;
    for (auto& h : region.hosts) {
      auto link = injector::link_with_address(*socket(h.netns), h.ipv4);
      if (!link)
        throw ComposeError("container " + node(region.name, h.name).container.name +
                           " holds no link with its address " + h.ipv4);
      h.link = *link;
    }
  }
}

const injector::NamespaceFd& ComposeTopology::netns(const std::string& name) const {
  return namespaces_.netns(name);
}

std::shared_ptr<injector::NetlinkSocket> ComposeTopology::socket(const std::string& netns) const {
  return namespaces_.socket(netns);
}

const ComposeTopology::Node& ComposeTopology::node(const std::string& region,
                                                   const std::string& host) const {
  auto it = nodes_.find({region, host});
  if (it == nodes_.end())
    throw std::out_of_range("region " + region + " has no container for host " + host);
  return it->second;
}

const Container& ComposeTopology::container(const std::string& region,
                                            const std::string& host) const {
  return node(region, host).container;
}

const injector::NamespaceFd& ComposeTopology::host(const std::string& region,
                                                   const std::string& host) const {
  return netns(node(region, host).netns);
}

bool ComposeTopology::replaced(const std::string& netns) const {
  for (const auto& [key, n] : nodes_)
    if (n.netns == netns) return false;
  return namespaces_.contains(netns);
}

std::string ComposeTopology::current(const std::string& planned) const {
  auto it = planned_.find(planned);
  if (it == planned_.end()) return planned;
  return node(it->second.first, it->second.second).netns;
}

void ComposeTopology::refresh(const std::string& region, const std::string& host) {
  Node& n = nodes_.at({region, host});
  Container now = docker_.inspect(n.container.id);
  if (!now.running || now.pid == 0) {
    n.container = now;
    return;
  }
  const std::string name = namespace_name(now);
  if (name == n.netns) return;
  open_namespace(name, now.pid);
  // Rename in the plan, so later faults land in the new namespace.
  for (auto& r : plan_.regions) {
    if (r.name != region) continue;
    if (r.router_netns == n.netns) r.router_netns = name;
    for (auto& h : r.hosts)
      if (h.netns == n.netns) h.netns = name;
  }
  n.container = now;
  n.netns = name;
  read_links();
}

}  // namespace faultline::compose
