#pragma once
// The namespaces provider: faultline builds every region itself, a router
// namespace per region and a namespace per host, all named with the run's
// prefix (see topology/plan.hpp), and starts the experiment's services in
// them as the users the experiment names, each in a cgroup of its own
// under faultline/<run> (see services/service_process.hpp).
#include <memory>
#include <optional>
#include <string>

#include "controllers/providers/provider.hpp"
#include "controllers/services/service_set.hpp"
#include "controllers/topology/netns_topology.hpp"
#include "injector/cgroup.hpp"

namespace faultline {

class NamespacesProvider final : public Provider {
 public:
  explicit NamespacesProvider(std::string results_root) : results_root_(std::move(results_root)) {}

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

  // Kills what is left in a dead run's namespaces and deletes them.
  static void recover(const JournalEntry& run, const RecoveryScope& scope, RecoveryOutcome& out);

 private:
  std::string results_root_;
  TopologyPlan plan_;
  // Services stop before the namespaces they run in are deleted, and each
  // service's cgroup goes before the run's cgroup that holds them all.
  std::unique_ptr<NamespaceTopology> topology_;
  std::optional<injector::Cgroup> run_cgroup_;
  ServiceSet services_;
};

}  // namespace faultline
