#include "controllers/faults/shaping_plan.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <map>

#include "controllers/faults/fault_registry.hpp"

namespace faultline {

using injector::PacketMatch;

injector::NetemSpec to_netem(const LinkImpairment& i) {
  injector::NetemSpec n;
  n.delay_us = static_cast<std::uint32_t>(i.delay.count() * 1000);
  n.jitter_us = static_cast<std::uint32_t>(i.jitter.count() * 1000);
  n.delay_correlation = i.delay_correlation;
  n.distribution = i.distribution;
  n.loss = i.loss;
  n.loss_correlation = i.loss_correlation;
  n.duplicate = i.duplicate;
  n.reorder = i.reorder;
  n.reorder_correlation = i.reorder_correlation;
  n.corrupt = i.corrupt;
  return n;
}

LinkImpairment stack_impairments(const LinkImpairment& base, const LinkImpairment& fault) {
  LinkImpairment out = base;
  out.delay = base.delay + fault.delay;
  if (fault.jitter.count()) out.jitter = fault.jitter;
  if (fault.delay_correlation > 0) out.delay_correlation = fault.delay_correlation;
  if (!fault.distribution.empty()) out.distribution = fault.distribution;
  if (fault.loss > 0) {
    out.loss = fault.loss;
    out.loss_correlation = fault.loss_correlation;
  }
  if (fault.duplicate > 0) out.duplicate = fault.duplicate;
  if (fault.reorder > 0) {
    out.reorder = fault.reorder;
    out.reorder_correlation = fault.reorder_correlation;
  }
  if (fault.corrupt > 0) out.corrupt = fault.corrupt;
  if (fault.rate_bits) out.rate_bits = fault.rate_bits;
  return out;
}

namespace {

// Matches for packets to `dst` (both families), narrowed to ports if given:
// packets from or to the ports, so requests and answers alike.
void add_matches(std::vector<PacketMatch>& out, const std::optional<std::string>& dst_v4,
                 const std::optional<std::string>& dst_v6, const std::optional<PortRange>& ports,
                 std::uint8_t protocol) {
  for (int family : {AF_INET, AF_INET6}) {
    PacketMatch base;
    base.family = family;
    base.dst = family == AF_INET ? dst_v4 : dst_v6;
    if (base.dst && base.dst->empty()) continue;  // a compose stack may have no IPv6
    if (!ports) {
      out.push_back(base);
      continue;
    }
    base.protocol = protocol;
    for (const auto& mask : injector::port_range_masks(ports->low, ports->high)) {
      PacketMatch to = base, from = base;
      to.dport = mask;
      from.sport = mask;
      out.push_back(to);
      out.push_back(from);
    }
  }
}

injector::ShapingSpec spec_of(const LinkImpairment& impairment) {
  injector::ShapingSpec spec;
  spec.netem = to_netem(impairment);
  if (impairment.rate_bits) spec.rate_bits_per_second = impairment.rate_bits;
  return spec;
}

}  // namespace

std::vector<ShapingChange> plan_port_partition(const TopologyPlan& topology,
                                               const std::vector<std::vector<std::string>>& groups,
                                               bool one_way, const PortRange& ports,
                                               std::uint8_t protocol) {
  std::map<int, ShapingChange> by_source;
  for (size_t a = 0; a < groups.size(); ++a) {
    if (one_way && a > 0) break;
    for (size_t b = 0; b < groups.size(); ++b) {
      if (a == b) continue;
      for (const auto& from_name : groups[a])
        for (const auto& to_name : groups[b]) {
          const RegionPlan& from = topology.region(from_name);
          const RegionPlan& to = topology.region(to_name);
          auto [it, fresh] = by_source.try_emplace(
              from.index, ShapingChange{from.router_netns, from.wan_link, {}, 0});
          add_matches(it->second.spec.matches, to.lan_v4, to.lan_v6, ports, protocol);
        }
    }
  }
  std::vector<ShapingChange> changes;
  for (auto& [index, change] : by_source) changes.push_back(std::move(change));
  return changes;
}

std::vector<ShapingChange> plan_wan_baseline(const TopologyPlan& topology, const WanBaseline& wan) {
  std::vector<ShapingChange> changes;
  for (const auto& from : topology.regions) {
    ShapingChange change{from.router_netns, from.wan_link, spec_of(wan.impairment), 1};
    for (const auto& to : topology.regions)
      if (to.index != from.index)
        add_matches(change.spec.matches, to.lan_v4, to.lan_v6, std::nullopt, 0);
    changes.push_back(change);
  }
  return changes;
}

std::vector<ShapingChange> plan_host_egress_fault(const TopologyPlan& topology,
                                                  const FaultSpec& fault) {
  const HostPlan& db = topology.region(fault.region).host(fault.host);
  ShapingChange change{db.netns, db.link, spec_of(fault.impairment), 0};
  for (int family : {AF_INET, AF_INET6}) {
    PacketMatch m;
    m.family = family;
    m.protocol = fault.protocol;
    for (const auto& mask : injector::port_range_masks(fault.ports->low, fault.ports->high)) {
      m.sport = mask;
      change.spec.matches.push_back(m);
    }
  }
  return {change};
}

std::vector<ShapingChange> plan_link_fault(const TopologyPlan& topology, const FaultSpec& fault,
                                           const std::optional<WanBaseline>& wan) {
  std::vector<ShapingChange> changes;
  const LinkImpairment effective =
      wan ? stack_impairments(wan->impairment, fault.impairment) : fault.impairment;
  // One class per source router, selecting every destination the fault covers.
  std::map<int, ShapingChange> by_source;
  auto cover = [&](const RegionPlan& from, const RegionPlan& to) {
    auto [it, fresh] = by_source.try_emplace(
        from.index, ShapingChange{from.router_netns, from.wan_link, spec_of(effective), 0});
    add_matches(it->second.spec.matches, to.lan_v4, to.lan_v6, fault.ports, fault.protocol);
  };
  if (fault.between.size() == 2) {
    const RegionPlan& a = topology.region(fault.between[0]);
    const RegionPlan& b = topology.region(fault.between[1]);
    cover(a, b);
    if (!fault.one_way) cover(b, a);
  } else {
    for (const auto& from : topology.regions)
      for (const auto& to : topology.regions)
        if (from.index != to.index) cover(from, to);
  }
  for (auto& [index, change] : by_source) changes.push_back(std::move(change));
  return changes;
}

std::vector<ShapingChange> plan_traffic_fault(const TopologyPlan& topology, const FaultSpec& fault,
                                              const std::optional<WanBaseline>& wan) {
  if (kind_of(fault).shapes == ShapedPath::host_egress) return plan_host_egress_fault(topology, fault);
  return plan_link_fault(topology, fault, wan);
}

}  // namespace faultline
