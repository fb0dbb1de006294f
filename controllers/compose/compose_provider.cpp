#include "controllers/compose/compose_provider.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

#include "controllers/compose/container_service.hpp"
#include "controllers/faults/fault_registry.hpp"
#include "controllers/run/experiment_run.hpp"
#include "injector/network_namespace.hpp"
#include "injector/sweep.hpp"

namespace faultline::compose {

void ComposeProvider::preflight(const Experiment& e) {
  for (const auto& f : e.faults)
    if (kind_of(f).needs_own_services)
      throw CapabilityError(e.path + ": " + f.kind +
                            " faults need services that faultline starts (it puts "
                            "them on libfaketime's clock), which the compose provider does not; "
                            "nothing was touched. Run it with --provider namespaces");
  // A command would have to run inside its container, from the image (docker
  // exec), which is not offered yet: this machine's program in a container's
  // namespace is not what an experiment written for the stack means.
  for (const auto& f : e.faults)
    if (kind_of(f).family == FaultFamily::command)
      throw CapabilityError(e.path + ":" + std::to_string(f.where.line) + ": " + f.kind +
                            " faults run a program in a host faultline builds; inside a compose "
                            "stack's container (docker exec) they are not offered yet; nothing was "
                            "touched. Run it with --provider namespaces");
  DockerClient docker(socket_);
  if (!docker.available())
    throw CapabilityError("--provider compose: no Docker daemon answers on " + socket_ +
                          "; nothing was touched. Start one (scripts/dockerd.sh start), then "
                          "the stack (docker-compose up -d)");
}

TopologyPlan ComposeProvider::plan(const Experiment& e, const std::string&) {
  // Read-only: the stack's containers, their addresses and links.
  docker_ = std::make_unique<DockerClient>(socket_);
  std::vector<RegionInput> regions;
  for (const auto& r : e.regions) regions.push_back({r.name, r.geo});
  topology_ = ComposeTopology::discover(*docker_, regions, e.hosts, project_);
  return topology_->plan();
}

std::vector<std::string> ComposeProvider::describe(const TopologyPlan&) const {
  return {"topology: the compose stack's containers (namespace names are container@pid)"};
}

void ComposeProvider::journal(JournalEntry& entry) const {
  entry.provider = "compose";
  entry.docker_socket = socket_;
}

void ComposeProvider::build(RunJournal& journal) {
  journal_ = &journal;
  for (const auto& region : topology_->plan().regions)
    spdlog::info("region {}: gateway {} (WAN {} on {}), LAN {}", region.name,
                 topology_->container(region.name, kGatewayHost).name, region.wan_v4,
                 region.wan_link, region.lan_v4);
}

void ComposeProvider::claim(const std::string& netns) {
  for (const auto& region : topology_->plan().regions) {
    if (region.router_netns == netns) {
      journal_->container(topology_->container(region.name, kGatewayHost).id, "touched");
      return;
    }
    for (const auto& h : region.hosts)
      if (h.netns == netns) {
        journal_->container(topology_->container(region.name, h.name).id, "touched");
        return;
      }
  }
  throw std::logic_error("refusing to act on namespace " + netns + ": it is no region's container");
}

// The experiment's services are the stack's containers, by host.
void ComposeProvider::start_services(const Experiment& e, const ServiceContext&) {
  for (const auto& region : topology_->plan().regions)
    for (const auto& s : e.services) {
      const std::string label = s.name + "@" + region.name;
      services_.add(region.name, s.name,
                    std::make_unique<ContainerService>(
                        *topology_, region.name, s.host, label,
                        [this](const std::string& id, const std::string& state) {
                          journal_->container(id, state);
                        }));
      spdlog::info("{} is container {} on {}", label,
                   topology_->container(region.name, s.host).name, region.host(s.host).ipv4);
    }
}

void ComposeProvider::recover(const JournalEntry& run, const RecoveryScope& scope,
                              RecoveryOutcome& out) {
  if (run.containers.empty()) return;
  DockerClient docker(run.docker_socket.empty() ? kDefaultDockerSocket : run.docker_socket);
  for (const auto& [id, state] : run.containers) {
    const std::string short_id = id.substr(0, 12);
    if (scope.containers_in_use.count(id)) {
      out.problems.push_back("container " + short_id + " is in use by a live run; left alone");
      continue;
    }
    try {
      Container c = docker.inspect(id);
      if (c.paused) {
        docker.unpause(id);
        out.lines.push_back("unpaused container " + c.name);
      }
      if (!c.running && state == "killed") {
        docker.start(id);
        out.lines.push_back("started container " + c.name + " again");
        for (int i = 0; i < 100 && !(c = docker.inspect(id)).running; ++i)
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (c.running && c.pid != 0) {
        auto ns = injector::NamespaceFd::open_path("/proc/" + std::to_string(c.pid) + "/ns/net");
        for (const auto& line : injector::sweep_faults(ns, "container " + c.name))
          out.lines.push_back("removed " + line + " in container " + c.name);
      }
    } catch (const std::exception& e) {
      out.problems.push_back("container " + short_id + ": " + e.what());
    }
  }
}

}  // namespace faultline::compose
