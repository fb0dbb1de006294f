#pragma once
// What the agent does on its node: the real NodeBackend. Steps are applied
// by the same LocalActuator a local run uses, over a node-local provider
// whose namespaces are
//   "<container>@<pid>"  a container of the node's dockerd (the compose
//                        provider's names), entered through /proc/PID/ns/net
//                        once the dockerd confirms the container runs as PID;
//   "NAME"               a named namespace, /run/netns/NAME (by hand, tests).
// Containers are killed, paused and started through the dockerd's API. The
// named namespaces it acted in are noted in the state folder, so a sweep
// after the agent itself was killed still finds them; containers are found
// by their faultline labels.
#include <memory>
#include <optional>
#include <string>

#include "controllers/agent/agent_core.hpp"
#include "controllers/compose/docker_client.hpp"

namespace faultline {
class LocalActuator;
}

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
  std::unique_ptr<PreparedStep> prepare(const PlanStep& step) override;
  void container(const std::string& action, const std::string& id) override;
  std::vector<std::string> sweep() override;

  class NodeProvider;
  class NodeTopology;

 private:
  // Whether a dockerd answers (asked once; the agent serves without one).
  bool docker_available();

  NodeOptions options_;
  std::optional<compose::DockerClient> docker_;
  std::unique_ptr<NodeTopology> topology_;
  std::unique_ptr<NodeProvider> provider_;
  std::unique_ptr<LocalActuator> actuator_;
};

// "unix:///var/run/docker.sock" or a plain path -> the path; throws on tcp://.
std::string docker_socket_path(const std::string& url);

}  // namespace faultline::agent
