#include "controllers/workload/customers.hpp"

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "controllers/history/operation_kinds.hpp"
#include "controllers/workload/workload.hpp"

namespace faultline {

using namespace std::chrono_literals;

std::vector<Customer> plan_customers(const Experiment& e) {
  std::vector<Customer> customers;
  if (e.workload.data != WorkloadData::customers) return customers;
  for (const auto& home : e.regions) {
    std::vector<std::string> geo;
    for (const auto& r : e.regions)
      if (r.geo == home.geo) geo.push_back(r.name);
    const auto start = std::find(geo.begin(), geo.end(), home.name) - geo.begin();
    const auto& cells = e.workload.cells;
    for (int n = 0; n < e.workload.customers_per_region; ++n)
      customers.push_back({home.name + "-c" + std::to_string(n), home.name,
                           geo[static_cast<std::size_t>(start + n) % geo.size()],
                           cells.empty() ? "" : cells[static_cast<std::size_t>(n) % cells.size()]});
  }
  return customers;
}

std::vector<std::string> replica_regions(const Experiment& e, const std::string& home) {
  std::vector<std::string> out{home};
  if (const RegionSpec* r = e.find_region(home); r != nullptr && !r->failover.empty())
    out.push_back(r->failover);
  return out;
}

std::string customer_key(const std::string& customer, const std::string& key) {
  return customer + "/" + key;
}

std::vector<std::string> keys_held_by(const Experiment& e, const std::string& region) {
  if (e.workload.data == WorkloadData::global) return workload_keys(e.workload.keys);
  std::vector<std::string> keys;
  for (const auto& c : plan_customers(e)) {
    auto replicas = replica_regions(e, c.home);
    if (std::find(replicas.begin(), replicas.end(), region) == replicas.end()) continue;
    for (const auto& k : workload_keys(e.workload.keys)) keys.push_back(customer_key(c.id, k));
  }
  return keys;
}

namespace {

void enter_host(const ClientHosts& hosts, const std::string& region) {
  if (auto host = hosts.find(region); host != hosts.end() && host->second != nullptr)
    injector::enter_namespace(*host->second);
}

}  // namespace

void sign_up_customers(const std::vector<Customer>& customers,
                       const std::vector<std::string>& regions, const ClientHosts& hosts,
                       ClientFactory& state_clients, HistoryRecorder& history, Clock& clock,
                       std::chrono::milliseconds patience) {
  if (customers.empty()) return;
  // A thread of its own: it moves from namespace to namespace.
  std::string problem;
  std::thread([&] {
    try {
      for (const auto& c : customers) {
        enter_host(hosts, c.home);
        auto client = state_clients.open(c.home);
        nlohmann::json value{{"customer", c.id}, {"home", c.home}};
        if (!c.cell.empty()) value["cell"] = c.cell;
        Operation invoke{.type = OpType::invoke,
                         .process = kRegisterProcess,
                         .f = kRegisterF,
                         .value = std::move(value),
                         .region = c.home};
        history.record(invoke);
        const Operation done = history.record(client->invoke(invoke));
        if (done.type != OpType::ok)
          throw std::runtime_error("signing up customer " + c.id + " at " + c.home + ": " +
                                   done.error);
      }
      for (const auto& region : regions) {
        enter_host(hosts, region);
        auto client = state_clients.open(region);
        const auto deadline = clock.now() + patience;
        for (const auto& c : customers) {
          const Operation ask{.type = OpType::invoke,
                              .f = kRegistrationReadF,
                              .value = nlohmann::json{{"customer", c.id}},
                              .region = region};
          while (client->invoke(ask).type != OpType::ok) {
            if (clock.now() > deadline)
              throw std::runtime_error("region " + region + " does not know customer " + c.id +
                                       " " + std::to_string(patience.count()) +
                                       " ms after sign-up: is global data replicated?");
            clock.sleep_for(50ms);
          }
        }
      }
    } catch (const std::exception& e) {
      problem = e.what();
    }
  }).join();
  if (!problem.empty()) throw std::runtime_error(problem);
}

}  // namespace faultline
