// recovery: a region back from a fault takes its customers back along the
// ramp, with its errors and latency within bounds (see ../recovery.hpp).
#include "controllers/checkers/recovery.hpp"

#include <algorithm>

#include "controllers/checkers/invariant_kind.hpp"
#include "controllers/experiment/units.hpp"

namespace faultline {

namespace {

constexpr Duration kShortest{100}, kLongest{600000};

std::int64_t ns(Duration d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

void read(const InvariantTable& in, InvariantSpec& spec) {
  // The shared fields' defaults are other kinds'; recovery's own first.
  spec.within = Duration(6000);
  spec.min_fraction = 0.95;
  if (auto step = in.reader.duration(in.table, "step", kShortest, kLongest))
    spec.recovery_step = *step;
  if (auto ramp = in.reader.duration(in.table, "ramp", kShortest, kLongest)) spec.within = *ramp;
  if (auto jump = in.reader.number(in.table, "max_jump", 0, 1)) spec.recovery_max_jump = *jump;
  if (auto errors = in.reader.number(in.table, "max_errors", 0, 1)) spec.min_fraction = 1 - *errors;
  if (auto p99 = in.reader.duration(in.table, "p99", Duration(1), kLongest))
    spec.percentiles = {{0.99, *p99}};
  const bool takes_down = std::any_of(in.experiment.faults.begin(), in.experiment.faults.end(),
                                      [](const FaultSpec& f) { return !f.region.empty(); });
  if (!takes_down && in.faults_known)
    in.reader.error(spec.where,
                    "recovery judges a region coming back: it needs a [[fault]] with "
                    "a region (kill, isolate, pause, ...)");
}

// The regions faults took down, each outage once: a region's overlapping
// windows (its app and its database killed together) are one.
std::vector<RegionOutage> outages(const Experiment& e, const CompactHistory& history) {
  std::vector<RegionOutage> out;
  for (const FaultWindow& w : fault_windows(history)) {
    if (w.fault < 0 || static_cast<std::size_t>(w.fault) >= e.faults.size()) continue;
    const std::string& region = e.faults[static_cast<std::size_t>(w.fault)].region;
    if (region.empty()) continue;
    auto same = std::find_if(out.begin(), out.end(), [&](const RegionOutage& o) {
      return o.region == region && w.start <= (o.window.stop < 0 ? w.start : o.window.stop) &&
             (w.stop < 0 || w.stop >= o.window.start);
    });
    if (same == out.end()) {
      out.push_back({w, region});
    } else {
      same->window.start = std::min(same->window.start, w.start);
      same->window.stop =
          w.stop < 0 || same->window.stop < 0 ? -1 : std::max(same->window.stop, w.stop);
    }
  }
  return out;
}

CheckResult check(const InvariantSpec& spec, const Experiment& e, const CompactHistory& history) {
  RecoveryBounds b{.step_ns = ns(spec.recovery_step),
                   .ramp_ns = ns(spec.within),
                   .max_jump = spec.recovery_max_jump,
                   .max_errors = 1 - spec.min_fraction,
                   .p99_ns = spec.percentiles.empty() ? 0 : ns(spec.percentiles.front().second),
                   .timeout_ns = ns(e.workload.timeout)};
  return check_recovery(history, outages(e, history), b);
}

}  // namespace

const InvariantKind& recovery_invariant() {
  static const InvariantKind kind{
      .name = "recovery",
      .summary =
          "a region back from a fault takes its customers back in steps (no herd), its "
          "errors and latency within bounds",
      .keys = {{.name = "step",
                .type = KeyType::duration,
                .description = "the first span after the region returns, over which its share "
                               "of its customers' operations is judged",
                .default_value = "\"1s\"",
                .minimum = format_duration(kShortest),
                .maximum = format_duration(kLongest)},
               {.name = "max_jump",
                .type = KeyType::number,
                .description = "the largest share of its customers' operations the region may "
                               "serve in its first step back, as a fraction of its share before "
                               "the fault",
                .default_value = "0.6",
                .minimum = "0",
                .maximum = "1"},
               {.name = "ramp",
                .type = KeyType::duration,
                .description =
                    "how long after the region returns its errors and latency are judged",
                .default_value = "\"6s\"",
                .minimum = format_duration(kShortest),
                .maximum = format_duration(kLongest)},
               {.name = "max_errors",
                .type = KeyType::number,
                .description = "the largest fraction of its customers' operations that may fail "
                               "during the ramp",
                .default_value = "0.05",
                .minimum = "0",
                .maximum = "1"},
               {.name = "p99",
                .type = KeyType::duration,
                .description = "the bound on its customers' p99 latency during the ramp "
                               "(failures at the timeout); none by default"}},
      .per_customer = true,
      .workloads = {"kv"},
      .read = read,
      .check = check,
  };
  return kind;
}

}  // namespace faultline
