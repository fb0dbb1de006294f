#pragma once
// What opens a run's clients, by client kind (the model's half, names and
// options, is controllers/experiment/client_kinds.hpp). One factory serves a
// run's sessions and another its final reads, both from the same kind, so
// the final state is read through the protocol the workload used, every key
// in every region.
#include <memory>
#include <string>

#include "controllers/workload/client.hpp"

namespace faultline {

struct Experiment;
struct TopologyPlan;

struct ClientContext {
  const Experiment& experiment;
  const TopologyPlan& plan;
  const std::string& results_dir;
  // "session": the workload's sessions; "final-read": each region read
  // directly after the heal (a client kind may point these elsewhere: the
  // reference store's are read at the state service).
  std::string use;
};

// Throws std::invalid_argument for a client kind with no factory (a bug:
// validation knows only registered kinds).
std::unique_ptr<ClientFactory> make_client_factory(const ClientContext& context);

}  // namespace faultline
