#pragma once
// The key-value workload: client threads in each region's client host, reading
// and writing a small key space at a fixed total rate, every operation
// recorded in the history (invoke, then ok / fail / info).
//
// Each client thread moves itself into its host's network namespace for its
// whole life, so its sockets originate inside the region like a real client's.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "controllers/experiment/experiment.hpp"
#include "controllers/history/history.hpp"
#include "controllers/workload/customers.hpp"
#include "injector/network_namespace.hpp"

namespace faultline {

struct WorkloadTarget {
  std::string region;
  const injector::NamespaceFd* client_netns = nullptr;
  std::string address;        // the workload service's address in that region
  std::string state_address;  // the state service's (customer sign-up goes there)
};

std::vector<std::string> workload_keys(int count);  // "k0", "k1", ...

class KvWorkload {
 public:
  KvWorkload(const Experiment& experiment, std::vector<WorkloadTarget> targets,
             HistoryRecorder& history);
  ~KvWorkload() { stop(); }

  // Customers workload: signs every customer up at its home region (global
  // routing data, recorded as "register" operations) and waits until every
  // region knows every customer. Throws if they do not within `patience`.
  void sign_up(std::chrono::milliseconds patience);
  void start();
  void stop();  // asks every client to finish its operation, then joins

  std::uint64_t completed() const { return completed_; }
  std::uint64_t failed() const { return failed_; }

 private:
  void client_loop(int client, const WorkloadTarget& target,
                   std::vector<std::string> customers);

  const Experiment& experiment_;
  WorkloadSpec spec_;
  std::vector<WorkloadTarget> targets_;
  HistoryRecorder& history_;
  std::uint64_t seed_;
  std::vector<std::string> keys_;
  std::vector<Customer> customers_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> completed_{0};
  std::atomic<std::uint64_t> failed_{0};
};

}  // namespace faultline
