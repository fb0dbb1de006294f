#include "controllers/compose/compose_override.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "controllers/compose/compose_topology.hpp"
#include "controllers/experiment/diagnostic.hpp"
#include "controllers/experiment/toml_reader.hpp"

namespace faultline::compose {

namespace {

// Hosts take the first addresses after the gateway's, the client one near
// the top; .254 is the region's default gateway.
constexpr int kFirstHost = 10;
constexpr int kLastHost = 199;
constexpr int kClientHost = 200;
constexpr int kDefaultGatewayHost = 254;

std::string quoted(const std::string& s) { return nlohmann::json(s).dump(); }

std::string lan_address(const OverrideOptions& o, int region, int host) {
  return "198.18." + std::to_string(o.subnet_offset + region) + "." + std::to_string(host);
}

std::string wan_address(const OverrideOptions& o, int host) {
  return "198.19." + std::to_string(o.subnet_offset) + "." + std::to_string(host);
}

void check_network_mode(const ComposeFile& file, const ComposeService& s) {
  const std::string& mode = s.network_mode;
  if (mode.empty() || mode.rfind("service:", 0) == 0) return;
  const std::string at = file.path + ":" + std::to_string(s.line) + ": service '" + s.name + "' ";
  if (mode == "host")
    throw OverrideError(at +
                        "has network_mode: host, the machine's own network, which no region "
                        "can hold; drop network_mode from it (docker gives it a network of "
                        "its own)");
  if (mode == "none")
    throw OverrideError(at +
                        "has network_mode: none, so no region can reach it; drop "
                        "network_mode from it, or leave it out of the stack faultline runs");
  throw OverrideError(at + "has network_mode: " + mode +
                      ", a network outside the stack; drop network_mode from it, so the override "
                      "can put it on its region's network");
}

}  // namespace

std::string gateway_service(const std::string& region) { return "faultline-gateway-" + region; }
std::string client_service(const std::string& region) { return "faultline-client-" + region; }

Placement parse_placement(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    throw OverrideError("--region takes SERVICE=REGION or SERVICE=REGION:HOST, got '" + text + "'");
  Placement p;
  p.service = text.substr(0, eq);
  std::string rest = text.substr(eq + 1);
  const auto colon = rest.find(':');
  p.region = rest.substr(0, colon);
  p.host = colon == std::string::npos ? p.service : rest.substr(colon + 1);
  if (!valid_name(p.region, 64, true))
    throw OverrideError("--region " + text + ": region name '" + p.region +
                        "' must be lowercase letters, digits and dashes, as in the experiment's "
                        "[[region]] name");
  if (!valid_name(p.host, 10, false))
    throw OverrideError(
        "--region " + text + ": host '" + p.host +
        "' must be 1 to 10 lowercase letters or digits"
        " (a host of the experiment's hosts); " +
        (colon == std::string::npos ? "name it: --region " + text + ":db" : "choose another"));
  if (p.host == kGatewayHost)
    throw OverrideError("--region " + text +
                        ": host 'gateway' is the region's gateway, which the "
                        "override adds; name the service's host otherwise (e.g. :db)");
  return p;
}

OverridePlan plan_override(const ComposeFile& file, const OverrideOptions& options) {
  if (options.placements.empty())
    throw OverrideError(file.path + ": no service placed; give each one a region: --region " +
                        file.services.front().name + "=us-east-1:db ...");
  if (options.subnet_offset < 0 || options.subnet_offset > 250)
    throw OverrideError("--subnet-offset must be 0 to 250, got " +
                        std::to_string(options.subnet_offset));

  std::map<std::string, const Placement*> by_service;
  std::vector<std::string> region_order;
  for (const auto& p : options.placements) {
    if (file.service(p.service) == nullptr) {
      std::string msg = file.path + " has no service '" + p.service + "'";
      if (auto near = nearest(p.service, file.service_names()))
        msg += "; did you mean '" + *near + "'?";
      throw OverrideError(msg + " (its services: " + listed(file.service_names(), false) + ")");
    }
    if (!by_service.emplace(p.service, &p).second)
      throw OverrideError("service '" + p.service + "' is placed twice; give it one --region");
    if (std::find(region_order.begin(), region_order.end(), p.region) == region_order.end())
      region_order.push_back(p.region);
  }
  if (options.subnet_offset + static_cast<int>(region_order.size()) > 255)
    throw OverrideError("too many regions for --subnet-offset " +
                        std::to_string(options.subnet_offset) +
                        ": region networks end at 198.18.255.0/24");

  const std::set<std::string> added = [&] {
    std::set<std::string> names;
    for (const auto& r : region_order) {
      names.insert(gateway_service(r));
      names.insert(client_service(r));
    }
    return names;
  }();
  for (const auto& s : file.services) {
    if (added.count(s.name))
      throw OverrideError(file.path + ":" + std::to_string(s.line) + ": service '" + s.name +
                          "' has the name of a service the override adds; rename it");
    check_network_mode(file, s);
    const bool follower = s.network_mode.rfind("service:", 0) == 0;
    if (follower) {
      if (by_service.count(s.name))
        throw OverrideError("service '" + s.name + "' has network_mode: " + s.network_mode +
                            ", so it is where that service is; drop --region " + s.name);
      continue;
    }
    if (!by_service.count(s.name))
      throw OverrideError(file.path + ":" + std::to_string(s.line) + ": service '" + s.name +
                          "' has no region; place it: --region " + s.name + "=REGION:HOST");
    if (s.replicas != 1)
      throw OverrideError(file.path + ":" + std::to_string(s.line) + ": service '" + s.name +
                          "' runs " + std::to_string(s.replicas) +
                          " containers, and a region's host is one container; give each "
                          "replica a service of its own, or run it with scale 1");
  }
  for (const auto& n : file.networks)
    if (n.rfind("faultline-", 0) == 0)
      throw OverrideError(file.path + ": network '" + n +
                          "' has a name the override uses (faultline-*); rename it");

  OverridePlan plan;
  for (const auto& s : file.services)
    for (const auto& n : s.networks) {
      if (std::find(file.external_networks.begin(), file.external_networks.end(), n) !=
          file.external_networks.end())
        throw OverrideError(file.path + ":" + std::to_string(s.line) + ": service '" + s.name +
                            "' joins external network '" + n +
                            "', which the override cannot make internal (others share it), so "
                            "traffic could go around the regions; leave it out of " +
                            s.name + " for the runs");
      if (std::find(plan.own_networks.begin(), plan.own_networks.end(), n) ==
          plan.own_networks.end())
        plan.own_networks.push_back(n);
    }
  plan.wan_subnet = wan_address(options, 0) + "/24";
  plan.wan_bridge = wan_address(options, kDefaultGatewayHost);
  for (std::size_t i = 0; i < region_order.size(); ++i) {
    const int index = static_cast<int>(i) + 1;
    PlacedRegion r;
    r.name = region_order[i];
    r.network = "faultline-" + r.name;
    r.subnet = lan_address(options, index, 0) + "/24";
    r.default_gateway = lan_address(options, index, kDefaultGatewayHost);
    r.gateway_lan = lan_address(options, index, 1);
    r.gateway_wan = wan_address(options, index);
    r.client_ipv4 = lan_address(options, index, kClientHost);
    plan.regions.push_back(r);
  }
  auto region_index = [&](const std::string& name) {
    for (std::size_t i = 0; i < plan.regions.size(); ++i)
      if (plan.regions[i].name == name) return static_cast<int>(i);
    return -1;
  };

  std::map<std::string, int> next_host;
  std::map<std::pair<std::string, std::string>, std::string> host_taken;
  for (const auto& s : file.services) {
    if (s.network_mode.rfind("service:", 0) == 0) continue;
    const Placement& p = *by_service.at(s.name);
    if (auto [it, fresh] = host_taken.emplace(std::make_pair(p.region, p.host), s.name); !fresh)
      throw OverrideError("services '" + it->second + "' and '" + s.name + "' are both host '" +
                          p.host + "' of region '" + p.region +
                          "', and a host is one container; give one another host (:HOST)");
    const int index = region_index(p.region);
    int& n = next_host.try_emplace(p.region, kFirstHost).first->second;
    if (n > kLastHost)
      throw OverrideError("region '" + p.region + "' has more than " +
                          std::to_string(kLastHost - kFirstHost + 1) + " services; split it");
    PlacedService placed{s.name, p.region, p.host, lan_address(options, index + 1, n++), ""};
    if (p.host == "client") plan.regions[index].client_ipv4.clear();
    plan.services.push_back(placed);
  }
  // A service in another's namespace is wherever that one is.
  for (const auto& s : file.services) {
    if (s.network_mode.rfind("service:", 0) != 0) continue;
    const std::string target = s.network_mode.substr(8);
    auto it = std::find_if(plan.services.begin(), plan.services.end(),
                           [&](const PlacedService& p) { return p.service == target; });
    if (it == plan.services.end())
      throw OverrideError(file.path + ":" + std::to_string(s.line) + ": service '" + s.name +
                          "' has network_mode: " + s.network_mode + ", and " + file.path +
                          " has no service '" + target + "' to place; fix the name");
    plan.services.push_back({s.name, it->region, it->host, "", target});
  }
  return plan;
}

std::vector<std::string> common_hosts(const OverridePlan& plan) {
  std::vector<std::string> common;
  for (std::size_t i = 0; i < plan.regions.size(); ++i) {
    std::vector<std::string> here;
    for (const auto& s : plan.services)
      if (s.region == plan.regions[i].name && s.follows.empty()) here.push_back(s.host);
    if (!plan.regions[i].client_ipv4.empty()) here.push_back("client");
    if (i == 0) {
      common = here;
      continue;
    }
    std::erase_if(common, [&](const std::string& h) {
      return std::find(here.begin(), here.end(), h) == here.end();
    });
  }
  return common;
}

std::string render_override(const ComposeFile& file, const OverridePlan& plan,
                            const OverrideOptions& options) {
  std::ostringstream out;
  out << "# Written by faultline compose-override for " << file.path
      << ":\n# its services placed into regions, the file itself unchanged.\n"
      << "#\n"
      << "#   docker-compose -f " << file.path << " -f THIS_FILE up -d\n"
      << "#   faultline run --provider compose EXPERIMENT.toml\n"
      << "#\n"
      << "# Each region is a network whose default gateway, the address docker gives every\n"
      << "# container as its default route, is held by the region's gateway container\n"
      << "# (docker's bridge holds no address there): every packet leaving a region goes\n"
      << "# through its gateway and the WAN, where faultline's partitions and WAN faults\n"
      << "# act. Service names resolve through /etc/hosts (extra_hosts), as regions share\n"
      << "# no network for docker's DNS. The gateways and clients run " << options.image << "\n"
      << "# (scripts/compose-images.sh builds it).\n";
  if (!file.version.empty()) out << "version: " << quoted(file.version) << "\n";
  out << "\nservices:\n";

  std::vector<std::string> hosts_entries;
  for (const auto& s : plan.services) {
    const std::string address =
        s.follows.empty()
            ? s.ipv4
            : std::find_if(plan.services.begin(), plan.services.end(), [&](const PlacedService& p) {
                return p.service == s.follows;
              })->ipv4;
    hosts_entries.push_back(s.service + ":" + address);
    if (const auto* cs = file.service(s.service); cs != nullptr) {
      if (!cs->container_name.empty()) hosts_entries.push_back(cs->container_name + ":" + address);
      for (const auto& alias : cs->aliases) hosts_entries.push_back(alias + ":" + address);
    }
  }

  for (const auto& s : plan.services) {
    if (!s.follows.empty()) {
      // Nothing to add: it has no network of its own, and labels would make
      // two containers one host.
      out << "  # " << s.service << ": in the network namespace of " << s.follows
          << " (network_mode), so in region " << s.region << " with it\n";
      continue;
    }
    out << "  " << s.service << ":\n";
    const PlacedRegion& r =
        *std::find_if(plan.regions.begin(), plan.regions.end(),
                      [&](const PlacedRegion& pr) { return pr.name == s.region; });
    out << "    labels: {" << quoted(kRegionLabel) << ": " << quoted(s.region) << ", "
        << quoted(kHostLabel) << ": " << quoted(s.host) << "}\n"
        << "    networks:\n"
        << "      " << r.network << ": {ipv4_address: " << quoted(s.ipv4) << "}\n"
        << "    extra_hosts:\n";
    for (const auto& e : hosts_entries) out << "      - " << quoted(e) << "\n";
  }

  for (const auto& r : plan.regions) {
    out << "  " << gateway_service(r.name) << ":\n"
        << "    image: " << quoted(options.image) << "\n"
        << "    labels: {" << quoted(kRegionLabel) << ": " << quoted(r.name) << ", "
        << quoted(kHostLabel) << ": " << quoted(kGatewayHost) << "}\n"
        << "    cap_add: [NET_ADMIN]\n"
        << "    sysctls: {net.ipv4.ip_forward: 1}\n"
        << "    restart: \"no\"\n"
        << "    stop_grace_period: 2s\n"
        << "    networks:\n"
        << "      faultline-wan: {ipv4_address: " << quoted(r.gateway_wan) << "}\n"
        << "      " << r.network << ": {ipv4_address: " << quoted(r.gateway_lan) << "}\n"
        << "    command:\n"
        << "      - faultline-netinit\n"
        << "      - --address\n"
        << "      - " << quoted(r.default_gateway + "/24=" + r.gateway_lan) << "\n";
    for (const auto& other : plan.regions) {
      if (other.name == r.name) continue;
      out << "      - --route\n"
          << "      - " << quoted(other.subnet + "=" + other.gateway_wan) << "\n";
    }
    if (r.client_ipv4.empty()) continue;
    out << "  " << client_service(r.name) << ":\n"
        << "    image: " << quoted(options.image) << "\n"
        << "    labels: {" << quoted(kRegionLabel) << ": " << quoted(r.name) << ", "
        << quoted(kHostLabel) << ": \"client\"}\n"
        << "    restart: \"no\"\n"
        << "    stop_grace_period: 2s\n"
        << "    networks:\n"
        << "      " << r.network << ": {ipv4_address: " << quoted(r.client_ipv4) << "}\n"
        << "    command: [faultline-netinit]\n";
  }

  out << "\nnetworks:\n"
      << "  faultline-wan:\n"
      << "    ipam:\n"
      << "      config: [{subnet: " << quoted(plan.wan_subnet)
      << ", gateway: " << quoted(plan.wan_bridge) << "}]\n";
  for (const auto& n : plan.own_networks)
    out << "  # the file's own: kept, but no default route, so traffic leaves through the region\n"
        << "  " << n << ": {internal: true}\n";
  for (const auto& r : plan.regions)
    out << "  " << r.network << ":\n"
        << "    driver_opts: {com.docker.network.bridge.inhibit_ipv4: \"true\"}\n"
        << "    ipam:\n"
        << "      config: [{subnet: " << quoted(r.subnet)
        << ", gateway: " << quoted(r.default_gateway) << "}]\n";
  return out.str();
}

}  // namespace faultline::compose
