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
#include <chrono>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "controllers/faults/fault_plan.hpp"

namespace faultline {

// What a step that runs something has to tell the history, once it has:
// fields for the nemesis operation's value (a command's {"exit", "output"}),
// and, when the thing it ran failed, why. Such a failure is a finding about
// the system, not a broken run: the operation completes as info with the
// reason as its error, and the run goes on.
struct StepReport {
  nlohmann::json value = nlohmann::json::object();
  std::string failure;  // empty: it went as asked
  // How long the step waited for what it ran, after it had started it: not
  // lateness (a command that takes 2 s started on time if it started at its
  // instant), so the nemesis leaves it out of how late the fault landed.
  std::chrono::nanoseconds waited{0};

  // Another step's report, merged in (its fields win; failures add up).
  void add(const StepReport& other);
};

class AppliedStep {
 public:
  virtual ~AppliedStep() = default;
  // Called once. Returns what could not be undone, empty when all was.
  virtual std::vector<std::string> revert() = 0;
  // After revert(): what it has to tell the history. Empty for most steps.
  virtual StepReport report() const { return {}; }
};

class PreparedStep {
 public:
  virtual ~PreparedStep() = default;
  // Makes the change. Returns what undoes it, or nothing when nothing stays
  // to undo (a restart). Throws when the change could not be made, having
  // left nothing of it behind.
  virtual std::unique_ptr<AppliedStep> commit() = 0;
  // After commit(): what it has to tell the history. Empty for most steps.
  virtual StepReport report() const { return {}; }
};

class Actuator {
 public:
  virtual ~Actuator() = default;
  virtual std::unique_ptr<PreparedStep> prepare(const PlanStep& step) = 0;
  // Commits a fault's prepared steps at its instant, keeping their order
  // among the steps that act on one place. The default commits them one
  // after another and stops at the first error; an actuator whose places
  // are several machines commits each machine's share side by side, so a
  // fault over three nodes lands in one round trip, not three. Returns what
  // undoes each committed step, in the steps' order (none for a step that
  // left nothing to undo), and sets `error` when a step failed: the caller
  // then reverts what was committed.
  virtual std::vector<std::unique_ptr<AppliedStep>> commit_all(
      std::vector<std::unique_ptr<PreparedStep>>& steps, std::exception_ptr& error);
};

}  // namespace faultline
