#pragma once
// A service of the experiment as a swarm task's container: it runs while its
// process does (the controller sees the nodes' processes, see
// swarm_topology.hpp); kill, pause, resume and start go to the agent of its
// node, which acts through that node's dockerd. Process faults do not come
// here: the run's RemoteActuator sends them to the agent as fault steps, and
// the agent reverts them at the fault's end, at bye, or when the lease ends.
#include <sys/types.h>

#include <functional>
#include <string>

#include "controllers/agent/remote_actuator.hpp"
#include "controllers/services/service.hpp"

namespace faultline::swarm {

class SwarmService final : public Service {
 public:
  SwarmService(std::string label, std::string node, std::string container, pid_t pid,
               std::function<agent::RemoteActuator&()> remote)
      : label_(std::move(label)),
        node_(std::move(node)),
        container_(std::move(container)),
        pid_(pid),
        remote_(std::move(remote)),
        log_hint_("docker service logs (node " + node_ + ", container " + container_.substr(0, 12) + ")") {}

  void start() override { act("start"); }
  void kill() override { act("kill"); }
  void pause() override { act("pause"); }
  void resume() override { act("resume"); }
  // The stack's tasks are the stack's: the run leaves them running.
  void stop() noexcept override {}
  bool running() override;
  const std::string& label() const override { return label_; }
  const std::string& log_path() const override { return log_hint_; }

 private:
  void act(const std::string& action) { remote_().client(node_).container(action, container_); }

  std::string label_, node_, container_;
  pid_t pid_;
  std::function<agent::RemoteActuator&()> remote_;
  std::string log_hint_;
};

}  // namespace faultline::swarm
