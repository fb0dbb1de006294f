#include "controllers/topology/topology_file.hpp"

namespace faultline {

nlohmann::json topology_document(const TopologyPlan& plan, const Experiment& experiment) {
  nlohmann::json regions = nlohmann::json::array();
  for (const auto& r : plan.regions) {
    nlohmann::json hosts = nlohmann::json::object();
    for (const auto& h : r.hosts) hosts[h.name] = {{"ipv4", h.ipv4}, {"ipv6", h.ipv6}};
    const RegionSpec* spec = experiment.find_region(r.name);
    nlohmann::json region{{"name", r.name},
                          {"geo", r.geo},
                          {"failover", spec != nullptr ? spec->failover : ""},
                          {"hosts", hosts}};
    // The cells every region runs: each service marked with a cell, where it
    // listens (its health port), so the edge routers can reach each cell.
    for (const auto& s : experiment.services)
      if (!s.cell.empty())
        region["cells"].push_back({{"name", s.cell}, {"host", s.host}, {"port", s.health.port}});
    regions.push_back(std::move(region));
  }
  return {{"run_id", plan.run_id}, {"regions", regions}};
}

}  // namespace faultline
