#pragma once
// The controller's end of the agent protocol: one authenticated connection
// to the agent of one node, one request at a time (calls from the run and
// from the renewal thread take turns). Each call sends {"op", "id", ...} and
// waits for the answer with the same id; an answer with "error" throws
// AgentError with the agent's message, prefixed by the node.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "controllers/agent/tls.hpp"
#include "controllers/faults/fault_plan.hpp"

namespace faultline::agent {

struct AgentEndpoint {
  std::string node, address;
  int port = 0;
};

struct AgentTls {
  std::string ca, cert, key;  // PEM file paths
  // Whether the agent's certificate must be the one of the endpoint's node
  // (CN faultline-agent-NODE), not any agent's of the CA: a node's stolen
  // key then cannot stand in for another node. Needs the certificates made
  // with the same node names as the endpoints.
  bool exact_node = false;
};

// The agent refused a request, or could not be reached.
class AgentError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr const char* kAgentVersion = "1";
inline constexpr int kDefaultAgentPort = 7443;

class AgentClient {
 public:
  // Connects and shakes hands (throws AgentError naming the node and why).
  AgentClient(AgentEndpoint endpoint, const AgentTls& tls,
              std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Starts (or resumes) the run's lease on this node. Returns {node,
  // agent_version}. `engine`: who serves netem-style shaping there, "netem",
  // "nfqueue" or "auto" (the agent's kernel decides); `seed` drives the
  // NFQUEUE engine's draws.
  nlohmann::json hello(const std::string& run, std::chrono::milliseconds lease,
                       const std::string& engine = "auto", std::uint64_t seed = 1);
  void renew();
  // {containers: [{id, name, pid, labels, interfaces: [{name, addresses}]}]}
  nlohmann::json inventory();
  // A process step needs the container it acts on (its id on this node).
  std::uint64_t prepare(const PlanStep& step, const std::string& container = "");
  std::uint64_t commit(std::uint64_t handle);
  std::vector<std::string> revert(std::uint64_t applied);
  // kill | pause | resume | restart | start, through the node's dockerd.
  void container(const std::string& action, const std::string& id);
  // Reverts all the run applied on this node and ends its lease.
  void bye();
  // Removes everything carrying faultline's marks on this node.
  std::vector<std::string> sweep();

  // Any request; the answer's fields, or AgentError.
  nlohmann::json call(const std::string& op, nlohmann::json fields = nlohmann::json::object());
  const AgentEndpoint& endpoint() const { return endpoint_; }

 private:
  AgentEndpoint endpoint_;
  TlsContext ctx_;
  std::mutex mutex_;
  TlsStream stream_;
  std::uint64_t next_id_ = 1;
};

}  // namespace faultline::agent
