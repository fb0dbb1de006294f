#pragma once
// The workload of a run, in Jepsen's parts: a generator per session (of the
// experiment's workload kind: kv_workload.hpp, register_workload.hpp,
// set_workload.hpp, list_append_workload.hpp), a client per session (of its
// client kind: client_factories.hpp), and a WorkloadRunner pacing the
// sessions at the experiment's rate. For the reference store's customers
// data, the sign-up step first (customers.hpp).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "controllers/experiment/experiment.hpp"
#include "controllers/history/history.hpp"
#include "controllers/workload/generator.hpp"
#include "controllers/workload/workload_runner.hpp"

namespace faultline {

std::vector<std::string> workload_keys(int count);  // "k0", "k1", ...

// clients_per_region sessions in each region of `regions` (in the run's
// order, which numbers them), over global keys, each with the generator
// `generator` makes for its number.
WorkloadPlan plan_global_sessions(
    const Experiment& e, const std::vector<std::string>& regions,
    const std::function<std::unique_ptr<Generator>(std::int64_t session)>& generator);

// The sessions of the experiment's workload kind.
WorkloadPlan plan_workload(const Experiment& e, const std::vector<std::string>& regions);

class Workload {
 public:
  // `hosts`: each region's client host, in the run's order. `sessions`
  // opens the sessions' clients; `sign_up` (customers data only, else null)
  // the clients that register customers.
  Workload(const Experiment& experiment, std::vector<std::pair<std::string, const injector::NamespaceFd*>> hosts,
           HistoryRecorder& history, Clock& clock, std::unique_ptr<ClientFactory> sessions,
           std::unique_ptr<ClientFactory> sign_up = nullptr);

  // Customers workload: signs every customer up (see sign_up_customers).
  void sign_up(std::chrono::milliseconds patience);
  void start();
  void stop();  // asks every session to finish its operation, then joins

  std::uint64_t completed() const { return runner_ ? runner_->completed() : 0; }
  std::uint64_t failed() const { return runner_ ? runner_->failed() : 0; }

 private:
  const Experiment& experiment_;
  std::vector<std::string> regions_;
  ClientHosts hosts_;
  HistoryRecorder& history_;
  Clock& clock_;
  std::unique_ptr<ClientFactory> sessions_;
  std::unique_ptr<ClientFactory> sign_up_;
  std::unique_ptr<WorkloadRunner> runner_;
};

}  // namespace faultline
