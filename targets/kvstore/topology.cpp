#include "targets/kvstore/topology.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace faultline::kvstore {

std::optional<std::string> RegionInfo::address(const std::string& host) const {
  for (const auto& [name, ipv4] : hosts)
    if (name == host) return ipv4;
  return std::nullopt;
}

const CellInfo* RegionInfo::find_cell(const std::string& name) const {
  for (const auto& c : cells)
    if (c.name == name) return &c;
  return nullptr;
}

const RegionInfo* Topology::find(const std::string& name) const {
  for (const auto& r : regions)
    if (r.name == name) return &r;
  return nullptr;
}

const RegionInfo& Topology::at(const std::string& name) const {
  if (const RegionInfo* r = find(name)) return *r;
  throw std::out_of_range("no region '" + name + "' in the topology");
}

std::vector<std::string> Topology::replicas_of(const std::string& home) const {
  std::vector<std::string> out{home};
  if (const RegionInfo* r = find(home); r != nullptr && !r->failover.empty())
    out.push_back(r->failover);
  return out;
}

Topology parse_topology(const std::string& json_text) {
  const auto doc = nlohmann::json::parse(json_text);
  Topology t;
  for (const auto& r : doc.at("regions")) {
    RegionInfo info;
    info.name = r.at("name").get<std::string>();
    info.geo = r.at("geo").get<std::string>();
    info.failover = r.value("failover", "");
    for (const auto& [host, addresses] : r.at("hosts").items())
      info.hosts.emplace_back(host, addresses.at("ipv4").get<std::string>());
    if (r.contains("cells"))
      for (const auto& c : r.at("cells"))
        info.cells.push_back({c.at("name").get<std::string>(), c.at("host").get<std::string>(),
                              c.at("port").get<unsigned short>()});
    t.regions.push_back(std::move(info));
  }
  return t;
}

Topology load_topology(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read the topology file " + path);
  std::stringstream text;
  text << in.rdbuf();
  return parse_topology(text.str());
}

}  // namespace faultline::kvstore
