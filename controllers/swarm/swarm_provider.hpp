#pragma once
// The swarm provider: a Docker Swarm stack's tasks are the regions, spread
// over the swarm's nodes. The controller asks a manager's API which tasks
// carry the compose stack's labels and on which node each runs, asks each
// node's faultline-agent which containers it holds (pids, interfaces), plans
// the regions with the compose provider's plan_from_containers, and sends
// every fault step to the agent of the node that holds it (RemoteActuator):
// the agents apply them with the same kernel code a local run uses, and
// revert them by themselves should the controller fall silent for a lease.
//
// The workload, the health checks and the final reads run from each region's
// client container, entered through /proc/PID/ns/net as the compose provider
// does: the controller runs where it can see every node's processes (one
// machine holding the nodes, as the swarm lane's). Refused: clock faults
// (services faultline starts on libfaketime's clock) and command faults (a
// program in a host faultline builds).
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "controllers/agent/remote_actuator.hpp"
#include "controllers/compose/docker_client.hpp"
#include "controllers/providers/provider.hpp"
#include "controllers/services/service_set.hpp"
#include "controllers/swarm/swarm_cluster.hpp"

namespace faultline::swarm {

// How the controller reaches the swarm and its agents (from the command
// line: --docker-socket, --agent, --agent-port, --agent-certs, --agent-lease).
struct SwarmOptions {
  std::string manager;  // a manager's Docker API socket
  std::string stack;    // the stack's namespace, when several hold the regions
  std::map<std::string, std::string> agents;  // node -> ADDRESS[:PORT], overriding its swarm address
  int agent_port = agent::kDefaultAgentPort;
  std::string certs;  // a folder `faultline certs` made: ca.pem, controller.pem, controller-key.pem
  std::optional<std::chrono::milliseconds> lease;  // --agent-lease; else the experiment's

  agent::AgentTls tls() const;
};
SwarmOptions swarm_options(const RunOptions& options);

// The swarm's nodes and their agents' endpoints, read from the manager.
struct Cluster {
  std::vector<SwarmNode> nodes;
  std::map<std::string, agent::AgentEndpoint> agents;  // by node hostname
};
Cluster read_cluster(compose::DockerClient& manager, const SwarmOptions& options);

class SwarmTopology;

class SwarmProvider final : public Provider, public agent::AgentDirectory {
 public:
  explicit SwarmProvider(SwarmOptions options);
  ~SwarmProvider() override;

  void preflight(const Experiment& experiment) override;
  TopologyPlan plan(const Experiment& experiment, const std::string& run_id) override;
  std::vector<std::string> describe(const TopologyPlan& plan) const override;
  void journal(JournalEntry& entry) const override;
  void build(RunJournal& journal) override;
  Topology& topology() override;
  void start_services(const Experiment& experiment, const ServiceContext& context) override;
  Service& service(const std::string& region, const std::string& name) override {
    return services_.at(region, name);
  }
  void claim(const std::string& netns) override;
  std::unique_ptr<Actuator> actuator(const ActuatorContext& context) override;

  // AgentDirectory
  std::string node_of_netns(const std::string& netns) const override;
  std::pair<std::string, std::string> container_of(const std::string& region,
                                                  const std::string& service) const override;

  // `faultline recover --provider swarm`: every node's agent sweeps what
  // carries faultline's marks on its node. Returns what each removed.
  static std::vector<std::string> sweep_nodes(const SwarmOptions& options);
  // A dead swarm run's journal entry: its agents reverted its faults when its
  // lease ran out; nothing here can reach them without the certificates.
  static void recover(const JournalEntry& run, const RecoveryScope& scope, RecoveryOutcome& out);

 private:
  struct Placement {
    std::string node;       // hostname
    std::string container;  // id on that node
    std::string netns;      // "<container>@<pid>"
    pid_t pid = 0;
  };
  const Placement& placement(const std::string& region, const std::string& host) const;

  SwarmOptions options_;
  Cluster cluster_;
  std::string run_id_;
  TopologyPlan plan_;
  std::map<std::pair<std::string, std::string>, Placement> placements_;  // (region, host)
  std::map<std::string, std::string> hosts_of_services_;                 // service -> host
  std::unique_ptr<SwarmTopology> topology_;
  RunJournal* journal_ = nullptr;
  agent::RemoteActuator* remote_ = nullptr;  // the run's, owned by the run; outlives no service call
  ServiceSet services_;
};

}  // namespace faultline::swarm
