#pragma once
// The global router's decisions, apart from its sockets so they can be tested
// on their own: when a region counts as down, how traffic ramps back after it
// recovers, and which region serves a customer's request.
//
// The multi-region design guide's rules: health checks every interval against
// /health/deep; a region is down after 3 consecutive failures; a customer is
// served by its home region, or by its failover region in the same geo when
// home is down, never by another geo; after recovery traffic returns in steps
// (10%, then 50%, then all of it) so a thundering herd does not knock the
// region over again.
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "targets/kvstore/topology.hpp"

namespace faultline::kvstore {

using SteadyClock = std::chrono::steady_clock;

struct HealthPolicy {
  int down_after = 3;  // consecutive failed checks
  int up_after = 2;    // consecutive good checks to come back
  // Shares of its traffic a recovered region takes back, each for one step.
  std::vector<double> ramp = {0.1, 0.5};
  std::chrono::milliseconds ramp_step{2000};
};

class RegionHealth {
 public:
  explicit RegionHealth(const HealthPolicy* policy) : policy_(policy) {}
  // Returns true when this check changed the region's state.
  bool record(bool healthy, SteadyClock::time_point now);
  bool up() const { return up_; }
  // Whether the region has passed a check since the router started. Until it
  // has, failures do not count: regions start in any order.
  bool seen_healthy() const { return seen_healthy_; }
  // The share of its own customers' traffic the region takes now: 1 when it
  // has been up since the start or finished its ramp, a ramp step's share
  // after a recovery, 0 when down.
  double share(SteadyClock::time_point now) const;

 private:
  const HealthPolicy* policy_;
  bool up_ = true;
  bool seen_healthy_ = false;
  int failures_ = 0;
  int successes_ = 0;
  std::optional<SteadyClock::time_point> recovered_at_;
};

enum class Operation { read, write };

struct RouteInput {
  std::string home;  // the customer's home region
  std::string edge;  // the region whose router took the request
  Operation op = Operation::write;
  double coin = 0;  // uniform in [0, 1): decides ramp shares
  // The failover-any-geo bug: fail over to the first healthy region of any
  // geo instead of the home region's failover region.
  bool any_geo = false;
};

// The region that should serve the request, or none when no allowed region is
// healthy. `health(region)` says whether a region is up and its share.
struct RegionState {
  bool up = true;
  double share = 1;
};
std::optional<std::string> choose_region(
    const Topology& topology, const RouteInput& in,
    const std::function<RegionState(const std::string&)>& health);

}  // namespace faultline::kvstore
