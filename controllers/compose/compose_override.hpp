#pragma once
// `faultline compose-override`: places the services of a compose file that
// was never written for faultline into regions, with an override file that
// docker-compose merges over it (`-f theirs.yml -f override.yml`):
//
// - a network per region, whose default gateway (the address docker hands
//   every container as its default route) is held by a gateway container
//   faultline adds, not by docker's bridge, which holds no address on it
//   (com.docker.network.bridge.inhibit_ipv4). So every packet a service
//   sends out of its region goes through the region's gateway, where
//   partitions and WAN faults act, with no route, program or capability
//   added to the user's containers, and a restarted container gets the
//   same route again from docker;
// - a WAN network joining the gateways, each with routes to the other
//   regions' networks (not `internal`: docker drops what crosses an
//   internal network from another subnet, which is all a WAN carries);
// - a client container per region, where the workload runs from, unless a
//   service is placed as host `client`;
// - on each service the labels the compose provider reads, a fixed address
//   on its region's network, and every service's name in /etc/hosts
//   (extra_hosts): docker's DNS answers only for containers sharing a
//   network, and regions share none;
// - the file's own networks made `internal`: a service keeps them, but they
//   no longer give it a default route (docker gives an internal network
//   none), so the default route is its region's; its aliases on them go to
//   /etc/hosts with its name.
//
// Pure: the file as read, the placements, then text.
#include <string>
#include <vector>

#include "controllers/compose/compose_file.hpp"

namespace faultline::compose {

inline constexpr const char* kDefaultNetinitImage = "faultline/netinit:dev";

// `--region SERVICE=REGION[:HOST]`. HOST is the experiment's host the service
// stands for (its `faultline.host` label); without it, the service's name.
struct Placement {
  std::string service;
  std::string region;
  std::string host;
};

// Parses one --region value; throws OverrideError naming the fix.
Placement parse_placement(const std::string& text);

struct OverrideOptions {
  std::vector<Placement> placements;         // regions are numbered in their first mention's order
  std::string image = kDefaultNetinitImage;  // the gateways' and clients' image
  // Region i's network is 198.18.(offset + i).0/24 and the WAN
  // 198.19.offset.0/24: a second stack on the same daemon needs subnets of its own.
  int subnet_offset = 0;
};

// Where one service lands.
struct PlacedService {
  std::string service;
  std::string region;
  std::string host;
  std::string ipv4;     // "" for a service in another's namespace (network_mode service:X)
  std::string follows;  // that X
};

struct PlacedRegion {
  std::string name;
  std::string network;          // "faultline-<region>"
  std::string subnet;           // "198.18.1.0/24"
  std::string default_gateway;  // "198.18.1.254": the hosts' default route, held by the gateway
  std::string gateway_lan;      // "198.18.1.1"
  std::string gateway_wan;      // "198.19.0.1"
  std::string client_ipv4;      // "" when a service is the region's client
};

struct OverridePlan {
  std::string wan_subnet;
  std::string wan_bridge;  // docker's own address on the WAN, kept off the gateways'
  std::vector<PlacedRegion> regions;
  std::vector<PlacedService> services;    // in the file's order
  std::vector<std::string> own_networks;  // the file's networks, made internal
};

// Checks every placement against the file and assigns addresses; throws
// OverrideError (one line: the service and the fix).
OverridePlan plan_override(const ComposeFile& file, const OverrideOptions& options);

// The hosts an experiment against the stack can name: those every region
// has (the provider looks for each of the experiment's hosts in each
// region), `client` included.
std::vector<std::string> common_hosts(const OverridePlan& plan);

// The override file's text (YAML).
std::string render_override(const ComposeFile& file, const OverridePlan& plan,
                            const OverrideOptions& options);

// The names of what the override adds, so a user's file cannot hold them.
std::string gateway_service(const std::string& region);
std::string client_service(const std::string& region);

}  // namespace faultline::compose
