#include "controllers/swarm/swarm_provider.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>

#include "controllers/faults/fault_registry.hpp"
#include "controllers/run/experiment_run.hpp"
#include "controllers/swarm/swarm_service.hpp"
#include "controllers/swarm/swarm_topology.hpp"

namespace faultline::swarm {

namespace fs = std::filesystem;

agent::AgentTls SwarmOptions::tls() const {
  return {(fs::path(certs) / "ca.pem").string(), (fs::path(certs) / "controller.pem").string(),
          (fs::path(certs) / "controller-key.pem").string()};
}

SwarmOptions swarm_options(const RunOptions& o) {
  SwarmOptions s;
  s.manager = o.docker_socket;
  s.stack = o.compose_project;
  for (const auto& a : o.swarm_agents) {
    auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == a.size())
      throw std::invalid_argument("--agent wants NODE=ADDRESS[:PORT], got '" + a + "'");
    s.agents[a.substr(0, eq)] = a.substr(eq + 1);
  }
  s.agent_port = o.agent_port;
  s.certs = o.agent_certs;
  if (o.agent_lease_ms > 0) s.lease = std::chrono::milliseconds(o.agent_lease_ms);
  return s;
}

Cluster read_cluster(compose::DockerClient& manager, const SwarmOptions& options) {
  Cluster c;
  c.nodes = parse_nodes(manager.get("/nodes", "the swarm's nodes (is " + manager.socket_path() +
                                                  " a swarm manager's socket?)"));
  for (const auto& a : agent_addresses(c.nodes, options.agents, options.agent_port))
    c.agents[a.node] = {a.node, a.address, a.port};
  return c;
}

SwarmProvider::SwarmProvider(SwarmOptions options) : options_(std::move(options)) {}
SwarmProvider::~SwarmProvider() = default;

void SwarmProvider::preflight(const Experiment& e) {
  for (const auto& f : e.faults) {
    const auto& kind = kind_of(f);
    const std::string where = e.path + ":" + std::to_string(f.where.line) + ": " + f.kind;
    if (kind.needs_own_services || kind.family == FaultFamily::clock)
      throw CapabilityError(where +
                            " faults need services that faultline starts on libfaketime's clock, "
                            "which the swarm provider does not; nothing was touched. Run it with "
                            "--provider namespaces");
    if (kind.family == FaultFamily::command)
      throw CapabilityError(where +
                            " faults run a program in a host faultline builds; in a swarm task's "
                            "container they are not offered yet; nothing was touched. Run it with "
                            "--provider namespaces");
  }
  if (options_.certs.empty())
    throw CapabilityError("--provider swarm: no certificates for the agents; make them with "
                          "`faultline certs DIR --agent NODE ...` and pass --agent-certs DIR "
                          "(or FAULTLINE_AGENT_CERTS=DIR)");
  for (const auto& file : {options_.tls().ca, options_.tls().cert, options_.tls().key})
    if (!fs::exists(file))
      throw CapabilityError("--agent-certs " + options_.certs + ": no " +
                            fs::path(file).filename().string() +
                            " there; make the folder with `faultline certs " + options_.certs +
                            " --agent NODE ...`");
  compose::DockerClient manager(options_.manager);
  if (!manager.available())
    throw CapabilityError("--provider swarm: no Docker daemon answers on " + options_.manager +
                          "; nothing was touched. Give a swarm manager's socket with "
                          "--docker-socket (scripts/swarm.sh start makes one)");
}

TopologyPlan SwarmProvider::plan(const Experiment& e, const std::string& run_id) {
  run_id_ = run_id;
  compose::DockerClient manager(options_.manager);
  cluster_ = read_cluster(manager, options_);
  const std::string running = nlohmann::json{{"desired-state", {"running"}}}.dump();
  auto tasks = parse_tasks(manager.get("/tasks?filters=" + running, "the swarm's tasks"));

  // Each node holding a task of a region: its agent's inventory.
  std::map<std::string, std::string> hostname;  // node id -> hostname
  for (const auto& n : cluster_.nodes) hostname[n.id] = n.hostname;
  std::set<std::string> holding;
  for (const auto& t : tasks)
    if (!t.label(compose::kRegionLabel).empty()) holding.insert(hostname[t.node_id]);
  std::vector<AgentContainer> inventory;
  for (const auto& node : holding) {
    agent::AgentClient client(cluster_.agents.at(node), options_.tls());
    for (auto& c : parse_inventory(client.inventory())) inventory.push_back(std::move(c));
  }

  std::vector<RegionInput> regions;
  for (const auto& r : e.regions) regions.push_back({r.name, r.geo});
  auto containers = containers_of(tasks, inventory);
  plan_ = compose::plan_from_containers(regions, e.hosts, containers, options_.stack);
  assign_links(plan_, inventory);
  plan_.run_id = "swarm";

  const auto node_of = nodes_of_namespaces(tasks, containers);
  for (const auto& c : containers) {
    const std::string netns = c.name + "@" + std::to_string(c.pid);
    auto it = node_of.find(netns);
    if (it == node_of.end()) continue;
    placements_[{c.label(compose::kRegionLabel), c.label(compose::kHostLabel)}] = {
        hostname[it->second], c.id, netns, c.pid};
  }
  for (const auto& s : e.services) hosts_of_services_[s.name] = s.host;
  return plan_;
}

std::vector<std::string> SwarmProvider::describe(const TopologyPlan&) const {
  std::vector<std::string> lines{
      "topology: the swarm stack's tasks (namespace names are container@pid), on " +
      std::to_string(cluster_.nodes.size()) + " nodes"};
  for (const auto& [node, a] : cluster_.agents)
    lines.push_back("  node " + node + ": agent at " + a.address + ":" + std::to_string(a.port));
  return lines;
}

void SwarmProvider::journal(JournalEntry& entry) const {
  entry.provider = "swarm";
  entry.docker_socket = options_.manager;
}

void SwarmProvider::build(RunJournal& journal) {
  journal_ = &journal;
  std::map<std::string, pid_t> pids;
  for (const auto& [key, p] : placements_) pids[p.netns] = p.pid;
  topology_ = std::make_unique<SwarmTopology>(plan_, pids);
  for (const auto& region : plan_.regions)
    spdlog::info("region {}: on node {}, gateway {} (WAN {} on {}), LAN {}", region.name,
                 placement(region.name, compose::kGatewayHost).node, region.router_netns,
                 region.wan_v4, region.wan_link, region.lan_v4);
}

Topology& SwarmProvider::topology() { return *topology_; }

void SwarmProvider::start_services(const Experiment& e, const ServiceContext&) {
  for (const auto& region : plan_.regions)
    for (const auto& s : e.services) {
      const Placement& p = placement(region.name, s.host);
      services_.add(region.name, s.name,
                    std::make_unique<SwarmService>(
                        s.name + "@" + region.name, p.node, p.container, p.pid,
                        [this]() -> agent::RemoteActuator& {
                          if (remote_ == nullptr)
                            throw std::logic_error("a swarm service acted on before the run's actuator");
                          return *remote_;
                        }));
      spdlog::info("{}@{} is container {} on node {}", s.name, region.name, p.netns, p.node);
    }
}

void SwarmProvider::claim(const std::string& netns) {
  for (const auto& [key, p] : placements_)
    if (p.netns == netns) {
      journal_->container(p.container, "touched");
      return;
    }
  throw std::logic_error("refusing to act on namespace " + netns + ": it is no region's container");
}

std::unique_ptr<Actuator> SwarmProvider::actuator(const ActuatorContext& context) {
  std::map<std::string, agent::AgentEndpoint> used;
  for (const auto& [key, p] : placements_) used[p.node] = cluster_.agents.at(p.node);
  // Each agent resolves "auto" against its own node's kernel; this machine's
  // probe (context.engine) says nothing about theirs.
  auto remote = std::make_unique<agent::RemoteActuator>(
      *this, used, options_.tls(), options_.lease.value_or(context.lease), run_id_,
      context.requested_engine, context.seed);
  // Every node greeted now: a missing agent fails the run before any fault.
  remote->connect_all();
  remote_ = remote.get();
  return remote;
}

const SwarmProvider::Placement& SwarmProvider::placement(const std::string& region,
                                                         const std::string& host) const {
  auto it = placements_.find({region, host});
  if (it == placements_.end())
    throw std::out_of_range("region " + region + " has no task for host " + host);
  return it->second;
}

std::string SwarmProvider::node_of_netns(const std::string& netns) const {
  for (const auto& [key, p] : placements_)
    if (p.netns == netns) return p.node;
  throw std::out_of_range("no task of the stack holds namespace " + netns);
}

std::pair<std::string, std::string> SwarmProvider::container_of(const std::string& region,
                                                                const std::string& service) const {
  auto host = hosts_of_services_.find(service);
  if (host == hosts_of_services_.end()) throw std::out_of_range("no service " + service);
  const Placement& p = placement(region, host->second);
  return {p.node, p.container};
}

std::vector<std::string> SwarmProvider::sweep_nodes(const SwarmOptions& options) {
  compose::DockerClient manager(options.manager);
  if (!manager.available())
    throw std::runtime_error("recover --provider swarm: no Docker daemon answers on " +
                             options.manager + "; give a manager's socket with --docker-socket");
  std::vector<std::string> lines;
  for (const auto& [node, endpoint] : read_cluster(manager, options).agents) {
    agent::AgentClient client(endpoint, options.tls());
    auto removed = client.sweep();
    for (const auto& r : removed) lines.push_back("node " + node + ": removed " + r);
    if (removed.empty()) lines.push_back("node " + node + ": nothing of faultline's");
  }
  return lines;
}

void SwarmProvider::recover(const JournalEntry& run, const RecoveryScope&, RecoveryOutcome& out) {
  out.lines.push_back("swarm run " + run.run_id +
                      ": its agents reverted its faults when its lease ran out; "
                      "`faultline recover --provider swarm --agent-certs DIR` sweeps every node");
}

}  // namespace faultline::swarm
