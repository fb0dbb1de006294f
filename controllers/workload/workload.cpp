#include "controllers/workload/workload.hpp"

#include <map>
#include <stdexcept>

#include "controllers/workload/customers.hpp"
#include "controllers/workload/kv_workload.hpp"
#include "controllers/workload/list_append_workload.hpp"
#include "controllers/workload/register_workload.hpp"
#include "controllers/workload/set_workload.hpp"

namespace faultline {

std::vector<std::string> workload_keys(int count) {
  std::vector<std::string> keys;
  for (int i = 0; i < count; ++i) keys.push_back("k" + std::to_string(i));
  return keys;
}

WorkloadPlan plan_global_sessions(
    const Experiment& e, const std::vector<std::string>& regions,
    const std::function<std::unique_ptr<Generator>(std::int64_t session)>& generator) {
  WorkloadPlan plan;
  plan.session_slots = static_cast<std::int64_t>(regions.size()) * e.workload.clients_per_region;
  std::int64_t session = 0;
  for (const auto& region : regions)
    for (int i = 0; i < e.workload.clients_per_region; ++i, ++session)
      plan.sessions.push_back({session, region, generator(session)});
  return plan;
}

WorkloadPlan plan_workload(const Experiment& e, const std::vector<std::string>& regions) {
  using Planner = WorkloadPlan (*)(const Experiment&, const std::vector<std::string>&);
  // The generators of the workload kinds that drive sessions (workload_kinds.hpp).
  static const std::map<std::string, Planner> planners{
      {"kv", plan_kv_workload},
      {"register", plan_register_workload},
      {"set", plan_set_workload},
      {"list-append", plan_list_append_workload},
  };
  const auto found = planners.find(e.workload.kind);
  if (found == planners.end())
    throw std::invalid_argument("workload kind '" + e.workload.kind + "' drives no sessions");
  return found->second(e, regions);
}

Workload::Workload(const Experiment& experiment,
                   std::vector<std::pair<std::string, const injector::NamespaceFd*>> hosts,
                   HistoryRecorder& history, Clock& clock, std::unique_ptr<ClientFactory> sessions,
                   std::unique_ptr<ClientFactory> sign_up)
    : experiment_(experiment),
      history_(history),
      clock_(clock),
      sessions_(std::move(sessions)),
      sign_up_(std::move(sign_up)) {
  for (const auto& [region, netns] : hosts) {
    regions_.push_back(region);
    hosts_[region] = netns;
  }
}

void Workload::sign_up(std::chrono::milliseconds patience) {
  const std::vector<Customer> customers = plan_customers(experiment_);
  if (customers.empty()) return;
  if (!sign_up_) throw std::logic_error("a customers workload needs a sign-up client");
  sign_up_customers(customers, regions_, hosts_, *sign_up_, history_, clock_, patience);
}

void Workload::start() {
  runner_ = std::make_unique<WorkloadRunner>(plan_workload(experiment_, regions_), hosts_,
                                             *sessions_, history_, clock_, experiment_.workload.rate);
  if (experiment_.workload.retry.attempts > 1) {
    std::map<std::string, std::string> failover_of;
    for (const auto& region : experiment_.regions)
      if (!region.failover.empty()) failover_of[region.name] = region.failover;
    runner_->set_retry(experiment_.workload.retry, std::move(failover_of));
  }
  runner_->start();
}

void Workload::stop() {
  if (runner_) runner_->stop();
}

}  // namespace faultline
