#include "controllers/experiment/experiment.hpp"

#include <algorithm>

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

bool is_traffic_fault(FaultKind kind) {
  return kind >= FaultKind::delay && kind <= FaultKind::slow_db;
}

bool Experiment::needs_netem() const {
  auto uses_netem = [](const LinkImpairment& i) {
    return i.delay.count() || i.jitter.count() || i.loss > 0 || i.duplicate > 0 || i.reorder > 0 ||
           i.corrupt > 0;
  };
  if (wan && uses_netem(wan->impairment)) return true;
  for (const auto& f : faults)
    if (is_traffic_fault(f.kind) && uses_netem(f.impairment)) return true;
  return false;
}

bool Experiment::needs_netem_only() const {
  for (const auto& f : faults)
    if (f.kind == FaultKind::duplicate || f.kind == FaultKind::corrupt) return true;
  return false;
}

bool Experiment::has_traffic_faults() const {
  if (wan) return true;
  for (const auto& f : faults)
    if (is_traffic_fault(f.kind)) return true;
  return false;
}

const char* fault_kind_name(FaultKind kind) {
  switch (kind) {
    case FaultKind::partition:
      return "partition";
    case FaultKind::isolate:
      return "isolate";
    case FaultKind::kill:
      return "kill";
    case FaultKind::pause:
      return "pause";
    case FaultKind::restart:
      return "restart";
    case FaultKind::delay:
      return "delay";
    case FaultKind::loss:
      return "loss";
    case FaultKind::duplicate:
      return "duplicate";
    case FaultKind::reorder:
      return "reorder";
    case FaultKind::corrupt:
      return "corrupt";
    case FaultKind::bandwidth:
      return "bandwidth";
    case FaultKind::slow_db:
      return "slow-db";
    case FaultKind::clock_skew:
      return "clock-skew";
  }
  return "?";
}

}  // namespace faultline
