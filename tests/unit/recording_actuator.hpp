#pragma once
// An Actuator that changes nothing and writes down what it was asked, with
// the clock's time, so tests can pin the order of a run's changes. Steps are
// named by what they would touch ("route in fl-t-us", "kill app@eu").
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "controllers/faults/actuator.hpp"
#include "controllers/faults/nemesis.hpp"

namespace faultline::testing {

inline std::string step_name(const PlanStep& step) {
  if (const auto* s = std::get_if<RouteStep>(&step)) return "route " + s->route.destination + " in " + s->netns;
  if (const auto* s = std::get_if<DropRuleStep>(&step)) return "drop rules in " + s->netns;
  if (const auto* s = std::get_if<ShapeStep>(&step)) return "shape " + s->change.dev + " in " + s->change.netns;
  if (const auto* s = std::get_if<ProcessStep>(&step)) {
    const char* verb = s->action == ProcessAction::kill    ? "kill "
                       : s->action == ProcessAction::pause ? "pause "
                                                           : "restart ";
    return verb + s->service + "@" + s->region;
  }
  if (const auto* s = std::get_if<CommandStep>(&step))
    return "command in " + s->host + "@" + s->region;
  const auto& c = std::get<ClockStep>(step);
  return "clock of " + c.region;
}

class RecordingActuator final : public Actuator {
 public:
  struct Event {
    std::string what;  // "prepare X", "commit X", "revert X"
    Clock::duration at;  // on the clock, since its start
  };

  explicit RecordingActuator(ManualClock& clock) : clock_(clock) {}

  std::unique_ptr<PreparedStep> prepare(const PlanStep& step) override {
    const std::string name = step_name(step);
    note("prepare " + name);
    if (fail_prepare.count(name)) throw std::runtime_error("cannot prepare " + name);
    return std::make_unique<Prepared>(*this, name);
  }

  std::vector<std::string> log() const {
    std::vector<std::string> out;
    for (const auto& e : events) out.push_back(e.what);
    return out;
  }

  std::vector<Event> events;
  std::set<std::string> fail_prepare, fail_commit, fail_revert;
  // What a step reports after its commit, and after its revert (a command's
  // exit and output), by step name.
  std::map<std::string, StepReport> commit_reports, revert_reports;
  // How long a step's commit takes on the clock (a command's program running).
  std::map<std::string, Clock::duration> commit_takes;

 private:
  void note(std::string what) { events.push_back({std::move(what), clock_.elapsed()}); }

  class Applied final : public AppliedStep {
   public:
    Applied(RecordingActuator& owner, std::string name) : owner_(owner), name_(std::move(name)) {}
    std::vector<std::string> revert() override {
      owner_.note("revert " + name_);
      if (owner_.fail_revert.count(name_)) return {"cannot revert " + name_};
      return {};
    }
    StepReport report() const override {
      auto it = owner_.revert_reports.find(name_);
      return it == owner_.revert_reports.end() ? StepReport{} : it->second;
    }

   private:
    RecordingActuator& owner_;
    std::string name_;
  };

  class Prepared final : public PreparedStep {
   public:
    Prepared(RecordingActuator& owner, std::string name) : owner_(owner), name_(std::move(name)) {}
    std::unique_ptr<AppliedStep> commit() override {
      owner_.note("commit " + name_);
      if (owner_.fail_commit.count(name_)) throw std::runtime_error("cannot commit " + name_);
      if (auto it = owner_.commit_takes.find(name_); it != owner_.commit_takes.end())
        owner_.clock_.advance(it->second);
      if (name_.rfind("restart ", 0) == 0) return nullptr;  // nothing stays to undo
      // A command with nothing to run at the end leaves nothing to undo.
      if (name_.rfind("command ", 0) == 0 && owner_.revert_reports.count(name_) == 0)
        return nullptr;
      return std::make_unique<Applied>(owner_, name_);
    }
    StepReport report() const override {
      auto it = owner_.commit_reports.find(name_);
      return it == owner_.commit_reports.end() ? StepReport{} : it->second;
    }

   private:
    RecordingActuator& owner_;
    std::string name_;
  };

  ManualClock& clock_;
};

// A NemesisLog that keeps what it hears as lines: "invoke start-partition",
// "journal 0 applied".
class RecordingNemesisLog final : public NemesisLog {
 public:
  void record(OpType type, const std::string& f, const nlohmann::json& value,
              const std::string& error) override {
    lines.push_back(std::string(op_type_name(type)) + " " + f + (error.empty() ? "" : ": " + error));
    values.push_back(value);
  }
  void journal(const FaultPlan& plan, const std::string& state) override {
    lines.push_back("journal " + std::to_string(plan.fault) + " " + state);
  }
  std::vector<std::string> lines;
  std::vector<nlohmann::json> values;  // of each record, in order
};

}  // namespace faultline::testing
