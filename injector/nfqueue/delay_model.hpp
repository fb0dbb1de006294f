#pragma once
// What happens to each packet under a netem-like specification, decided in
// user space: dropped, or held for how long. The same model as sch_netem
// (net/sched/sch_netem.c): correlated random numbers, jitter drawn from a
// distribution table scaled by NETEM_DIST_SCALE (8192), or uniform in
// [-jitter, +jitter] without a table. Pure and seeded, so it is tested
// statistically without root.
#include <chrono>
#include <cstdint>
#include <random>
#include <vector>

#include "injector/traffic_control.hpp"

namespace faultline::injector {

class DelayModel {
 public:
  DelayModel(const NetemSpec& spec, std::uint64_t seed);

  struct Fate {
    bool drop = false;
    std::chrono::nanoseconds hold{0};
  };
  Fate next();

 private:
  // netem's get_crandom(): a correlated uniform 32-bit value.
  struct Correlated {
    std::uint32_t rho = 0;
    std::uint32_t last = 0;
    std::uint32_t next(std::mt19937& rng);
  };
  NetemSpec spec_;
  std::mt19937 rng_;
  Correlated delay_rnd_, loss_rnd_, reorder_rnd_;
  std::vector<std::int16_t> table_;
  std::uint32_t loss_threshold_ = 0, reorder_threshold_ = 0;
};

// The delay tables iproute2 installs (normal, pareto, paretonormal): signed
// 16-bit values scaled by NETEM_DIST_SCALE. Both engines use them.
std::vector<std::int16_t> load_distribution_table(const std::string& name);

}  // namespace faultline::injector
