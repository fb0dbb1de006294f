#pragma once
// The set invariant, Jepsen's set-full judgement, over the set workload's
// independent sets (add [k, e]; read [k, null] -> [k, [e...]]; the final
// reads count as reads). For each element added to a set, from the moment
// it was known to be in it (its add acknowledged, or a read that saw it
// returned, whichever came first), every read of that set that began later
// is an observation of it:
//   stable      every such read holds it;
//   stale       some such read missed it, and a later one held it: the
//               staleness is how long after it was known the last read that
//               missed it began;
//   lost        the last such reads all miss it: acknowledged (or seen),
//               then gone;
//   never read  no read began after it was known (nothing to judge);
// and any element a read returned that no add ever tried is unexpected.
// An add whose outcome is unknown (info) and that no read ever saw is left
// alone: it may never have happened. Lost and unexpected elements violate
// the invariant; stale reads do too when the experiment says they must not
// happen (a linearizable set), and are reported either way.
#include <chrono>
#include <cstdint>

#include "controllers/checkers/check_result.hpp"
#include "controllers/history/compact_history.hpp"

namespace faultline {

struct SetCheckOptions {
  bool stale_is_violation = false;
};

CheckResult check_set(const CompactHistory& history, const SetCheckOptions& options = {});

}  // namespace faultline
