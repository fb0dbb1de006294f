// latency: percentile bounds per region, over the run or in a window of it,
// optionally only in the regions no fault touched (see ../latency.hpp).
#include "controllers/checkers/latency.hpp"

#include <algorithm>

#include "controllers/checkers/invariant_kind.hpp"
#include "controllers/experiment/units.hpp"

namespace faultline {

namespace {

// The percentile keys: p50 = 0.5, ..., p999 = 0.999.
const std::vector<std::pair<const char*, double>> kPercentiles{
    {"p50", 0.5}, {"p75", 0.75}, {"p90", 0.9}, {"p95", 0.95}, {"p99", 0.99}, {"p999", 0.999}};
const Keys kDuring{"run", "faults", "after-recovery"};
constexpr Duration kFastest{1}, kSlowest{600000};

void read(const InvariantTable& in, InvariantSpec& spec) {
  for (const auto& [key, q] : kPercentiles)
    if (auto bound = in.reader.duration(in.table, key, kFastest, kSlowest))
      spec.percentiles.emplace_back(q, *bound);
  const bool any = std::any_of(kPercentiles.begin(), kPercentiles.end(),
                               [&](const auto& p) { return in.table.contains(p.first); });
  if (!any)
    in.reader.error(spec.where,
                    "latency needs at least one bound: p50, p75, p90, p95, p99 or p999, such as "
                    "p99 = \"300ms\"");
  if (in.table.contains("during"))
    if (auto during = in.reader.choice(in.table, "during", kDuring, "latency window"))
      spec.during = kDuring[*during];
  if (auto untouched = in.reader.boolean(in.table, "untouched")) spec.untouched = *untouched;
  if (spec.untouched && in.experiment.faults.empty() && in.faults_known)
    in.reader.error(spec.where,
                    "latency with untouched = true needs a [[fault]]: without one "
                    "every region is untouched; drop 'untouched'");
}

// The regions a fault acts on: its region, else the regions it names (a
// partition's groups, a link fault's pair), else all of them.
std::vector<std::string> touched_regions(const Experiment& e) {
  std::vector<std::string> touched;
  auto add = [&](const std::string& r) {
    if (std::find(touched.begin(), touched.end(), r) == touched.end()) touched.push_back(r);
  };
  for (const FaultSpec& f : e.faults) {
    if (!f.region.empty()) {
      add(f.region);
      continue;
    }
    std::vector<std::string> named = f.between;
    for (const auto& group : f.groups) named.insert(named.end(), group.begin(), group.end());
    if (named.empty())
      for (const auto& r : e.regions) named.push_back(r.name);
    for (const auto& r : named) add(r);
  }
  return touched;
}

CheckResult check(const InvariantSpec& spec, const Experiment& e, const CompactHistory& history) {
  LatencyBounds bounds;
  for (const auto& [q, bound] : spec.percentiles)
    bounds.percentiles.emplace_back(
        q, std::chrono::duration_cast<std::chrono::nanoseconds>(bound).count());
  bounds.during = spec.during == "faults"           ? LatencyDuring::faults
                  : spec.during == "after-recovery" ? LatencyDuring::after_recovery
                                                    : LatencyDuring::run;
  bounds.timeout_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(e.workload.timeout).count();
  if (spec.untouched) bounds.excluded = touched_regions(e);
  return check_latency(history, bounds);
}

KeySpec percentile_key(const char* name, const char* what) {
  return {.name = name,
          .type = KeyType::duration,
          .description = std::string("the bound on each region's ") + what +
                         " latency (at least one percentile key is required)",
          .minimum = format_duration(kFastest),
          .maximum = format_duration(kSlowest)};
}

}  // namespace

const InvariantKind& latency_invariant() {
  static const InvariantKind kind{
      .name = "latency",
      .summary =
          "each region's latency percentiles stay within their bounds (failures count "
          "at the timeout)",
      .keys = {percentile_key("p50", "median"),
               percentile_key("p75", "75th-percentile"),
               percentile_key("p90", "90th-percentile"),
               percentile_key("p95", "95th-percentile"),
               percentile_key("p99", "99th-percentile"),
               percentile_key("p999", "99.9th-percentile"),
               {.name = "during",
                .type = KeyType::string,
                .description = "which operations count, by invocation time: the whole run, "
                               "those inside a fault's window, or those after the last fault "
                               "ended",
                .default_value = "\"run\"",
                .allowed = {"run", "faults", "after-recovery"}},
               {.name = "untouched",
                .type = KeyType::boolean,
                .description = "judge only the regions no fault acts on (a fault's region, "
                               "else the regions it names)",
                .default_value = "false"}},
      .workloads = {"kv", "register"},
      .read = read,
      .check = check,
  };
  return kind;
}

}  // namespace faultline
