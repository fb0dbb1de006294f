#pragma once
// Recovery point: how much acknowledged data a failover cost, as a span of
// time. The figure is no-lost-writes' (no_lost_writes.hpp): over the
// acknowledged writes that did not survive anywhere, from the oldest one's
// invocation to the newest one's acknowledgement. That is the age the
// oldest lost write had when the last lost one was acknowledged: the guide's
// RPO ("under a minute"), judged against a bound. No write lost: a recovery
// point of zero. A value nobody wrote (a phantom) is no-lost-writes'
// violation, not a recovery point; so are writes that could not be judged.
#include "controllers/checkers/check_result.hpp"
#include "controllers/experiment/units.hpp"
#include "controllers/history/compact_history.hpp"

namespace faultline {

CheckResult check_rpo(const CompactHistory& history, Duration within);

}  // namespace faultline
