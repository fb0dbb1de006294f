#include "controllers/checkers/availability.hpp"

#include <cstdio>
#include <map>
#include <optional>
#include <unordered_map>

#include "controllers/checkers/history_facts.hpp"
#include "controllers/history/operation_kinds.hpp"

namespace faultline {

namespace {

struct Tally {
  std::size_t ok = 0, total = 0;
  const CompactOp* first_failure = nullptr;
  double fraction() const { return total == 0 ? 1.0 : static_cast<double>(ok) / total; }
};

std::string percent(double f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", f * 100);
  return buf;
}

}  // namespace

CheckResult check_availability(const CompactHistory& h, double min_fraction,
                               const std::vector<std::string>& regions_run) {
  CheckResult result;
  result.invariant = "availability";

  const std::vector<FaultWindow> windows = fault_windows(h);

  // Pair completions with their invocations to count by invocation time.
  std::unordered_map<std::int64_t, std::int64_t> invoked;  // process -> time
  std::map<std::string, Tally> per_region;
  std::map<std::pair<std::size_t, std::string>, Tally> per_window;
  std::unordered_map<std::uint32_t, Tally> by_region_symbol;
  SeriesBuilder failed("failed operations per client region, by invocation time", "failed ops",
                       history_end_ns(h));
  std::map<std::pair<std::size_t, std::uint32_t>, Tally> by_window_symbol;
  for (const auto& op : h.ops()) {
    if (op.nemesis() || (op.f != h.f_read && op.f != h.f_write)) continue;
    if (op.type == OpType::invoke) {
      invoked[op.process] = op.time;
      continue;
    }
    auto inv = invoked.find(op.process);
    const std::int64_t at = inv == invoked.end() ? op.time : inv->second;
    const bool ok = op.type == OpType::ok;
    auto count = [&](Tally& t) {
      ++t.total;
      if (ok) ++t.ok;
      if (!ok && t.first_failure == nullptr) t.first_failure = &op;
    };
    count(by_region_symbol[op.region]);
    if (!ok) failed.add(h.name(op.region), at);
    for (std::size_t w = 0; w < windows.size(); ++w)
      if (at >= windows[w].start && (windows[w].stop < 0 || at <= windows[w].stop))
        count(by_window_symbol[{w, op.region}]);
  }
  for (const auto& [region, t] : by_region_symbol) per_region[h.name(region)] = t;
  for (const auto& [key, t] : by_window_symbol) per_window[{key.first, h.name(key.second)}] = t;

  nlohmann::json regions = nlohmann::json::object();
  std::optional<std::pair<std::string, const Tally*>> worst;
  auto consider = [&](const std::string& label, const Tally& t) {
    if (t.total > 0 && (!worst || t.fraction() < worst->second->fraction())) worst = {{label, &t}};
  };
  for (const auto& [region, t] : per_region) {
    regions[region] = {{"ok", t.ok}, {"operations", t.total}, {"fraction", t.fraction()}};
    consider("in " + region, t);
  }
  nlohmann::json during = nlohmann::json::array();
  for (const auto& [key, t] : per_window) {
    during.push_back({{"fault", windows[key.first].what},
                      {"region", key.second},
                      {"ok", t.ok},
                      {"operations", t.total},
                      {"fraction", t.fraction()}});
    consider("in " + key.second + " during " + windows[key.first].what, t);
  }
  std::size_t operations = 0;
  for (const auto& [region, t] : per_region) operations += t.total;
  std::vector<std::string> silent;  // regions of the run without one operation
  for (const auto& region : regions_run)
    if (!per_region.count(region)) silent.push_back(region);
  result.judged = operations;
  result.judged_what = "operations";
  result.details = {{"bound", min_fraction}, {"regions", regions}, {"during_faults", during}};
  if (!silent.empty()) result.details["regions_without_operations"] = silent;
  if (!worst) {
    result.series.push_back(failed.build());
    result.summary = "no workload operations: nothing to judge";
    return result;
  }
  const Tally& t = *worst->second;
  if (t.fraction() < min_fraction && t.first_failure != nullptr)
    failed.mark(t.first_failure->time, "first failure " + worst->first);
  result.series.push_back(failed.build());
  result.details["lowest"] = t.fraction();
  const std::string text = percent(t.fraction()) + " of " + std::to_string(t.total) +
                           " operations succeeded " + worst->first;
  if (t.fraction() < min_fraction) {
    result.validity = Validity::violated;
    result.summary = text + ", under the bound of " + percent(min_fraction);
    if (t.first_failure != nullptr) result.witness.push_back(h.operation(*t.first_failure));
  } else if (!silent.empty()) {
    std::string names;
    for (const auto& region : silent) names += (names.empty() ? "" : ", ") + region;
    result.summary = "no operation in " + names + ": cannot judge its availability (elsewhere " +
                     "lowest " + text + ")";
  } else {
    result.validity = Validity::holds;
    result.summary = "lowest availability " + text + " (bound " + percent(min_fraction) + ")";
  }
  return result;
}

CheckResult check_availability(const std::vector<Operation>& history, double min_fraction) {
  return check_availability(CompactHistory::from(history), min_fraction, {});
}

}  // namespace faultline
