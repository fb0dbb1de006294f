#include "controllers/compose/container_service.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

namespace faultline::compose {

ContainerService::ContainerService(ComposeTopology& topology, std::string region, std::string host,
                                   std::string label, Touch touch)
    : topology_(topology),
      region_(std::move(region)),
      host_(std::move(host)),
      label_(std::move(label)),
      touch_(std::move(touch)) {
  log_hint_ = "docker logs " + topology_.container(region_, host_).name;
}

void ContainerService::kill() {
  touch_(id(), "killed");
  topology_.docker().kill(id());
  killed_ = true;
}

void ContainerService::start() {
  topology_.docker().start(id());
  // The container has a new process and a new network namespace once
  // running; later faults must land there.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    topology_.refresh(region_, host_);
    const Container& c = topology_.container(region_, host_);
    if (c.running && c.pid != 0) break;
    if (std::chrono::steady_clock::now() > deadline)
      throw DockerError("container " + c.name + " did not come back within 10 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  killed_ = false;
  touch_(id(), "running");
}

void ContainerService::pause() {
  touch_(id(), "paused");
  topology_.docker().pause(id());
  paused_ = true;
}

void ContainerService::resume() {
  topology_.docker().unpause(id());
  paused_ = false;
  touch_(id(), "running");
}

void ContainerService::stop() noexcept {
  try {
    if (paused_) resume();
    if (killed_) start();
  } catch (const std::exception& e) {
    spdlog::error("leaving {} as the run found it: {}", label_, e.what());
  }
}

bool ContainerService::running() {
  try {
    Container c = topology_.docker().inspect(id());
    return c.running;
  } catch (const DockerError&) {
    return false;
  }
}

}  // namespace faultline::compose
