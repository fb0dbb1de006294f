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
    if (inv.kind == InvariantKind::convergence) {
      bound = named ? std::max(bound, inv.within) : inv.within;
      named = true;
    }
  return bound;
}

const char* fault_kind_name(FaultKind kind) {
  switch (kind) {
    case FaultKind::partition: return "partition";
    case FaultKind::isolate: return "isolate";
    case FaultKind::kill: return "kill";
    case FaultKind::pause: return "pause";
    case FaultKind::restart: return "restart";
  }
  return "?";
}

const char* invariant_kind_name(InvariantKind kind) {
  switch (kind) {
    case InvariantKind::convergence: return "convergence";
    case InvariantKind::no_lost_writes: return "no-lost-writes";
  }
  return "?";
}

}  // namespace faultline
