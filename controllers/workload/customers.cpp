#include "controllers/workload/customers.hpp"

#include <algorithm>

#include "controllers/workload/kv_workload.hpp"

namespace faultline {

std::vector<Customer> plan_customers(const Experiment& e) {
  std::vector<Customer> customers;
  if (e.workload.data != WorkloadData::customers) return customers;
  for (const auto& home : e.regions) {
    std::vector<std::string> geo;
    for (const auto& r : e.regions)
      if (r.geo == home.geo) geo.push_back(r.name);
    const auto start = std::find(geo.begin(), geo.end(), home.name) - geo.begin();
    for (int n = 0; n < e.workload.customers_per_region; ++n)
      customers.push_back({home.name + "-c" + std::to_string(n), home.name,
                           geo[static_cast<std::size_t>(start + n) % geo.size()]});
  }
  return customers;
}

std::vector<std::string> replica_regions(const Experiment& e, const std::string& home) {
  std::vector<std::string> out{home};
  if (const RegionSpec* r = e.find_region(home); r != nullptr && !r->failover.empty())
    out.push_back(r->failover);
  return out;
}

std::vector<KvKey> keys_held_by(const Experiment& e, const std::string& region) {
  std::vector<KvKey> keys;
  if (e.workload.data == WorkloadData::global) {
    for (const auto& k : workload_keys(e.workload.keys)) keys.push_back(global_key(k));
    return keys;
  }
  for (const auto& c : plan_customers(e)) {
    auto replicas = replica_regions(e, c.home);
    if (std::find(replicas.begin(), replicas.end(), region) == replicas.end()) continue;
    for (const auto& k : workload_keys(e.workload.keys)) keys.push_back(customer_key(c.id, k));
  }
  return keys;
}

}  // namespace faultline
