#include "controllers/topology/plan.hpp"

#include <stdexcept>

namespace faultline {

const HostPlan& RegionPlan::host(const std::string& host_name) const {
  for (const auto& h : hosts)
    if (h.name == host_name) return h;
  throw std::out_of_range("region " + name + " has no host " + host_name);
}

const RegionPlan& TopologyPlan::region(const std::string& name) const {
  for (const auto& r : regions)
    if (r.name == name) return r;
  throw std::out_of_range("no region " + name);
}

std::vector<std::string> TopologyPlan::namespaces() const {
  std::vector<std::string> names{backbone_netns};
  for (const auto& r : regions) {
    names.push_back(r.router_netns);
    for (const auto& h : r.hosts) names.push_back(h.netns);
  }
  return names;
}

std::string namespace_prefix(const std::string& run_id) { return "fl-" + run_id + "-"; }

namespace {
std::string hex(int value) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%x", value);
  return buf;
}
}  // namespace

TopologyPlan plan_topology(const std::string& run_id, const std::vector<RegionInput>& regions,
                           const std::vector<std::string>& hosts) {
  if (run_id.empty()) throw std::invalid_argument("empty run id");
  if (regions.size() > static_cast<size_t>(kMaxRegions))
    throw std::invalid_argument("at most " + std::to_string(kMaxRegions) + " regions");
  if (hosts.size() > 200) throw std::invalid_argument("at most 200 hosts per region");

  TopologyPlan plan;
  plan.run_id = run_id;
  const std::string prefix = namespace_prefix(run_id);
  plan.backbone_netns = prefix + "backbone";
  int index = 0;
  for (const auto& input : regions) {
    ++index;
    RegionPlan r;
    r.name = input.name;
    r.geo = input.geo;
    r.index = index;
    r.router_netns = prefix + input.name;
    r.backbone_port = "r" + std::to_string(index);
    const std::string v4 = "198.18." + std::to_string(index) + ".";
    const std::string v6 = "2001:2:0:" + hex(index) + "::";
    r.lan_v4 = v4 + "0/24";
    r.lan_v6 = v6 + "/64";
    r.gateway_v4 = v4 + "1";
    r.gateway_v6 = v6 + "1";
    r.wan_v4 = "198.19.0." + std::to_string(index);
    r.wan_v6 = "2001:2:0:ffff::" + hex(index);
    int host_number = 10;
    for (const auto& name : hosts) {
      HostPlan h;
      h.name = name;
      h.netns = prefix + input.name + "-" + name;
      h.router_port = "p-" + name;
      h.ipv4 = v4 + std::to_string(host_number);
      h.ipv6 = v6 + hex(host_number);
      ++host_number;
      r.hosts.push_back(h);
    }
    plan.regions.push_back(r);
  }
  return plan;
}

}  // namespace faultline
