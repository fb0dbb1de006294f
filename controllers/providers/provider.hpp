#pragma once
// Where a run's regions live. A provider owns the topology (namespaces it
// builds, or a compose stack's containers it finds), the services in it,
// the rule for which namespaces a run may act on, its part of the run's
// journal and its part of `faultline recover`. Nothing outside a provider
// asks which provider runs: the run, the actuator and the CLI see this
// interface and the registry below.
//
// Adding a provider: a class implementing Provider in its own folder, and
// one entry in provider_kinds() (controllers/providers/provider_kinds.cpp).
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "controllers/experiment/experiment.hpp"
#include "controllers/faults/actuator.hpp"
#include "controllers/run/recover.hpp"
#include "controllers/run/run_journal.hpp"
#include "controllers/services/service.hpp"
#include "controllers/topology/topology.hpp"

namespace faultline {

struct RunOptions;

// The system under test could not be started (a service exited during
// startup, or never answered its health check): exit 3, not an internal
// error. The message names the service, its region, how it ended and the
// end of its log.
class TargetError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What starting a service needs from the run.
struct ServiceContext {
  std::string results;    // the run's results folder (absolute)
  std::string faketime;   // libfaketime, when the experiment skews clocks
  // The file a region's libfaketime clock follows.
  std::function<std::string(const std::string& region)> clock_file;
};

// What the run's actuator needs from the run.
struct ActuatorContext {
  std::string engine;     // "netem", "nfqueue" or "none": who serves netem-style shaping
  std::uint64_t seed = 0;
  std::function<std::string(const std::string& region)> clock_file;
  std::string results;    // the run's results folder (absolute)
  // What the experiment asked for, for actuators on other machines, whose
  // kernels this machine's probe says nothing about: "auto", "netem", "nfqueue".
  std::string requested_engine = "auto";
  std::chrono::milliseconds lease{3000};  // [experiment] lease
};

class Provider {
 public:
  virtual ~Provider() = default;

  // Refuses, before anything is created, an experiment this provider cannot
  // run here (throws CapabilityError with the fix).
  virtual void preflight(const Experiment& experiment) = 0;
  // The regions' names, addresses and links, before anything is created:
  // the namespace provider computes them, the compose provider reads them
  // from the stack (read-only). Fault plans are made from this.
  virtual TopologyPlan plan(const Experiment& experiment, const std::string& run_id) = 0;
  // Lines the dry run prints above the regions.
  virtual std::vector<std::string> describe(const TopologyPlan& plan) const = 0;
  // What `faultline recover` needs to undo this run if its controller dies.
  virtual void journal(JournalEntry& entry) const = 0;

  // Builds or takes over the planned regions. The journal exists by now and
  // outlives the provider.
  virtual void build(RunJournal& journal) = 0;
  virtual Topology& topology() = 0;
  virtual void start_services(const Experiment& experiment, const ServiceContext& context) = 0;
  virtual Service& service(const std::string& region, const std::string& name) = 0;
  // Before any change in `netns`: refuses a namespace this run may not act
  // on, whatever the experiment says, and journals what recovery will need.
  virtual void claim(const std::string& netns) = 0;
  // Who applies the run's fault plans, made once build() is done. By default
  // this machine's kernel, in the provider's namespaces (LocalActuator); a
  // provider whose regions live on other machines returns one that sends
  // each step to the node holding its namespace.
  virtual std::unique_ptr<Actuator> actuator(const ActuatorContext& context);
};

struct ProviderKind {
  std::string name;
  std::string summary;  // for --help
  // Whether faultline starts the experiment's services itself: then their
  // programs must exist here, and it needs the privileges to start them.
  bool starts_services = true;
  std::function<std::unique_ptr<Provider>(const RunOptions&)> make;
  // Undoes what a dead run of this provider left behind (`in_use`: what live
  // runs hold, never touched).
  std::function<void(const JournalEntry& run, const RecoveryScope& in_use, RecoveryOutcome& out)>
      recover;
};

const std::vector<ProviderKind>& provider_kinds();
// Throws std::invalid_argument naming the known providers.
const ProviderKind& provider_kind(const std::string& name);
std::vector<std::string> provider_names();

}  // namespace faultline
