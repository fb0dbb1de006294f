#pragma once
// What the agent does on its node: the real NodeBackend. Steps are applied
// by the same LocalActuator a local run uses, over a node-local provider
// whose namespaces are
//   "<container>@<pid>"  a container of the node's dockerd (the compose
//                        provider's names), entered through /proc/PID/ns/net
//                        once the dockerd confirms the container runs as PID;
//   "NAME"               a named namespace, /run/netns/NAME (by hand, tests).
// Containers are killed, paused and started through the dockerd's API. The
// namespaces it acts in and the containers it kills or pauses are noted in
// the state folder before it acts, so a sweep finds them, and so does the
// next agent on the node as it starts (with --undo-left-behind).
#include <memory>
#include <optional>
#include <string>

#include "controllers/agent/agent_core.hpp"
#include "controllers/compose/docker_client.hpp"

namespace faultline::agent {

struct NodeOptions {
  std::string docker_socket = compose::kDefaultDockerSocket;  // a path, or "" for none
  std::string state_dir = "/run/faultline-agent";
  std::string netns_prefix;  // named namespaces it may act in: those with this prefix ("": any)
};

class DockerNodeBackend final : public NodeBackend {
 public:
  explicit DockerNodeBackend(NodeOptions options);
  ~DockerNodeBackend() override;

  nlohmann::json inventory() override;
  std::unique_ptr<Actuator> actuator(const std::string& engine, std::uint64_t seed) override;
  void container(const std::string& action, const std::string& id) override;
  // Every labeled container and every namespace noted in the state folder.
  std::vector<std::string> sweep() override;
  // Only what the state folder notes: what an earlier agent on this node
  // (killed mid-fault) touched. The agent runs it as it starts with
  // --undo-left-behind, since no lease of a dead agent survives it.
  std::vector<std::string> sweep_left_behind();

  class NodeProvider;
  class NodeTopology;

 private:
  // Whether a dockerd answers (asked once; the agent serves without one).
  bool docker_available();
  std::vector<std::string> sweep_noted(bool every_labeled_container);

  NodeOptions options_;
  std::optional<compose::DockerClient> docker_;
  std::unique_ptr<NodeTopology> topology_;
  std::unique_ptr<NodeProvider> provider_;
  std::string default_engine_;  // what "auto" means on this kernel
};

// "unix:///var/run/docker.sock" or a plain path -> the path; throws on tcp://.
std::string docker_socket_path(const std::string& url);

}  // namespace faultline::agent
