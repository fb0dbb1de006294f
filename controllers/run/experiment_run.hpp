#pragma once
// One run of an experiment, start to finish: topology, services, health,
// workload under the fault timeline, heal, final reads, checks, verdict,
// teardown.
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "controllers/experiment/experiment.hpp"
#include "controllers/report/verdict.hpp"

namespace faultline {

// The kernel lacks a piece the experiment needs; raised before anything is
// created.
class CapabilityError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RunOptions {
  std::string results_root = "results";
  bool dry_run = false;  // print the plan and the changes each fault makes; create nothing
  // "namespaces": faultline builds the regions; "compose": a running compose
  // stack's containers are the regions (see controllers/compose/).
  std::string provider = "namespaces";
  std::string compose_project;  // when several compose projects hold the regions
  std::string docker_socket = "/var/run/docker.sock";
  std::string state_dir = "/run/faultline";  // run journals, for `faultline recover`
  // Told the run's results folder as soon as it exists, so that a run which
  // then stops without a result (interrupted, the target did not start) can
  // still be pointed at (a suite's table).
  std::function<void(const std::string& results_dir)> on_results_dir;
  // "swarm": a manager's socket is docker_socket, the stack's namespace
  // compose_project; each node's faultline-agent at its swarm address unless
  // an --agent NODE=ADDRESS[:PORT] says otherwise (see controllers/swarm/).
  std::vector<std::string> swarm_agents;
  int agent_port = 7443;
  std::string agent_certs;  // the folder `faultline certs` made
  int agent_lease_ms = 0;  // 0: the experiment's lease
};

// What a finished run tells the runs around it (--repeat, shrink).
struct RunResult {
  int exit_code = 0;
  std::string results_dir;             // empty for a dry run
  std::vector<std::string> violated;   // the invariants violated, in the experiment's order
  Verdict verdict;                     // as judged (a suite's junit.xml); empty for a dry run
};

// Returns the exit code (see report/verdict.hpp). Throws Interrupted after
// cleaning up when the run was interrupted, and std::exception on internal
// errors, also after cleaning up.
int run_experiment(const Experiment& experiment, const RunOptions& options);
RunResult run_experiment_result(const Experiment& experiment, const RunOptions& options);

// Prints what `faultline run --dry-run` shows. No root needed for namespaces;
// for compose it reads the stack from the Docker daemon.
void print_plan(const Experiment& experiment, const RunOptions& options);

}  // namespace faultline
