#include "controllers/services/command.hpp"

#include <map>
#include <optional>

namespace faultline {

std::vector<std::string> expand_command(const std::vector<std::string>& argv_template,
                                        const TopologyPlan& plan, const std::string& region,
                                        const std::string& host, const std::string& results_dir,
                                        const std::string& service) {
  const RegionPlan& here = plan.region(region);
  std::string peers, peers6;
  for (const auto& other : plan.regions) {
    if (other.name == region) continue;
    const HostPlan& h = other.host(host);
    peers += (peers.empty() ? "" : ",") + h.ipv4;
    peers6 += (peers6.empty() ? "" : ",") + h.ipv6;
  }
  const std::map<std::string, std::string> values{
      {"region", here.name},           {"geo", here.geo}, {"addr", here.host(host).ipv4},
      {"addr6", here.host(host).ipv6}, {"peers", peers},  {"peers6", peers6},
      {"results", results_dir},        {"topology", topology_file(results_dir)},
      {"workdir", service_workdir(results_dir, service, region)}};
  auto lookup = [&](const std::string& name) -> std::optional<std::string> {
    if (auto it = values.find(name); it != values.end()) return it->second;
    const auto colon = name.find(':');
    if (colon == std::string::npos) return std::nullopt;
    const std::string base = name.substr(0, colon);
    std::string other = name.substr(colon + 1);
    // {addr:HOST@REGION}: a host of another region (one region's database
    // that every region's clients share).
    const RegionPlan* where = &here;
    if (const auto at = other.find('@'); at != std::string::npos) {
      const std::string region_name = other.substr(at + 1);
      other = other.substr(0, at);
      where = nullptr;
      for (const auto& r : plan.regions)
        if (r.name == region_name) where = &r;
      if (where == nullptr) return std::nullopt;
    }
    for (const auto& h : where->hosts)
      if (h.name == other) {
        if (base == "addr") return h.ipv4;
        if (base == "addr6") return h.ipv6;
      }
    return std::nullopt;
  };

  std::vector<std::string> argv;
  for (const auto& arg : argv_template) {
    std::string out;
    for (size_t i = 0; i < arg.size();) {
      size_t close = arg[i] == '{' ? arg.find('}', i) : std::string::npos;
      if (close != std::string::npos) {
        if (auto value = lookup(arg.substr(i + 1, close - i - 1))) {
          out += *value;
          i = close + 1;
          continue;
        }
      }
      out += arg[i++];
    }
    argv.push_back(out);
  }
  return argv;
}

}  // namespace faultline

namespace faultline {

std::string topology_file(const std::string& results_dir) { return results_dir + "/topology.json"; }

std::string service_workdir(const std::string& results_dir, const std::string& service,
                            const std::string& region) {
  return results_dir + "/" + service + "-" + region;
}

}  // namespace faultline
