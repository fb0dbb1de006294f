#include "controllers/workload/kv_workload.hpp"

#include "controllers/history/operation_kinds.hpp"
#include "controllers/workload/customers.hpp"
#include "controllers/workload/workload.hpp"

namespace faultline {

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

}  // namespace faultline
