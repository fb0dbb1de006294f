#pragma once
// The key-value workload of the reference store, in Jepsen's parts:
//   - KvGenerator: each session reads and writes a small key space (global
//     keys, or the keys of the customers its session drives), a fixed
//     fraction of reads, every written value unique in the run;
//   - the reference store's HTTP client (kv_client.hpp), with session tokens
//     for customers data;
//   - a WorkloadRunner pacing the sessions at the experiment's rate;
//   - for customers data, the sign-up step (customers.hpp).
// KvWorkload assembles them for a run.
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "controllers/experiment/experiment.hpp"
#include "controllers/history/history.hpp"
#include "controllers/workload/customers.hpp"
#include "controllers/workload/generator.hpp"
#include "controllers/workload/kv_client.hpp"
#include "controllers/workload/workload_runner.hpp"
#include "injector/network_namespace.hpp"

namespace faultline {

std::vector<std::string> workload_keys(int count);  // "k0", "k1", ...

// Random reads and writes, from a generator seeded by the experiment's seed
// and the session number alone.
class KvGenerator final : public Generator {
 public:
  // `customers` empty: global keys; otherwise each operation picks one of
  // these customers and one of its keys.
  KvGenerator(std::uint64_t seed, std::int64_t session, std::vector<std::string> keys,
              std::vector<std::string> customers, double read_fraction);
  std::optional<Operation> next(const SessionState& session) override;

 private:
  std::vector<std::string> keys_;
  std::vector<std::string> customers_;
  std::mt19937_64 rng_;
  std::uniform_int_distribution<std::size_t> pick_key_;
  std::uniform_int_distribution<std::size_t> pick_customer_;
  std::bernoulli_distribution is_read_;
  std::int64_t writes_ = 0;  // this session's, across its processes
};

// The sessions of the experiment's workload over `regions` (in the run's
// order, which numbers the sessions): clients_per_region slots in each
// region; with customers data, a region's customers shared round-robin by its
// slots, and a slot without a customer left idle.
WorkloadPlan plan_kv_workload(const Experiment& e, const std::vector<std::string>& regions);

struct WorkloadTarget {
  std::string region;
  const injector::NamespaceFd* client_netns = nullptr;
  std::string address;        // the workload service's address in that region
  std::string state_address;  // the state service's (customer sign-up goes there)
};

// The workload of a run: the experiment's kind (kv or register) through its
// client kind. `clients` null: the reference store's HTTP client at each
// target's address; otherwise these (the exec client, exec_client.hpp).
class KvWorkload {
 public:
  KvWorkload(const Experiment& experiment, std::vector<WorkloadTarget> targets,
             HistoryRecorder& history, Clock& clock = MonotonicClock::instance(),
             std::unique_ptr<ClientFactory> clients = nullptr);

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
  KvClientFactory workload_clients_;
  KvClientFactory state_clients_;
  std::unique_ptr<ClientFactory> other_clients_;
  std::unique_ptr<WorkloadRunner> runner_;
};

}  // namespace faultline
