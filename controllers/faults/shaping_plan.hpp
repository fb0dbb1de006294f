#pragma once
// Which interfaces a traffic-control fault shapes and how, as a pure function
// of the topology, so it can be printed (--dry-run) and tested without root.
//
// A fault on the WAN link from region A to region B shapes the egress of A's
// router towards the backbone (wan0), selecting packets whose destination is
// B's LAN; "both" directions adds the mirror image in B's router. A fault
// narrowed to ports selects packets from or to those ports. slow-db shapes the
// database host's own egress, selecting what its port sends: every answer
// leaves later, so each query takes that much longer, and nothing else from
// the region is touched.
//
// Composition with the WAN baseline: a fault's class takes the traffic it
// selects away from the baseline's class, so the fault carries the baseline
// too: delays add up, and every other parameter the fault sets replaces the
// baseline's.
#include <optional>
#include <string>
#include <vector>

#include "controllers/experiment/experiment.hpp"
#include "controllers/topology/plan.hpp"
#include "injector/tc_spec.hpp"

namespace faultline {

struct ShapingChange {
  std::string netns;
  std::string dev;
  injector::ShapingSpec spec;
  int band = 0;  // 0: a fault; 1: the baseline (consulted after faults)
};

injector::NetemSpec to_netem(const LinkImpairment& impairment);
// The fault's impairment on top of the baseline, per the rule above.
LinkImpairment stack_impairments(const LinkImpairment& baseline, const LinkImpairment& fault);

// A partition narrowed to ports: for each blocked direction, the source
// router's WAN egress drops packets to the other side's LANs that go from or
// to the ports (nf_tables drop rules; routes cannot see ports).
std::vector<ShapingChange> plan_port_partition(const TopologyPlan& topology,
                                               const std::vector<std::vector<std::string>>& groups,
                                               bool one_way, const PortRange& ports,
                                               std::uint8_t protocol);

std::vector<ShapingChange> plan_wan_baseline(const TopologyPlan& topology, const WanBaseline& wan);
// A fault on WAN links: its `between` (or every pair), on top of the baseline.
std::vector<ShapingChange> plan_link_fault(const TopologyPlan& topology, const FaultSpec& fault,
                                           const std::optional<WanBaseline>& wan);
// A fault on what one host sends from its ports (slow-db): the baseline does
// not shape a host's own link, so there is nothing to stack.
std::vector<ShapingChange> plan_host_egress_fault(const TopologyPlan& topology,
                                                  const FaultSpec& fault);
// Either, as the fault's kind says it shapes.
std::vector<ShapingChange> plan_traffic_fault(const TopologyPlan& topology, const FaultSpec& fault,
                                              const std::optional<WanBaseline>& wan);

}  // namespace faultline
