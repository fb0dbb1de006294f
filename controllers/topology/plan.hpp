#pragma once
// The shape of the regions' network, computed before anything is created: a
// pure function from the experiment's regions and hosts to names, addresses
// and links.
//
//            backbone namespace (bridge "wan")
//        r1 |          r2 |          r3 |          ...
//      wan0 |        wan0 |        wan0 |
//    [router us-east-1] [router eu-west-1] ...   one namespace per region
//       lan0 (bridge)
//     p-app | p-db | p-client
//      eth0 | eth0 | eth0                       one namespace per host
//
// Every region-to-region packet leaves its region's router, crosses the
// backbone and enters the other router, so partitions (routes in the routers)
// and later link faults (qdiscs on the router and backbone ports) act on it.
#include <cstdint>
#include <string>
#include <vector>

namespace faultline {

// Default address plan: RFC 2544's benchmarking range for IPv4 (198.18.0.0/15)
// and RFC 5180's for IPv6 (2001:2::/48). Region i (1-based) owns
// 198.18.i.0/24 and 2001:2:0:i::/64; the backbone is 198.19.0.0/24 and
// 2001:2:0:ffff::/64, where router i is host i.
inline constexpr int kMaxRegions = 200;

struct HostPlan {
  std::string name;         // "app"
  std::string netns;        // "fl-<run>-<region>-app"
  std::string router_port;  // the veth end in the router namespace: "p-app"
  std::string ipv4;         // "198.18.1.10"
  std::string ipv6;         // "2001:2:0:1::10"
  std::string link = "eth0";  // the host's link into its region's LAN
};

struct RegionPlan {
  std::string name;
  std::string geo;
  int index = 0;              // 1-based
  std::string router_netns;   // "fl-<run>-<region>"
  std::string backbone_port;  // veth end in the backbone namespace: "r1"
  std::string lan_v4;         // "198.18.1.0/24"
  std::string lan_v6;         // "2001:2:0:1::/64"
  std::string gateway_v4;     // router's LAN address: "198.18.1.1"
  std::string gateway_v6;
  std::string wan_v4;  // router's backbone address: "198.19.0.1"
  std::string wan_v6;
  std::string wan_link = "wan0";  // the router's link to the backbone, where WAN faults go
  std::vector<HostPlan> hosts;

  const HostPlan& host(const std::string& name) const;
};

struct TopologyPlan {
  std::string run_id;
  std::string backbone_netns;  // "fl-<run>-backbone"
  int lan_prefix_v4 = 24;
  int lan_prefix_v6 = 64;
  std::vector<RegionPlan> regions;

  const RegionPlan& region(const std::string& name) const;
  std::vector<std::string> namespaces() const;  // every namespace, backbone first
};

// Interface names inside every namespace (each namespace has its own, so the
// names repeat without clashing).
inline constexpr const char* kBackboneBridge = "wan";
inline constexpr const char* kRouterWanLink = "wan0";
inline constexpr const char* kRouterLanBridge = "lan0";
inline constexpr const char* kHostLink = "eth0";
// Metric of the ordinary inter-region routes; fault routes use lower metrics so
// they take precedence over them without replacing them.
inline constexpr std::uint32_t kRegionRouteMetric = 1000;

struct RegionInput {
  std::string name;
  std::string geo;
};

// Throws std::invalid_argument for more than kMaxRegions regions or an empty
// run id.
TopologyPlan plan_topology(const std::string& run_id, const std::vector<RegionInput>& regions,
                           const std::vector<std::string>& hosts);

// The prefix every namespace of a run starts with: "fl-<run>-".
std::string namespace_prefix(const std::string& run_id);

}  // namespace faultline
