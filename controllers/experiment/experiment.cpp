#include "controllers/experiment/experiment.hpp"

#include <algorithm>

#include "controllers/faults/fault_registry.hpp"

namespace faultline {

const RegionSpec* Experiment::find_region(const std::string& region) const {
  for (const auto& r : regions)
    if (r.name == region) return &r;
  return nullptr;
}

const ServiceSpec* Experiment::find_service(const std::string& service) const {
  for (const auto& s : services)
    if (s.name == service) return &s;
  return nullptr;
}

Duration Experiment::settle_bound() const {
  Duration bound{10000};
  bool named = false;
  for (const auto& inv : invariants)
    if (inv.kind == "convergence") {
      bound = named ? std::max(bound, inv.within) : inv.within;
      named = true;
    }
  return bound;
}

const InvariantSpec* Experiment::find_invariant(std::string_view kind) const {
  for (const auto& inv : invariants)
    if (inv.kind == kind) return &inv;
  return nullptr;
}

bool Experiment::has_host(std::string_view host) const {
  return std::find(hosts.begin(), hosts.end(), host) != hosts.end();
}

const ServiceSpec* Experiment::state_service() const {
  return find_service(workload.state_service.empty() ? workload.service : workload.state_service);
}

std::uint16_t Experiment::state_port() const {
  return workload.state_port != 0 ? workload.state_port : workload.port;
}

bool Experiment::needs_netem() const {
  auto uses_netem = [](const LinkImpairment& i) {
    return i.delay.count() || i.jitter.count() || i.loss > 0 || i.duplicate > 0 || i.reorder > 0 ||
           i.corrupt > 0;
  };
  if (wan && uses_netem(wan->impairment)) return true;
  for (const auto& f : faults)
    if (kind_of(f).family == FaultFamily::traffic && uses_netem(f.impairment)) return true;
  return false;
}

bool Experiment::needs_netem_only() const {
  for (const auto& f : faults)
    if (kind_of(f).netem_only) return true;
  return false;
}

bool Experiment::has_traffic_faults() const {
  if (wan) return true;
  for (const auto& f : faults)
    if (kind_of(f).family == FaultFamily::traffic) return true;
  return false;
}

}  // namespace faultline
