#include "controllers/providers/provider.hpp"

#include "controllers/run/local_actuator.hpp"

namespace faultline {

std::unique_ptr<Actuator> Provider::actuator(const ActuatorContext& c) {
  return std::make_unique<LocalActuator>(*this, c.engine, c.seed, c.clock_file, c.results);
}

}  // namespace faultline
