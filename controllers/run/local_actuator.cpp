#include "controllers/run/local_actuator.hpp"

#include <spdlog/spdlog.h>

#include "controllers/faults/clock_skew.hpp"
#include "controllers/run/command_run.hpp"
#include "controllers/run/interrupt.hpp"
#include "injector/nfqueue/nfqueue_engine.hpp"
#include "injector/route_block.hpp"

namespace faultline {

namespace {

// A step whose commit and revert are two functions.
class Step final : public PreparedStep {
 public:
  explicit Step(std::function<std::unique_ptr<AppliedStep>()> commit) : commit_(std::move(commit)) {}
  std::unique_ptr<AppliedStep> commit() override { return commit_(); }

 private:
  std::function<std::unique_ptr<AppliedStep>()> commit_;
};

class Undo final : public AppliedStep {
 public:
  explicit Undo(std::function<std::vector<std::string>()> revert) : revert_(std::move(revert)) {}
  std::vector<std::string> revert() override {
    if (!revert_) return {};
    auto fn = std::move(revert_);
    revert_ = nullptr;
    return fn();
  }

 private:
  std::function<std::vector<std::string>()> revert_;
};

std::unique_ptr<AppliedStep> undo(std::function<std::vector<std::string>()> revert) {
  return std::make_unique<Undo>(std::move(revert));
}

std::vector<std::string> problems_of(const std::optional<std::string>& problem) {
  return problem ? std::vector<std::string>{*problem} : std::vector<std::string>{};
}

}  // namespace

LocalActuator::LocalActuator(Provider& provider, std::string engine, std::uint64_t seed,
                             std::function<std::string(const std::string&)> clock_file,
                             std::string results)
    : provider_(provider),
      engine_(std::move(engine)),
      seed_(seed),
      clock_file_(std::move(clock_file)),
      results_(std::move(results)) {}

LocalActuator::~LocalActuator() = default;

std::string LocalActuator::claim(const std::string& planned) {
  std::string netns = provider_.topology().current(planned);
  provider_.claim(netns);
  return netns;
}

std::unique_ptr<AppliedStep> LocalActuator::unless_replaced(std::string netns,
                                                           std::unique_ptr<AppliedStep> step) {
  std::shared_ptr<AppliedStep> inner(std::move(step));
  return undo([this, netns = std::move(netns), inner]() -> std::vector<std::string> {
    if (provider_.topology().replaced(netns)) {
      spdlog::warn("{} was replaced during the fault (a container restarted): the fault went "
                   "with its old network namespace",
                   netns);
      return {};
    }
    return inner->revert();
  });
}

injector::ShapedInterface& LocalActuator::shaper(const std::string& netns, const std::string& dev) {
  auto& slot = shapers_[{netns, dev}];
  if (!slot) slot = injector::ShapedInterface::open(provider_.topology().socket(netns), netns, dev);
  return *slot;
}

injector::QueueRuleTable& LocalActuator::queue_table(const std::string& netns) {
  auto& slot = queue_tables_[netns];
  if (!slot)
    slot = std::make_unique<injector::QueueRuleTable>(provider_.topology().netns(netns), netns);
  return *slot;
}

std::unique_ptr<PreparedStep> LocalActuator::prepare(const PlanStep& step) {
  if (const auto* s = std::get_if<RouteStep>(&step)) {
    const std::string netns = claim(s->netns);
    injector::RouteBlockGuard::Entry entry{provider_.topology().socket(netns), netns, s->route};
    return std::make_unique<Step>([this, netns, entry] {
      auto routes = std::make_shared<injector::RouteBlockGuard>(
          injector::RouteBlockGuard::apply({entry}));
      return unless_replaced(netns, undo([routes] { return routes->revert(); }));
    });
  }
  if (const auto* s = std::get_if<DropRuleStep>(&step)) {
    const std::string netns = claim(s->netns);
    injector::QueueRuleTable& table = queue_table(netns);
    std::vector<injector::QueueRule> rules;
    for (const auto& m : s->matches) rules.push_back({s->dev, m, 0, 0, true});
    const std::uint64_t owner = next_owner_++;
    return std::make_unique<Step>([this, netns, &table, rules, owner] {
      table.set(owner, rules);
      return unless_replaced(netns, undo([&table, owner] { return problems_of(table.remove(owner)); }));
    });
  }
  if (const auto* s = std::get_if<ShapeStep>(&step)) return prepare_shape(s->change);
  if (const auto* s = std::get_if<ProcessStep>(&step)) {
    Service& service = provider_.service(s->region, s->service);
    const ProcessAction action = s->action;
    return std::make_unique<Step>([&service, action]() -> std::unique_ptr<AppliedStep> {
      switch (action) {
        case ProcessAction::kill:
          service.kill();
          return undo([&service] {
            service.start();
            return std::vector<std::string>{};
          });
        case ProcessAction::pause:
          service.pause();
          return undo([&service] {
            service.resume();
            return std::vector<std::string>{};
          });
        case ProcessAction::restart:
          service.kill();
          service.start();
          return nullptr;
      }
      return nullptr;
    });
  }
  if (const auto* s = std::get_if<CommandStep>(&step)) return prepare_command(*s);
  const auto& clock = std::get<ClockStep>(step);
  const std::string file = clock_file_(clock.region);
  const std::string spec = faketime_spec(clock.offset, clock.drift);
  return std::make_unique<Step>([file, spec] {
    write_clock_file(file, spec);
    return undo([file] {
      write_clock_file(file, faketime_spec(Duration(0), 0));
      return std::vector<std::string>{};
    });
  });
}

namespace {

// The end command runs when the fault is reverted; what it reports is the
// stop operation's.
class CommandEnd final : public AppliedStep {
 public:
  CommandEnd(std::function<CommandOutcome()> run, std::string label)
      : run_(std::move(run)), label_(std::move(label)) {}
  std::vector<std::string> revert() override {
    if (!run_) return {};
    auto run = std::move(run_);
    run_ = nullptr;
    // Ctrl-C asked for a quick way out: a script run now would be killed
    // at once (run_command watches the same flag).
    if (interrupt_requested()) {
      spdlog::warn("{}: the run was interrupted, its at_end command is not run", label_);
      report_.failure = "the at_end command was not run: the run was interrupted";
      return {};
    }
    report_ = command_report(run(), "the at_end command");
    return {};
  }
  StepReport report() const override { return report_; }

 private:
  std::function<CommandOutcome()> run_;
  std::string label_;
  StepReport report_;
};

class CommandStart final : public PreparedStep {
 public:
  CommandStart(std::function<CommandOutcome()> run, std::function<CommandOutcome()> at_end,
               std::string label)
      : run_(std::move(run)), at_end_(std::move(at_end)), label_(std::move(label)) {}
  std::unique_ptr<AppliedStep> commit() override {
    report_ = command_report(run_(), "the command");
    // Even with nothing to run at the end: a command given `for` lasts, and
    // the nemesis keeps in force only what left something to revert. One
    // without `for` is dropped at once, its revert a no-op.
    return std::make_unique<CommandEnd>(std::move(at_end_), label_);
  }
  StepReport report() const override { return report_; }

 private:
  std::function<CommandOutcome()> run_;
  std::function<CommandOutcome()> at_end_;
  std::string label_;
  StepReport report_;
};

}  // namespace

std::unique_ptr<PreparedStep> LocalActuator::prepare_command(const CommandStep& step) {
  const std::string netns = claim(step.netns);
  const injector::NamespaceFd& fd = provider_.topology().netns(netns);
  const std::string label = "fault " + std::to_string(step.fault) + " (command)";
  auto runner = [this, &fd, label, step](const std::vector<std::string>& argv,
                                         const std::string& log) {
    return [this, &fd, label, step, argv = with_results(argv, results_), log] {
      return run_command({.argv = argv,
                          .user = step.user,
                          .timeout = step.timeout,
                          .log_path = results_ + "/" + log,
                          .label = label},
                         fd);
    };
  };
  const std::string prefix = "fault-" + std::to_string(step.fault);
  std::function<CommandOutcome()> at_end;
  if (!step.at_end.empty()) at_end = runner(step.at_end, prefix + "-at-end.log");
  return std::make_unique<CommandStart>(runner(step.run, prefix + "-command.log"),
                                        std::move(at_end), label);
}

std::unique_ptr<PreparedStep> LocalActuator::prepare_shape(const ShapingChange& planned) {
  ShapingChange change = planned;
  change.netns = claim(planned.netns);
  if (engine_ != "nfqueue" || change.spec.netem.empty()) {
    return std::make_unique<Step>([this, change] {
      auto guard = std::make_shared<injector::ShapingGuard>(
          shaper(change.netns, change.dev).shape(change.spec, change.band));
      return unless_replaced(change.netns, undo([guard] { return guard->revert(); }));
    });
  }
  // NFQUEUE: the engine starts now, listening on its queue before any packet
  // is steered to it; the commit adds the rules (and a rate's htb class).
  injector::QueueRuleTable& table = queue_table(change.netns);
  const std::uint16_t queue = table.allocate_queue();
  const std::uint64_t owner = next_owner_++;
  auto engine = std::make_shared<injector::NfqueueEngine>(
      provider_.topology().netns(change.netns), change.netns, queue, change.spec.netem,
      seed_ * 7919 + owner);
  return std::make_unique<Step>([this, change, &table, queue, owner, engine] {
    std::shared_ptr<injector::ShapingGuard> rate;
    if (change.spec.rate_bits_per_second) {
      injector::ShapingSpec only_rate = change.spec;
      only_rate.netem = {};
      rate = std::make_shared<injector::ShapingGuard>(
          shaper(change.netns, change.dev).shape(only_rate, change.band));
    }
    std::vector<injector::QueueRule> rules;
    for (const auto& m : change.spec.matches) rules.push_back({change.dev, m, queue, change.band});
    try {
      table.set(owner, rules);
    } catch (...) {
      if (rate) rate->revert();
      throw;
    }
    return unless_replaced(change.netns, undo([this, &table, owner, engine, rate]() mutable {
      // Rules first: no packet waits on a queue about to go.
      auto problems = problems_of(table.remove(owner));
      auto stats = engine->stats();
      spdlog::debug("queue {}: {} packets, {} dropped by the fault, {} by overflow, {} by the kernel",
                    engine->queue(), stats.received, stats.dropped_by_fault,
                    stats.dropped_overflow, stats.kernel_dropped);
      nfqueue_stats_.push_back({{"queue", engine->queue()},
                                {"received", stats.received},
                                {"dropped_by_fault", stats.dropped_by_fault},
                                {"dropped_overflow", stats.dropped_overflow},
                                {"kernel_dropped", stats.kernel_dropped}});
      engine.reset();  // accepts whatever it still holds
      if (rate)
        for (auto& p : rate->revert()) problems.push_back(std::move(p));
      return problems;
    }));
  });
}

}  // namespace faultline
