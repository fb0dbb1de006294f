#pragma once
// A service of the experiment as a container of the compose stack: kill,
// pause and restart act on the container through the Docker API. The run
// leaves the stack as it found it: a container it killed is started again
// and one it paused is unpaused, at the fault's end or when the run unwinds.
#include <functional>
#include <string>

#include "controllers/compose/compose_topology.hpp"
#include "controllers/services/service.hpp"

namespace faultline::compose {

class ContainerService : public Service {
 public:
  // `touch` hears the container's id and what is about to be done to it,
  // before it is done (the run's journal records it for `faultline recover`).
  using Touch = std::function<void(const std::string& id, const std::string& state)>;

  ContainerService(ComposeTopology& topology, std::string region, std::string host,
                   std::string label, Touch touch);
  ~ContainerService() override { stop(); }

  void start() override;
  void kill() override;
  void pause() override;
  void resume() override;
  void stop() noexcept override;
  bool running() override;
  const std::string& label() const override { return label_; }
  const std::string& log_path() const override { return log_hint_; }

 private:
  const std::string& id() const { return topology_.container(region_, host_).id; }

  ComposeTopology& topology_;
  std::string region_, host_, label_, log_hint_;
  Touch touch_;
  bool killed_ = false;
  bool paused_ = false;
};

}  // namespace faultline::compose
