#include "controllers/faults/fault_plan.hpp"

#include "controllers/faults/fault_registry.hpp"

namespace faultline {

const std::string& step_netns(const PlanStep& step) {
  static const std::string none;
  return std::visit(
      [](const auto& s) -> const std::string& {
        using T = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<T, RouteStep> || std::is_same_v<T, DropRuleStep> ||
                      std::is_same_v<T, CommandStep>)
          return s.netns;
        else if constexpr (std::is_same_v<T, ShapeStep>)
          return s.change.netns;
        else
          return none;
      },
      step);
}

std::string describe_fault(const FaultSpec& f) { return kind_of(f).describe(f); }

std::vector<FaultPlan> plan_faults(const Experiment& e, const TopologyPlan& topology) {
  std::vector<FaultPlan> plans;
  for (std::size_t i = 0; i < e.faults.size(); ++i) {
    const FaultSpec& f = e.faults[i];
    const FaultKind& kind = kind_of(f);
    plans.push_back({.fault = i,
                     .kind = f.kind,
                     .what = kind.describe(f),
                     .lasting = fault_lasts(f),
                     .steps = kind.plan(FaultPlanning{e, topology, i}, f)});
  }
  return plans;
}

std::vector<PlanStep> plan_baseline(const Experiment& e, const TopologyPlan& topology) {
  std::vector<PlanStep> steps;
  if (!e.wan) return steps;
  for (auto& change : plan_wan_baseline(topology, *e.wan))
    steps.push_back(ShapeStep{std::move(change)});
  return steps;
}

}  // namespace faultline
