#include "controllers/services/command.hpp"

#include <map>

namespace faultline {

std::vector<std::string> expand_command(const std::vector<std::string>& argv_template,
                                        const TopologyPlan& plan, const std::string& region,
                                        const std::string& host, const std::string& results_dir) {
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
      {"results", results_dir}};

  std::vector<std::string> argv;
  for (const auto& arg : argv_template) {
    std::string out;
    for (size_t i = 0; i < arg.size();) {
      size_t close = arg[i] == '{' ? arg.find('}', i) : std::string::npos;
      if (close != std::string::npos) {
        auto it = values.find(arg.substr(i + 1, close - i - 1));
        if (it != values.end()) {
          out += it->second;
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
