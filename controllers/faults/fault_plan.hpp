#pragma once
// What each fault will do, as values made once, after validation and before
// anything exists. The dry run renders these values and the actuator applies
// the same ones, so the two cannot disagree; a random nemesis can draw them
// and a shrinker can edit them.
//
// A plan is a list of steps. Each step names the place it acts on by the
// namespace's name in the topology plan and is one of:
//   RouteStep      a blackhole or prohibit route in a region's router;
//   DropRuleStep   nf_tables drop rules on one interface (partitions narrowed
//                  to ports, which routes cannot see);
//   ShapeStep      an HTB class with a netem leaf or a rate, and its filters;
//   ProcessStep    SIGKILL, SIGSTOP or kill-and-start of one service;
//   ClockStep      the offset and drift a region's clocks follow;
//   CommandStep    a program run in one host, and another at the end.
// A fault's steps are applied in order and reverted newest first.
#include <cstddef>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "controllers/experiment/experiment.hpp"
#include "controllers/faults/shaping_plan.hpp"
#include "controllers/topology/plan.hpp"
#include "injector/route_spec.hpp"

namespace faultline {

struct RouteStep {
  std::string netns;
  injector::Route route;
};

struct DropRuleStep {
  std::string netns;
  std::string dev;
  std::vector<injector::PacketMatch> matches;
};

struct ShapeStep {
  ShapingChange change;
};

enum class ProcessAction { kill, pause, restart };

struct ProcessStep {
  ProcessAction action = ProcessAction::kill;
  std::string region;
  std::string service;
};

struct ClockStep {
  std::string region;
  std::string service;  // empty: every service of the region
  Duration offset{0};
  double drift = 0;
};

// A program run in a host's network namespace as `user`, waited for up to
// `timeout`; `at_end`, when given, runs there when the fault ends. The argv
// are expanded (addresses, region) but for {results}, which stays literal
// until the run knows its folder (kResultsPlaceholder); argv[0] is the
// program's absolute path.
struct CommandStep {
  std::size_t fault = 0;  // names its output's log: fault-<fault>-command.log
  std::string region;
  std::string host;
  std::string netns;  // the host's, as the topology plan names it
  std::vector<std::string> run;
  std::vector<std::string> at_end;
  std::string user = "nobody";
  Duration timeout{30000};
};

inline constexpr const char* kResultsPlaceholder = "{results}";

using PlanStep =
    std::variant<RouteStep, DropRuleStep, ShapeStep, ProcessStep, ClockStep, CommandStep>;

// The namespace a step changes (a command's: where it runs), or empty for
// steps on processes and clocks.
const std::string& step_netns(const PlanStep& step);

struct FaultPlan {
  std::size_t fault = 0;  // index into the experiment's faults
  std::string kind;       // "partition", "slow-db", ...
  std::string what;       // one line for logs, the journal and the history
  // Whether the fault stays in force until it is reverted. A restart is over
  // once applied: nothing of it remains to undo.
  bool lasting = true;
  std::vector<PlanStep> steps;
};

// One line naming what a fault does: "partition [us-east-1] | [eu-west-1,ap-south-1]".
std::string describe_fault(const FaultSpec& fault);

// Every fault's plan, in the experiment's order, as each fault's kind plans
// it. Pure: the topology plan is the one the provider will build or has found.
std::vector<FaultPlan> plan_faults(const Experiment& experiment, const TopologyPlan& topology);

// The WAN baseline's steps (in force for the whole run), empty without [wan].
std::vector<PlanStep> plan_baseline(const Experiment& experiment, const TopologyPlan& topology);

}  // namespace faultline
