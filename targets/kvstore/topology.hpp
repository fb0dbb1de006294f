#pragma once
// The target's view of the regions: names, geos, failover pairs and the
// addresses of each region's hosts, read from the topology file the
// controller writes for the run (`{topology}` in a service command).
//
//   {"regions": [{"name": "eu-west-1", "geo": "eu", "failover": "eu-central-1",
//                 "hosts": {"app": {"ipv4": "198.18.3.10", "ipv6": "..."}},
//                 "cells": [{"name": "a", "host": "cell-a", "port": 8080}]}]}
//
// `cells` (optional) lists the region's cells: the services marked
// `cell = "..."` in the experiment, each with the host and port it serves on.
#include <optional>
#include <string>
#include <vector>

namespace faultline::kvstore {

struct CellInfo {
  std::string name;
  std::string host;
  unsigned short port = 8080;
};

struct RegionInfo {
  std::string name;
  std::string geo;
  std::string failover;  // a region of the same geo, or empty
  std::vector<std::pair<std::string, std::string>> hosts;  // host name -> IPv4 address
  std::vector<CellInfo> cells;  // empty: the region has none

  std::optional<std::string> address(const std::string& host) const;
  const CellInfo* find_cell(const std::string& name) const;
};

struct Topology {
  std::vector<RegionInfo> regions;

  const RegionInfo* find(const std::string& name) const;
  const RegionInfo& at(const std::string& name) const;  // throws std::out_of_range
  // Where a customer homed in `home` keeps its data: home first, then its
  // failover region if it has one.
  std::vector<std::string> replicas_of(const std::string& home) const;
};

Topology parse_topology(const std::string& json_text);  // throws on malformed input
Topology load_topology(const std::string& path);

}  // namespace faultline::kvstore
