#pragma once
// Who makes a fault plan real. The run never touches the kernel itself: it
// hands each step to an Actuator in two phases, so that everything slow or
// fallible happens before the fault's instant and only the change itself
// happens at it:
//
//   prepare(step)  claims the place, opens sockets, starts an NFQUEUE engine
//                  listening; affects no packet and no process;
//   commit()       makes the change, at the due instant;
//   revert()       undoes it, reporting every problem rather than the first.
//
// The local kernel actuator (controllers/run/kernel_actuator.hpp) is what a
// run on one machine uses; an agent on another machine fits the same
// interface, and tests use a recording fake.
#include <memory>
#include <string>
#include <vector>

#include "controllers/faults/fault_plan.hpp"

namespace faultline {

class AppliedStep {
 public:
  virtual ~AppliedStep() = default;
  // Called once. Returns what could not be undone, empty when all was.
  virtual std::vector<std::string> revert() = 0;
};

class PreparedStep {
 public:
  virtual ~PreparedStep() = default;
  // Makes the change. Returns what undoes it, or nothing when nothing stays
  // to undo (a restart). Throws when the change could not be made, having
  // left nothing of it behind.
  virtual std::unique_ptr<AppliedStep> commit() = 0;
};

class Actuator {
 public:
  virtual ~Actuator() = default;
  virtual std::unique_ptr<PreparedStep> prepare(const PlanStep& step) = 0;
};

}  // namespace faultline
