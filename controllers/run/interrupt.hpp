#pragma once
// SIGINT and SIGTERM during a run: the first asks the run to stop; every wait
// in the controller polls this flag and unwinds, so destructors revert faults,
// stop services and delete namespaces. Services run in their own process
// groups, so a terminal's Ctrl-C reaches only the controller.
#include <atomic>
#include <stdexcept>

namespace faultline {

class Interrupted : public std::runtime_error {
 public:
  Interrupted() : std::runtime_error("interrupted") {}
};

void install_interrupt_handlers();
bool interrupt_requested();
void throw_if_interrupted();

}  // namespace faultline
