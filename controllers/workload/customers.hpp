#pragma once
// The customers a "customers" workload drives, decided before the run from
// the experiment alone (pure, deterministic):
//
// - each region is home to `customers_per_region` customers, named
//   "{home}-c{n}";
// - each customer is driven by one session (a client thread), placed in a
//   region of the customer's geo, round-robin starting at home, so some
//   customers are served from their failover region's edge: their reads hit
//   a replica, which is what read-your-writes is about;
// - a customer's data should exist in its home region and, if it has one,
//   the home's failover region: nowhere else.
#include <string>
#include <vector>

#include "controllers/experiment/experiment.hpp"
#include "controllers/workload/kv_client.hpp"

namespace faultline {

struct Customer {
  std::string id;
  std::string home;
  std::string session_region;  // where its session's client runs
};

std::vector<Customer> plan_customers(const Experiment& e);
std::vector<std::string> replica_regions(const Experiment& e, const std::string& home);
// The keys a region should hold at the end: every global key, or the keys
// of each customer whose replicas include the region.
std::vector<KvKey> keys_held_by(const Experiment& e, const std::string& region);

}  // namespace faultline
