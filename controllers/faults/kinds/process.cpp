// kill, pause and restart: signals to one service's processes in one region.
// They read alike and differ in what the step does and whether it lasts.
#include "controllers/faults/kinds/common.hpp"

namespace faultline {

namespace {

using namespace fault_kinds;

void read(const FaultTable& in, FaultSpec& f) {
  read_region(in, f);
  read_service(in, f, true);
}

std::vector<KeySpec> keys(const std::string& done_to) {
  return {region_key("the region whose service " + done_to),
          service_key("the service " + done_to + " (one of the [[service]] names)", true)};
}

template <ProcessAction action>
std::vector<PlanStep> plan(const FaultPlanning&, const FaultSpec& f) {
  return {ProcessStep{action, f.region, f.service}};
}

}  // namespace

const FaultKind& kill_fault() {
  static const FaultKind kind{
      .name = "kill",
      .summary = "SIGKILL to a service's processes; started again when the fault ends",
      .keys = keys("is killed"),
      .family = FaultFamily::process,
      .read = read,
      .plan = plan<ProcessAction::kill>,
      .describe = describe_in_region,
  };
  return kind;
}

const FaultKind& pause_fault() {
  static const FaultKind kind{
      .name = "pause",
      .summary = "SIGSTOP to a service's processes; SIGCONT when the fault ends",
      .keys = keys("is paused"),
      .family = FaultFamily::process,
      .read = read,
      .plan = plan<ProcessAction::pause>,
      .describe = describe_in_region,
  };
  return kind;
}

const FaultKind& restart_fault() {
  static const FaultKind kind{
      .name = "restart",
      .summary = "SIGKILL to a service's processes and a fresh start, at once",
      .keys = keys("is restarted"),
      .family = FaultFamily::process,
      .lasting = false,
      .read = read,
      .plan = plan<ProcessAction::restart>,
      .describe = describe_in_region,
  };
  return kind;
}

}  // namespace faultline
