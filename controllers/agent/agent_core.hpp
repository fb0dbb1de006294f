#pragma once
// The agent's protocol logic, apart from sockets and the kernel: requests in,
// answers out, and the lease. What the node does (apply a step, act on a
// container, list containers, sweep) is behind NodeBackend, so tests drive
// the core with a recording backend and a clock they advance.
//
// The lease: a run says hello with its lease (lease_ms); every request of
// the run's connection after that renews it. When none arrives for a whole
// lease, expire() reverts everything the run applied, newest first, drops
// what it prepared and forgets it: a controller that was killed or cut off
// leaves no fault behind. bye does the same at once, on purpose.
//
// hello {run, lease_ms, engine?, seed?}: engine is who serves netem-style
// shaping for this run, "netem", "nfqueue" or "auto" (the default: netem
// where this node's kernel has it, else NFQUEUE); seed drives the NFQUEUE
// engine's draws.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controllers/faults/actuator.hpp"

namespace faultline::agent {

class NodeBackend {
 public:
  virtual ~NodeBackend() = default;
  // {containers: [...]} (see the protocol in docs/architecture.md).
  virtual nlohmann::json inventory() = 0;
  // The actuator of one run's route, drop-rule and shape steps (the node's
  // LocalActuator): made at hello, destroyed once the run ended and all it
  // applied was reverted, so what its faults shared (an nf_tables table, an
  // NFQUEUE engine) goes with it. `engine`: "netem", "nfqueue" or "auto".
  virtual std::unique_ptr<Actuator> actuator(const std::string& engine, std::uint64_t seed) = 0;
  // kill | pause | resume | restart | start of a container of this node.
  virtual void container(const std::string& action, const std::string& id) = 0;
  // Removes everything with faultline's marks on this node; one line each.
  virtual std::vector<std::string> sweep() = 0;
};

inline constexpr std::chrono::milliseconds kDefaultLease{3000};

class AgentCore {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // What a connection is in the protocol: the run it greeted, if any.
  struct Session {
    std::string peer;  // for the log
    std::string run;
  };

  AgentCore(NodeBackend& backend, std::string node, Clock clock = std::chrono::steady_clock::now);
  ~AgentCore();

  // One request; the answer carries its id, and "error" when it failed.
  nlohmann::json handle(Session& session, const nlohmann::json& request);
  // Reverts and forgets every run whose lease ran out by now. Returns one
  // line per thing it did (also logged).
  std::vector<std::string> expire();
  // The runs with a live lease, and how many steps each has applied.
  std::map<std::string, std::size_t> runs() const;

 private:
  struct Run {
    // First, so that it outlives the steps it made.
    std::unique_ptr<Actuator> actuator;
    std::string engine;
    std::chrono::milliseconds lease{kDefaultLease};
    std::chrono::steady_clock::time_point heard;
    std::map<std::uint64_t, std::unique_ptr<PreparedStep>> prepared;
    // By handle, which grows: the last is the newest.
    std::map<std::uint64_t, std::unique_ptr<AppliedStep>> applied;
    std::map<std::uint64_t, std::string> what;  // each prepared or applied step, for the log
  };

  nlohmann::json dispatch(Session& session, const std::string& op, const nlohmann::json& request);
  Run& run_of(const Session& session);
  void excuse(const Session& session, std::chrono::steady_clock::time_point start);
  // Newest first; returns what it logged, and adds what could not be undone to `problems`.
  std::vector<std::string> revert_all(const std::string& id, Run& run, const std::string& why,
                                      std::vector<std::string>* problems = nullptr);

  NodeBackend& backend_;
  std::string node_;
  Clock clock_;
  mutable std::mutex mutex_;
  std::map<std::string, Run> runs_;
  std::uint64_t next_handle_ = 1;
};

}  // namespace faultline::agent
