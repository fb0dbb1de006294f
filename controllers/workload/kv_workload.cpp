#include "controllers/workload/kv_workload.hpp"

#include <map>

#include "controllers/history/operation_kinds.hpp"
#include "controllers/workload/register_workload.hpp"

namespace faultline {

std::vector<std::string> workload_keys(int count) {
  std::vector<std::string> keys;
  for (int i = 0; i < count; ++i) keys.push_back("k" + std::to_string(i));
  return keys;
}

KvGenerator::KvGenerator(std::uint64_t seed, std::int64_t session, std::vector<std::string> keys,
                         std::vector<std::string> customers, double read_fraction)
    : keys_(std::move(keys)),
      customers_(std::move(customers)),
      rng_(seed * 1000003 + static_cast<std::uint64_t>(session)),
      pick_key_(0, keys_.size() - 1),
      pick_customer_(0, customers_.empty() ? 0 : customers_.size() - 1),
      is_read_(read_fraction) {}

std::optional<Operation> KvGenerator::next(const SessionState& session) {
  // The draws' order (key, customer, read or write) is part of what a seed
  // means: changing it changes every recorded history.
  const std::string& k = keys_[pick_key_(rng_)];
  const std::string key = customers_.empty() ? k : customer_key(customers_[pick_customer_(rng_)], k);
  if (is_read_(rng_)) return Operation{.f = kReadF, .value = nlohmann::json::array({key, nullptr})};
  return Operation{.f = kWriteF,
                   .value = nlohmann::json::array(
                       {key, unique_write_value(session.process, writes_++)})};
}

WorkloadPlan plan_kv_workload(const Experiment& e, const std::vector<std::string>& regions) {
  const WorkloadSpec& spec = e.workload;
  const std::vector<Customer> customers = plan_customers(e);
  const std::vector<std::string> keys = workload_keys(spec.keys);
  WorkloadPlan plan;
  plan.session_slots = static_cast<std::int64_t>(regions.size()) * spec.clients_per_region;
  std::int64_t session = 0;
  for (const auto& region : regions) {
    // This region's sessions share the customers placed here, round-robin.
    std::vector<std::vector<std::string>> owned(static_cast<std::size_t>(spec.clients_per_region));
    std::size_t next = 0;
    for (const auto& c : customers)
      if (c.session_region == region) owned[next++ % owned.size()].push_back(c.id);
    for (auto& mine : owned) {
      // Numbered even when idle (more slots than customers here), so the
      // numbers do not depend on how customers fall.
      const std::int64_t number = session++;
      if (spec.data == WorkloadData::customers && mine.empty()) continue;
      plan.sessions.push_back({number, region,
                               std::make_unique<KvGenerator>(e.seed, number, keys, std::move(mine),
                                                             spec.read_fraction)});
    }
  }
  return plan;
}

namespace {

std::map<std::string, std::string> addresses(const std::vector<WorkloadTarget>& targets,
                                             std::string WorkloadTarget::*address) {
  std::map<std::string, std::string> out;
  for (const auto& t : targets) out[t.region] = t.*address;
  return out;
}

}  // namespace

KvWorkload::KvWorkload(const Experiment& experiment, std::vector<WorkloadTarget> targets,
                       HistoryRecorder& history, Clock& clock,
                       std::unique_ptr<ClientFactory> clients)
    : experiment_(experiment),
      history_(history),
      clock_(clock),
      // Session tokens are what customers' read-your-writes rides on; global
      // data goes without, as a client of the bare key-value API would.
      workload_clients_(addresses(targets, &WorkloadTarget::address), experiment.workload.port,
                        experiment.workload.timeout,
                        experiment.workload.data == WorkloadData::customers),
      state_clients_(addresses(targets, &WorkloadTarget::state_address), experiment.state_port(),
                     experiment.workload.timeout, false),
      other_clients_(std::move(clients)) {
  for (const auto& t : targets) {
    regions_.push_back(t.region);
    hosts_[t.region] = t.client_netns;
  }
}

void KvWorkload::sign_up(std::chrono::milliseconds patience) {
  sign_up_customers(plan_customers(experiment_), regions_, hosts_, state_clients_, history_, clock_,
                    patience);
}

void KvWorkload::start() {
  WorkloadPlan plan = experiment_.workload.kind == WorkloadKind::register_
                          ? plan_register_workload(experiment_, regions_)
                          : plan_kv_workload(experiment_, regions_);
  ClientFactory& clients = other_clients_ ? *other_clients_ : workload_clients_;
  runner_ = std::make_unique<WorkloadRunner>(std::move(plan), hosts_, clients, history_, clock_,
                                             experiment_.workload.rate);
  runner_->start();
}

void KvWorkload::stop() {
  if (runner_) runner_->stop();
}

}  // namespace faultline
