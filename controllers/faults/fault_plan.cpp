#include "controllers/faults/fault_plan.hpp"

#include "controllers/faults/partition_plan.hpp"

namespace faultline {

const std::string& step_netns(const PlanStep& step) {
  static const std::string none;
  return std::visit(
      [](const auto& s) -> const std::string& {
        using T = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<T, RouteStep> || std::is_same_v<T, DropRuleStep>)
          return s.netns;
        else if constexpr (std::is_same_v<T, ShapeStep>)
          return s.change.netns;
        else
          return none;
      },
      step);
}

namespace {

std::string describe_ports(const PortRange& ports) {
  return std::to_string(ports.low) +
         (ports.high != ports.low ? "-" + std::to_string(ports.high) : "");
}

std::vector<PlanStep> partition_steps(const TopologyPlan& topology, const FaultSpec& f,
                                      std::size_t index) {
  std::vector<PlanStep> steps;
  if (f.ports) {
    // Routes cannot see ports: drop rules in the routers' nf_tables.
    for (auto& change : plan_port_partition(topology, f.groups, f.one_way, *f.ports, f.protocol))
      steps.push_back(DropRuleStep{change.netns, change.dev, std::move(change.spec.matches)});
    return steps;
  }
  const auto drop = f.prohibit ? injector::RouteType::prohibit : injector::RouteType::blackhole;
  for (auto& change :
       plan_partition(topology, f.groups, f.one_way, drop, partition_metric(index)))
    steps.push_back(RouteStep{change.netns, std::move(change.route)});
  return steps;
}

std::vector<PlanStep> fault_steps(const Experiment& e, const TopologyPlan& topology,
                                  const FaultSpec& f, std::size_t index) {
  if (f.kind == FaultKind::partition || f.kind == FaultKind::isolate)
    return partition_steps(topology, f, index);
  if (is_traffic_fault(f.kind)) {
    std::vector<PlanStep> steps;
    for (auto& change : plan_traffic_fault(topology, f, e.wan))
      steps.push_back(ShapeStep{std::move(change)});
    return steps;
  }
  switch (f.kind) {
    case FaultKind::kill:
      return {ProcessStep{ProcessAction::kill, f.region, f.service}};
    case FaultKind::pause:
      return {ProcessStep{ProcessAction::pause, f.region, f.service}};
    case FaultKind::restart:
      return {ProcessStep{ProcessAction::restart, f.region, f.service}};
    case FaultKind::clock_skew:
      return {ClockStep{f.region, f.service, f.offset, f.drift}};
    default:
      return {};
  }
}

}  // namespace

std::string describe_fault(const FaultSpec& f) {
  std::string text = fault_kind_name(f.kind);
  if (f.kind == FaultKind::partition) {
    text += " ";
    if (f.ports) text += "port " + describe_ports(*f.ports) + " ";
    for (size_t g = 0; g < f.groups.size(); ++g) {
      if (g) text += f.one_way ? " -/-> " : " | ";
      text += "[";
      for (size_t i = 0; i < f.groups[g].size(); ++i) text += (i ? "," : "") + f.groups[g][i];
      text += "]";
    }
  } else if (is_traffic_fault(f.kind) && f.kind != FaultKind::slow_db) {
    text += f.between.empty() ? " every region pair"
                              : " " + f.between[0] + (f.one_way ? " -> " : " <-> ") + f.between[1];
    if (f.ports) text += " port " + describe_ports(*f.ports);
  } else {
    text += " " + f.region;
    if (!f.service.empty()) text += "/" + f.service;
    if (f.kind == FaultKind::slow_db)
      text += "/" + f.host + " port " + std::to_string(f.ports->low);
  }
  return text;
}

std::vector<FaultPlan> plan_faults(const Experiment& e, const TopologyPlan& topology) {
  std::vector<FaultPlan> plans;
  for (std::size_t i = 0; i < e.faults.size(); ++i) {
    const FaultSpec& f = e.faults[i];
    plans.push_back({.fault = i,
                     .kind = fault_kind_name(f.kind),
                     .what = describe_fault(f),
                     .lasting = f.kind != FaultKind::restart,
                     .steps = fault_steps(e, topology, f, i)});
  }
  return plans;
}

std::vector<PlanStep> plan_baseline(const Experiment& e, const TopologyPlan& topology) {
  std::vector<PlanStep> steps;
  if (!e.wan) return steps;
  for (auto& change : plan_wan_baseline(topology, *e.wan)) steps.push_back(ShapeStep{std::move(change)});
  return steps;
}

}  // namespace faultline
