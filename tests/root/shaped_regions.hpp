#pragma once
// A three-region topology (us, eu, ap; hosts app, db, client) for tests that
// apply traffic-control faults, with the shaped interfaces they share, and
// builders for the faults the tests use.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "controllers/faults/shaping_plan.hpp"
#include "controllers/topology/netns_topology.hpp"
#include "injector/traffic_control.hpp"
#include "root/netns_helpers.hpp"

namespace faultline::testing {

struct ShapedRegions {
  TopologyPlan plan = plan_topology(unique_run_id(), {{"us", "us"}, {"eu", "eu"}, {"ap", "ap"}},
                                    {"app", "db", "client"});
  std::unique_ptr<NamespaceTopology> topology = NamespaceTopology::build(plan);
  std::map<std::pair<std::string, std::string>, std::shared_ptr<injector::ShapedInterface>> shapers;
  std::optional<WanBaseline> wan;

  std::vector<injector::ShapingGuard> shape(const std::vector<ShapingChange>& changes) {
    std::vector<injector::ShapingGuard> guards;
    for (const auto& change : changes) {
      auto& s = shapers[{change.netns, change.dev}];
      if (!s)
        s = injector::ShapedInterface::open(topology->socket(change.netns), change.netns,
                                            change.dev);
      guards.push_back(s->shape(change.spec, change.band));
    }
    return guards;
  }
  std::vector<injector::ShapingGuard> apply(const FaultSpec& f) {
    return shape(plan_traffic_fault(plan, f, wan));
  }
  // The qdiscs of every router's WAN link and every database host's link.
  std::vector<std::string> trees() {
    std::vector<std::string> all;
    for (const auto& r : plan.regions) {
      for (auto& line : injector::qdisc_tree(*topology->socket(r.router_netns), kRouterWanLink))
        all.push_back(r.name + " " + line);
      for (auto& line : injector::qdisc_tree(*topology->socket(r.host("db").netns), kHostLink))
        all.push_back(r.name + "/db " + line);
    }
    return all;
  }
  const injector::NamespaceFd& host(const std::string& r, const std::string& h) {
    return topology->host(r, h);
  }
  const injector::NamespaceFd& router(const std::string& r) {
    return topology->netns(plan.region(r).router_netns);
  }
  std::string v4(const std::string& r, const std::string& h) { return plan.region(r).host(h).ipv4; }
  std::string v6(const std::string& r, const std::string& h) { return plan.region(r).host(h).ipv6; }
};

inline FaultSpec link_fault(std::string kind, std::vector<std::string> between, bool one_way) {
  FaultSpec f;
  f.kind = std::move(kind);
  f.between = std::move(between);
  f.one_way = one_way;
  return f;
}

inline FaultSpec bandwidth(std::vector<std::string> between, std::uint64_t bits) {
  FaultSpec f = link_fault("bandwidth", std::move(between), false);
  f.impairment.rate_bits = bits;
  return f;
}

// slow-db on `region`'s db host, PostgreSQL's port.
inline FaultSpec slow_db(const std::string& region, Duration delay) {
  FaultSpec f;
  f.kind = "slow-db";
  f.region = region;
  f.host = "db";
  f.ports = PortRange{5432, 5432};
  f.impairment.delay = delay;
  return f;
}

}  // namespace faultline::testing
