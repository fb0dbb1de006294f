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
    CheckResult result = kind->check(inv, e, history);
    // Each kind says unknown when it had nothing to judge; this holds any
    // kind, present or future, to that: a PASS must rest on something.
    if (result.validity == Validity::holds && result.judged == 0) {
      result.validity = Validity::unknown;
      result.summary = "judged no " + (result.judged_what.empty() ? "operation" : result.judged_what) +
                       ", so cannot hold: " + result.summary;
    }
    results.push_back(std::move(result));
  }
  return results;
}

}  // namespace faultline
