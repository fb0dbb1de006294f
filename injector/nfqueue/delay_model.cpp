#include "injector/nfqueue/delay_model.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <fstream>
#include <sstream>

#include "injector/kernel_error.hpp"

namespace faultline::injector {

namespace {
constexpr double kDistScale = 8192.0;  // NETEM_DIST_SCALE in include/uapi/linux/pkt_sched.h

std::uint32_t fraction(double percent) {
  return static_cast<std::uint32_t>(
      std::llround(std::clamp(percent, 0.0, 100.0) / 100.0 * 4294967295.0));
}
}  // namespace

std::vector<std::int16_t> load_distribution_table(const std::string& name) {
  for (const char* dir :
       {"/usr/lib/x86_64-linux-gnu/tc/", "/usr/lib/tc/", "/usr/lib64/tc/", "/usr/local/lib/tc/"}) {
    std::ifstream in(std::string(dir) + name + ".dist");
    if (!in) continue;
    std::vector<std::int16_t> table;
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      std::istringstream words(line);
      long value;
      while (words >> value) table.push_back(static_cast<std::int16_t>(value));
    }
    return table;
  }
  throw KernelError(
      "netem distribution '" + name + "'",
      "table " + name + ".dist not found (it comes with iproute2: apt-get install iproute2)",
      ENOENT);
}

std::uint32_t DelayModel::Correlated::next(std::mt19937& rng) {
  std::uint32_t value = rng();
  if (rho == 0) return value;
  // As sch_netem's get_crandom(): mix the new value with the last one.
  std::uint64_t mixed = (static_cast<std::uint64_t>(value) * (0xffffffffULL - rho) +
                         static_cast<std::uint64_t>(last) * rho) >>
                        32;
  last = static_cast<std::uint32_t>(mixed);
  return last;
}

DelayModel::DelayModel(const NetemSpec& spec, std::uint64_t seed)
    : spec_(spec), rng_(static_cast<std::uint32_t>(seed)) {
  delay_rnd_.rho = fraction(spec.delay_correlation);
  loss_rnd_.rho = fraction(spec.loss_correlation);
  reorder_rnd_.rho = fraction(spec.reorder_correlation);
  delay_rnd_.last = rng_();
  loss_rnd_.last = rng_();
  reorder_rnd_.last = rng_();
  loss_threshold_ = fraction(spec.loss);
  reorder_threshold_ = fraction(spec.reorder);
  if (!spec.distribution.empty() && spec.distribution != "uniform")
    table_ = load_distribution_table(spec.distribution);
}

DelayModel::Fate DelayModel::next() {
  Fate fate;
  if (loss_threshold_ && loss_rnd_.next(rng_) < loss_threshold_) {
    fate.drop = true;
    return fate;
  }
  // Reordering as netem does it: a fraction of packets skip the delay.
  if (reorder_threshold_ && reorder_rnd_.next(rng_) < reorder_threshold_) return fate;
  double delay_us = spec_.delay_us;
  if (spec_.jitter_us) {
    const std::uint32_t rnd = delay_rnd_.next(rng_);
    if (table_.empty()) {
      delay_us += (static_cast<double>(rnd) / 4294967295.0 * 2.0 - 1.0) * spec_.jitter_us;
    } else {
      const double t = table_[rnd % table_.size()];
      delay_us += spec_.jitter_us * t / kDistScale;
    }
  }
  fate.hold = std::chrono::nanoseconds(static_cast<std::int64_t>(std::max(0.0, delay_us) * 1000.0));
  return fate;
}

}  // namespace faultline::injector
