#pragma once
// The actuator of a run whose regions span several machines: each step goes
// to the agent of the node that holds its namespace (or, for a process step,
// its service's container), over one authenticated connection per node.
// The agent applies it with the same LocalActuator code a local run uses.
//
// The run holds a lease on every node it talks to: a thread renews it every
// lease/4, and should the controller fall silent (killed, cut off) for a
// whole lease, each agent reverts what this run applied there by itself.
// Destruction says bye, which reverts whatever is still applied and ends
// the lease at once.
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "controllers/agent/agent_client.hpp"
#include "controllers/faults/actuator.hpp"

namespace faultline::agent {

// Routes each step to the agent of the node that holds its namespace or service.
class AgentDirectory {
 public:
  virtual ~AgentDirectory() = default;
  virtual std::string node_of_netns(const std::string& netns) const = 0;
  // The node and the container id (on that node) of a region's service.
  virtual std::pair<std::string, std::string> container_of(const std::string& region,
                                                           const std::string& service) const = 0;
};

class RemoteActuator final : public Actuator {
 public:
  // `engine` and `seed` as LocalActuator takes them: "netem", "nfqueue" or
  // "auto" (each agent picks netem where its kernel has it, else NFQUEUE).
  RemoteActuator(const AgentDirectory& directory, std::map<std::string, AgentEndpoint> agents,
                 AgentTls tls, std::chrono::milliseconds lease, std::string run_id,
                 std::string engine = "auto", std::uint64_t seed = 1);
  ~RemoteActuator() override;

  // Route, drop-rule and shape steps go to the agent of their namespace's
  // node; process steps to their container's. Clock and command steps are
  // refused (std::invalid_argument): they need hosts faultline builds.
  std::unique_ptr<PreparedStep> prepare(const PlanStep& step) override;
  // Each node's steps side by side with the other nodes' (see Actuator).
  std::vector<std::unique_ptr<AppliedStep>> commit_all(
      std::vector<std::unique_ptr<PreparedStep>>& steps, std::exception_ptr& error) override;

  // The node's agent, connected and greeted (hello) on first use. Throws
  // AgentError when the node has no agent or it cannot be reached.
  AgentClient& client(const std::string& node);
  // Greets every node's agent now, so a missing one fails the run before
  // any fault, not at the fault's instant.
  void connect_all();

 private:
  void renew_loop();

  const AgentDirectory& directory_;
  std::map<std::string, AgentEndpoint> agents_;
  AgentTls tls_;
  std::chrono::milliseconds lease_;
  std::string run_id_;
  std::string engine_;
  std::uint64_t seed_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::map<std::string, std::unique_ptr<AgentClient>> clients_;
  std::thread renewer_;
};

}  // namespace faultline::agent
