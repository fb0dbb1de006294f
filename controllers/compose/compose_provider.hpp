#pragma once
// The compose provider: a running compose stack's containers are the
// regions (see compose_topology.hpp). It creates nothing; it journals every
// container before the run acts on it, and leaves each as it found it.
#include <memory>
#include <string>

#include "controllers/compose/compose_topology.hpp"
#include "controllers/compose/docker_client.hpp"
#include "controllers/providers/provider.hpp"
#include "controllers/services/service_set.hpp"

namespace faultline::compose {

class ComposeProvider final : public Provider {
 public:
  ComposeProvider(std::string docker_socket, std::string project)
      : socket_(std::move(docker_socket)), project_(std::move(project)) {}

  void preflight(const Experiment& experiment) override;
  TopologyPlan plan(const Experiment& experiment, const std::string& run_id) override;
  std::vector<std::string> describe(const TopologyPlan& plan) const override;
  void journal(JournalEntry& entry) const override;
  void build(RunJournal& journal) override;
  Topology& topology() override { return *topology_; }
  void start_services(const Experiment& experiment, const ServiceContext& context) override;
  Service& service(const std::string& region, const std::string& name) override {
    return services_.at(region, name);
  }
  void claim(const std::string& netns) override;

  // Unpauses, restarts and sweeps the containers a dead run touched.
  static void recover(const JournalEntry& run, const RecoveryScope& scope, RecoveryOutcome& out);

 private:
  std::string socket_;
  std::string project_;
  std::unique_ptr<DockerClient> docker_;
  std::unique_ptr<ComposeTopology> topology_;
  RunJournal* journal_ = nullptr;
  ServiceSet services_;  // stopped (left as found) before the topology goes
};

}  // namespace faultline::compose
