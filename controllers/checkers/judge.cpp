#include "controllers/checkers/judge.hpp"

#include "controllers/checkers/invariant_registry.hpp"

namespace faultline {

std::vector<CheckResult> judge_invariants(const Experiment& e, const CompactHistory& history) {
  std::vector<CheckResult> results;
  for (const auto& inv : e.invariants) {
    const InvariantKind* kind = find_invariant_kind(inv.kind);
    if (kind == nullptr) {
      // Only an experiment built in code can get here: the parser refuses the name.
      CheckResult unknown;
      unknown.invariant = inv.kind;
      unknown.summary = "no invariant kind '" + inv.kind + "' is registered";
      results.push_back(std::move(unknown));
      continue;
    }
    results.push_back(kind->check(inv, e, history));
  }
  return results;
}

}  // namespace faultline
