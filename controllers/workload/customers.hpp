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
//   the home's failover region: nowhere else;
// - with [workload] cells, customer n of a region is assigned to cell
//   cells[n % cells.size()] of its home region, sent in its sign-up.
//
// And the workload's set-up step: signing the customers up.
#include <chrono>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "controllers/experiment/experiment.hpp"
#include "controllers/workload/workload_runner.hpp"

namespace faultline {

struct Customer {
  std::string id;
  std::string home;
  std::string session_region;  // where its session's client runs
  std::string cell;            // its cell in its home region; empty without cells
};

std::vector<Customer> plan_customers(const Experiment& e);
std::vector<std::string> replica_regions(const Experiment& e, const std::string& home);
// A customer's key as the history names it: "{id}/{key}".
std::string customer_key(const std::string& customer, const std::string& key);
// The keys a region should hold at the end: every global key, or the keys
// of each customer whose replicas include the region.
std::vector<std::string> keys_held_by(const Experiment& e, const std::string& region);

// Signs every customer up at its home region ("register" operations,
// recorded, through a client of `state_clients`: the service holding global
// routing data), then waits until every region of `regions` knows every
// customer, since global data replicates asynchronously. Throws if a
// sign-up fails, or if a region does not know them all within `patience`.
void sign_up_customers(const std::vector<Customer>& customers,
                       const std::vector<std::string>& regions, const ClientHosts& hosts,
                       ClientFactory& state_clients, HistoryRecorder& history, Clock& clock,
                       std::chrono::milliseconds patience);

}  // namespace faultline
