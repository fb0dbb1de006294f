#include "controllers/swarm/swarm_service.hpp"

#include <fstream>

namespace faultline::swarm {

// The task's first process, alive and not a zombie.
bool SwarmService::running() {
  std::ifstream stat("/proc/" + std::to_string(pid_) + "/stat");
  std::string pid, comm, state;
  if (!(stat >> pid >> comm >> state)) return false;
  return state != "Z" && state != "X";
}

}  // namespace faultline::swarm
