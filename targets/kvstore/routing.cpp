#include "targets/kvstore/routing.hpp"

namespace faultline::kvstore {

bool RegionHealth::record(bool healthy, SteadyClock::time_point now) {
  if (!seen_healthy_) {
    seen_healthy_ = healthy;
    return false;
  }
  if (healthy) {
    failures_ = 0;
    ++successes_;
    if (!up_ && successes_ >= policy_->up_after) {
      up_ = true;
      recovered_at_ = now;
      return true;
    }
    return false;
  }
  successes_ = 0;
  ++failures_;
  if (up_ && failures_ >= policy_->down_after) {
    up_ = false;
    recovered_at_.reset();
    return true;
  }
  return false;
}

double RegionHealth::share(SteadyClock::time_point now) const {
  if (!up_) return 0;
  if (!recovered_at_) return 1;
  const auto step = static_cast<std::size_t>((now - *recovered_at_) / policy_->ramp_step);
  return step < policy_->ramp.size() ? policy_->ramp[step] : 1.0;
}

std::optional<std::string> choose_region(
    const Topology& topology, const RouteInput& in,
    const std::function<RegionState(const std::string&)>& health) {
  const RegionInfo& home = topology.at(in.home);
  const RegionState home_state = health(home.name);
  // Reads prefer the edge's own region when it holds a replica of the
  // customer's data: the session token keeps them read-your-writes.
  if (in.op == Operation::read && in.edge != home.name && in.edge == home.failover) {
    const RegionState edge_state = health(in.edge);
    if (edge_state.up && in.coin < edge_state.share) return in.edge;
  }
  if (home_state.up && in.coin < home_state.share) return home.name;
  if (in.any_geo) {
    for (const auto& r : topology.regions)
      if (r.name != home.name && health(r.name).up) return r.name;
  } else if (!home.failover.empty() && health(home.failover).up) {
    return home.failover;
  }
  // A ramping home region takes the rest when its failover cannot.
  if (home_state.up) return home.name;
  return std::nullopt;
}

}  // namespace faultline::kvstore
