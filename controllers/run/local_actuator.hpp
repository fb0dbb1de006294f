#pragma once
// The local kernel actuator: applies fault plans on this machine, through
// netlink from the controller's own process (routes, HTB and netem, nf_tables
// rules, the NFQUEUE engine), through the provider's services (kill, pause,
// restart), by rewriting a region's libfaketime clock file, and by running a
// command fault's programs in their host (controllers/run/command_run.hpp),
// their logs in the results folder.
//
// It owns what the faults on one interface or in one namespace share (an
// interface's HTB tree, a namespace's queue rule table), so those outlive
// every applied step that uses them.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "controllers/faults/actuator.hpp"
#include "controllers/providers/provider.hpp"
#include "injector/nfqueue/queue_rules.hpp"
#include "injector/traffic_control.hpp"

namespace faultline {

class LocalActuator final : public Actuator {
 public:
  // `engine`: "netem" or "nfqueue", who serves netem-style shaping.
  LocalActuator(Provider& provider, std::string engine, std::uint64_t seed,
                std::function<std::string(const std::string& region)> clock_file,
                std::string results);
  ~LocalActuator() override;

  std::unique_ptr<PreparedStep> prepare(const PlanStep& step) override;

  // One entry per NFQUEUE engine that served a fault: what it saw (verdict.json).
  const nlohmann::json& nfqueue_stats() const { return nfqueue_stats_; }

 private:
  // The namespace the step acts in today, claimed. A compose container that
  // restarted since the plan was made is acted on in its new namespace.
  std::string claim(const std::string& planned);
  std::unique_ptr<PreparedStep> prepare_shape(const ShapingChange& change);
  std::unique_ptr<PreparedStep> prepare_command(const CommandStep& step);
  // Wraps an applied step so that its revert is skipped, with a warning, in
  // a namespace that was replaced meanwhile (the fault went with it).
  std::unique_ptr<AppliedStep> unless_replaced(std::string netns, std::unique_ptr<AppliedStep> step);
  injector::ShapedInterface& shaper(const std::string& netns, const std::string& dev);
  injector::QueueRuleTable& queue_table(const std::string& netns);

  Provider& provider_;
  std::string engine_;
  std::uint64_t seed_;
  std::function<std::string(const std::string&)> clock_file_;
  std::string results_;
  std::uint64_t next_owner_ = 1;
  nlohmann::json nfqueue_stats_ = nlohmann::json::array();
  std::map<std::pair<std::string, std::string>, std::shared_ptr<injector::ShapedInterface>>
      shapers_;
  std::map<std::string, std::unique_ptr<injector::QueueRuleTable>> queue_tables_;
};

}  // namespace faultline
