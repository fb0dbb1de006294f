#pragma once
// The Docker Engine API over its unix socket (HTTP/1.1 with Boost.Beast), for
// what the compose provider needs: find the stack's containers, read a
// container's state and process id, and kill, start, pause and unpause it.
// No docker CLI is run.
#include <sys/types.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace faultline::compose {

inline constexpr const char* kDefaultDockerSocket = "/var/run/docker.sock";

// The daemon did not answer, or answered with an error.
class DockerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Endpoint {
  std::string network;
  std::string ipv4;  // "198.18.1.10"
  int prefix_v4 = 0;
  std::string ipv6;  // may be empty
  int prefix_v6 = 0;
};

struct Container {
  std::string id;
  std::string name;  // without the leading '/'
  std::map<std::string, std::string> labels;
  bool running = false;
  bool paused = false;
  pid_t pid = 0;  // of its first process, 0 when not running
  std::vector<Endpoint> endpoints;

  std::string label(const std::string& key) const;  // "" when absent
};

// Reads a container as GET /containers/{id}/json returns it (pure, tested).
Container parse_container(const nlohmann::json& inspect);

class DockerClient {
 public:
  explicit DockerClient(std::string socket_path = kDefaultDockerSocket,
                        std::chrono::milliseconds timeout = std::chrono::seconds(20));

  // Whether a daemon answers on the socket.
  bool available();
  // Containers, running or not, that carry `label` (key or key=value).
  std::vector<Container> containers_with_label(const std::string& label);
  Container inspect(const std::string& id);
  void kill(const std::string& id, const std::string& signal = "KILL");
  void start(const std::string& id);
  void pause(const std::string& id);
  void unpause(const std::string& id);
  // GET of any other part of the API (the swarm provider's /nodes and
  // /tasks), its JSON answer; `what` names it in the error.
  nlohmann::json get(const std::string& target, const std::string& what);

  const std::string& socket_path() const { return socket_path_; }

 private:
  struct Reply {
    unsigned status = 0;
    std::string body;
  };
  Reply call(const std::string& method, const std::string& target);
  void post_expecting(const std::string& target, const std::string& what);

  std::string socket_path_;
  std::chrono::milliseconds timeout_;
};

}  // namespace faultline::compose
