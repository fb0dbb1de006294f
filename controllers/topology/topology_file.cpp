#include "controllers/topology/topology_file.hpp"

namespace faultline {

nlohmann::json topology_document(const TopologyPlan& plan, const Experiment& experiment) {
  nlohmann::json regions = nlohmann::json::array();
  for (const auto& r : plan.regions) {
    nlohmann::json hosts = nlohmann::json::object();
    for (const auto& h : r.hosts) hosts[h.name] = {{"ipv4", h.ipv4}, {"ipv6", h.ipv6}};
    const RegionSpec* spec = experiment.find_region(r.name);
    regions.push_back({{"name", r.name},
                       {"geo", r.geo},
                       {"failover", spec != nullptr ? spec->failover : ""},
                       {"hosts", hosts}});
  }
  return {{"run_id", plan.run_id}, {"regions", regions}};
}

}  // namespace faultline
