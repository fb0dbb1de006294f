#include "controllers/checkers/judge.hpp"

#include <map>

#include "controllers/checkers/availability.hpp"
#include "controllers/checkers/convergence.hpp"
#include "controllers/checkers/failover_time.hpp"
#include "controllers/checkers/no_lost_writes.hpp"
#include "controllers/checkers/residency.hpp"
#include "controllers/checkers/session_guarantees.hpp"

namespace faultline {

std::vector<CheckResult> judge_invariants(const Experiment& e, const CompactHistory& history) {
  std::vector<CheckResult> results;
  for (const auto& inv : e.invariants) {
    switch (inv.kind) {
      case InvariantKind::convergence:
        results.push_back(check_convergence(history, inv.within));
        break;
      case InvariantKind::no_lost_writes:
        results.push_back(check_no_lost_writes(history));
        break;
      case InvariantKind::read_your_writes:
        results.push_back(check_read_your_writes(history));
        break;
      case InvariantKind::monotonic_reads:
        results.push_back(check_monotonic_reads(history));
        break;
      case InvariantKind::residency: {
        std::map<std::string, std::string> geo;
        for (const auto& r : e.regions) geo[r.name] = r.geo;
        results.push_back(check_residency(history, geo));
        break;
      }
      case InvariantKind::failover_time:
        results.push_back(check_failover_time(history, inv.within));
        break;
      case InvariantKind::availability:
        results.push_back(check_availability(history, inv.min_fraction));
        break;
    }
  }
  return results;
}

}  // namespace faultline
