#pragma once
// Runs a workload's sessions: one thread per session, each in its region's
// client host (its network namespace, for the thread's whole life, so its
// sockets originate inside the region like a real client's). A session asks
// its generator for the next operation, records the invocation, hands it to
// its client, and records the completion; sessions are paced on a Clock so
// that together they invoke `rate` operations per second, and tests drive a
// ManualClock instead of sleeping.
#include <atomic>
#include <cstdint>
#include <exception>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.hpp"
#include "controllers/experiment/experiment.hpp"
#include "controllers/history/history.hpp"
#include "controllers/workload/client.hpp"
#include "controllers/workload/generator.hpp"
#include "injector/network_namespace.hpp"

namespace faultline {

// Region -> the network namespace of its client host. A region absent, or
// mapped to nullptr, runs its sessions where the runner was made (tests).
using ClientHosts = std::map<std::string, const injector::NamespaceFd*>;

class WorkloadRunner {
 public:
  WorkloadRunner(WorkloadPlan plan, ClientHosts hosts, ClientFactory& clients,
                 HistoryRecorder& history, Clock& clock, double rate);
  ~WorkloadRunner() {
    request_stop();
    join();
  }
  WorkloadRunner(const WorkloadRunner&) = delete;
  WorkloadRunner& operator=(const WorkloadRunner&) = delete;

  // Sessions retry failed and timed-out reads and writes as `retry` says;
  // with retry.failover, at the service of `failover_of` their region (a
  // region without one retries at home). Before start().
  void set_retry(RetrySpec retry, std::map<std::string, std::string> failover_of) {
    retry_ = retry;
    failover_of_ = std::move(failover_of);
  }
  std::uint64_t retries() const { return retries_; }

  void start();
  // Asks every session to end after its operation in flight. A session
  // waiting for its next instant notices within kStopCheck of clock time.
  void request_stop() { stopping_ = true; }
  // request_stop(), then waits for every session; rethrows the first error a
  // session died of (entering its namespace, opening its client).
  void stop();
  // Waits for sessions to end by themselves (their generators ran out).
  void wait();

  std::uint64_t completed() const { return completed_; }
  std::uint64_t failed() const { return failed_; }  // completed, but not ok

  // How often a waiting session checks whether it was asked to stop.
  static constexpr Clock::duration kStopCheck = std::chrono::milliseconds(50);

 private:
  void run_session(SessionPlan& session);
  // The session's retries of `done` (a failed or timed-out first attempt
  // `first`), each recorded; returns the last completion.
  Operation retry(SessionState& state, const Operation& first, Operation done, Client& home,
                  std::unique_ptr<Client>& elsewhere, const std::string& failover,
                  std::int64_t& retries_made, std::int64_t first_attempts);
  void join();

  WorkloadPlan plan_;
  ClientHosts hosts_;
  ClientFactory& clients_;
  HistoryRecorder& history_;
  Clock& clock_;
  double rate_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> completed_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::atomic<std::uint64_t> retries_{0};
  RetrySpec retry_;
  std::map<std::string, std::string> failover_of_;
  std::mutex failure_mutex_;
  std::exception_ptr failure_;
};

}  // namespace faultline
