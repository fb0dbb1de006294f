#pragma once
// The run's nemesis: it puts fault plans in force through an Actuator at
// their instants and takes them out again, and keeps the record of it (the
// history's nemesis operations, the journal, the fault log of verdict.json).
//
// The order of a fault's start is the point of this class, and its tests pin
// it with a recording actuator and a manual clock:
//   1. record the invoke;
//   2. prepare every step (claims, sockets, engines: nothing a packet feels);
//   3. wait for the due instant (the clock's precise wait);
//   4. commit the steps in order; if one fails, revert the ones committed,
//      newest first, record the fail and rethrow;
//   5. journal the fault as applied, record the ok.
// A step that ran something which failed (a command's non-zero exit) is a
// finding, not an error: the operation completes as info, with the step's
// report in its value and the failure as its error, and the run goes on.
// Stopping reverts every step newest first and reports every problem. The
// heal stops what is in force newest first; so does the destructor, for a
// run that unwinds after an error or an interrupt.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.hpp"
#include "controllers/faults/actuator.hpp"
#include "controllers/faults/fault_plan.hpp"
#include "controllers/history/history.hpp"

namespace faultline {

// Where the nemesis reports what it did.
class NemesisLog {
 public:
  virtual ~NemesisLog() = default;
  // A nemesis operation for the history (process kNemesisProcess).
  virtual void record(OpType type, const std::string& f, const nlohmann::json& value,
                      const std::string& error) = 0;
  // The fault's state for `faultline recover`: "applied" or "reverted".
  virtual void journal(const FaultPlan& plan, const std::string& state) = 0;
};

// Steps in force, reverted newest first exactly once: by revert(), or by the
// destructor when a run unwinds.
class AppliedFault {
 public:
  AppliedFault() = default;
  explicit AppliedFault(std::vector<std::unique_ptr<AppliedStep>> steps) : steps_(std::move(steps)) {}
  AppliedFault(AppliedFault&&) noexcept = default;
  AppliedFault& operator=(AppliedFault&& other) noexcept;
  AppliedFault(const AppliedFault&) = delete;
  AppliedFault& operator=(const AppliedFault&) = delete;
  ~AppliedFault();

  // Every step's problems, in the order they were met; what the steps have
  // to tell the history goes to `report` when given.
  std::vector<std::string> revert(StepReport* report = nullptr);
  bool empty() const { return steps_.empty(); }

 private:
  std::vector<std::unique_ptr<AppliedStep>> steps_;
};

// Prepares every step, waits for `due` (when given) on the clock, then
// commits the steps in order. All or nothing: a step that fails to commit
// reverts the committed ones before the error goes on. What the committed
// steps have to tell the history goes to `report` when given.
using InstantHold = std::function<std::shared_ptr<void>()>;
AppliedFault apply_steps(Actuator& actuator, const std::vector<PlanStep>& steps, Clock& clock,
                         std::optional<Clock::time_point> due, const InstantHold& hold = {},
                         StepReport* report = nullptr);

// "a; b; c" from every problem, for one error message.
std::string join_problems(const std::vector<std::string>& problems);

class Nemesis {
 public:
  struct Options {
    // Called before the wait for an instant; what it returns is held until
    // the change is made. The run holds real-time priority there (see
    // run/realtime_window.hpp); tests leave it empty.
    InstantHold hold_instant;
    Clock::time_point history_origin{};  // time 0 of the history, for the fault log
  };

  Nemesis(std::vector<FaultPlan> plans, Actuator& actuator, Clock& clock, NemesisLog& log,
          Options options);
  ~Nemesis();  // reverts what is still in force, newest first
  Nemesis(const Nemesis&) = delete;
  Nemesis& operator=(const Nemesis&) = delete;

  void start(std::size_t fault, Clock::time_point due);
  // `due`: the instant the timeline set; none at the heal.
  void stop(std::size_t fault, std::optional<Clock::time_point> due = std::nullopt);
  // Stops every fault in force, newest first, between a heal invoke and ok.
  void heal();

  const std::vector<FaultPlan>& plans() const { return plans_; }
  // Faults in force, oldest first.
  const std::vector<std::size_t>& active() const { return order_; }
  // One entry per fault started: what, when, and how late (verdict.json).
  const nlohmann::json& fault_log() const { return fault_log_; }

 private:
  nlohmann::json operation_value(const FaultPlan& plan) const;
  // The operation's completion: ok, or info when a step's run failed.
  void complete(const std::string& f, const nlohmann::json& value, const StepReport& report);
  std::int64_t history_ms() const;

  std::vector<FaultPlan> plans_;
  Actuator& actuator_;
  Clock& clock_;
  NemesisLog& log_;
  Options options_;
  nlohmann::json fault_log_ = nlohmann::json::array();
  std::map<std::size_t, AppliedFault> active_;
  std::vector<std::size_t> order_;
};

}  // namespace faultline
