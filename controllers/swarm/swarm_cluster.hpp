#pragma once
// What the swarm provider reads of a Docker Swarm: the nodes and the stack's
// tasks as the manager's API reports them (GET /nodes, GET /tasks), and each
// node's containers as its faultline-agent reports them (inventory). From
// these it makes the compose provider's containers, so the regions' plan is
// compose's plan_from_containers, not a second copy of it. All of it is pure
// (tested on recorded answers of Docker 20.10).
//
// The stack's tasks carry the compose stack's labels (faultline.region,
// faultline.host), and the stack's namespace (com.docker.stack.namespace)
// stands where compose's project does. Swarm cannot give a task a fixed
// address: the label faultline.ipv4 names the address the task's services
// use (faultline-netinit adds it next to swarm's), and the plan takes it.
#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "controllers/compose/compose_topology.hpp"
#include "controllers/compose/docker_client.hpp"
#include "controllers/topology/plan.hpp"

namespace faultline::swarm {

inline constexpr const char* kStackLabel = "com.docker.stack.namespace";
inline constexpr const char* kAddressLabel = "faultline.ipv4";

// The cluster does not fit the experiment, or an answer cannot be read; the
// message says what to change.
class SwarmError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SwarmNode {
  std::string id;
  std::string hostname;  // the node's name, as `docker node ls` shows it
  std::string address;   // where the swarm reaches it (its agent listens there)
  std::string role;      // "manager" or "worker"
  bool ready = false;
  std::map<std::string, std::string> labels;
};

struct TaskAttachment {
  std::string network;
  std::string address;  // "198.18.1.130/24", as swarm assigned it
};

struct SwarmTask {
  std::string id;
  std::string service_id;
  std::string node_id;
  std::string container_id;  // empty before the node created it
  pid_t pid = 0;
  std::string state;          // "running", "failed", ...
  std::string desired_state;  // "running", "shutdown", ...
  std::map<std::string, std::string> labels;  // the container's
  std::vector<TaskAttachment> networks;

  std::string label(const std::string& key) const;  // "" when absent
};

std::vector<SwarmNode> parse_nodes(const nlohmann::json& nodes);
std::vector<SwarmTask> parse_tasks(const nlohmann::json& tasks);

// An interface of a container as its agent reads it in the container's
// namespace: every address it holds (swarm's and netinit's).
struct AgentInterface {
  std::string name;
  std::vector<std::string> addresses;  // "198.18.1.10/24"
};
struct AgentContainer {
  std::string id;
  std::string name;
  pid_t pid = 0;
  std::map<std::string, std::string> labels;
  std::vector<AgentInterface> interfaces;
};
// An agent's answer to inventory: {containers:[{id,name,pid,labels,interfaces}]}.
std::vector<AgentContainer> parse_inventory(const nlohmann::json& inventory);

// The stack's running tasks that carry faultline.region, as the compose
// provider's containers: the node's container id, name and pid (from the
// inventory when its agent listed it), the stack as the project, and an
// endpoint per network with the faultline.ipv4 address where it lies in that
// network. A task that should run but does not is a container not running,
// which plan_from_containers names.
std::vector<compose::Container> containers_of(const std::vector<SwarmTask>& tasks,
                                              const std::vector<AgentContainer>& inventory);

// Where each planned namespace ("<container>@<pid>") lives: its node's id.
std::map<std::string, std::string> nodes_of_namespaces(const std::vector<SwarmTask>& tasks,
                                                       const std::vector<compose::Container>& containers);

// Fills the plan's link names (a gateway's WAN link, each host's link) from
// the interfaces the agents read: the link that holds each planned address.
void assign_links(TopologyPlan& plan, const std::vector<AgentContainer>& inventory);

// "198.19.250.2" or "[2001:db8::2]": a node's agent address, from --agent
// NODE=ADDRESS[:PORT] overrides first, else the node's swarm address.
struct AgentAddress {
  std::string node;  // the node's hostname
  std::string address;
  int port = 0;
};
std::vector<AgentAddress> agent_addresses(const std::vector<SwarmNode>& nodes,
                                          const std::map<std::string, std::string>& overrides,
                                          int port);

}  // namespace faultline::swarm
