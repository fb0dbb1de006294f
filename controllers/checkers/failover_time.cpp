#include "controllers/checkers/failover_time.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "controllers/checkers/writes.hpp"
#include "controllers/experiment/parse.hpp"

namespace faultline {
CheckResult check_failover_time(const CompactHistory& h, Duration within) {
  CheckResult result;
  result.invariant = "failover-time";
  struct Window {
    std::int64_t start = 0;  // last success before the failures (or first failure)
    const CompactOp* first_failure = nullptr;
    const CompactOp* recovery = nullptr;
  };
  struct Track {
    std::optional<std::int64_t> last_ok;
    std::optional<Window> open;
    Window longest;
    std::int64_t longest_ns = -1;
  };
  // Customer of each key symbol, resolved once; tracks per customer.
  std::unordered_map<std::uint32_t, std::string> customer_cache;
  std::map<std::string, Track> tracks;
  std::int64_t last_time = 0;
  // Each customer's failing windows; stacked, the number failing at a time.
  SeriesBuilder failing("customers failing, each from its last success to its first after",
                        "customers failing", history_end_ns(h));
  for (const auto& op : h.ops()) {
    if (op.type == OpType::invoke || (op.f != h.f_read && op.f != h.f_write) || !op.is_kv()) continue;
    auto [c, fresh] = customer_cache.try_emplace(op.key);
    if (fresh) c->second = customer_of(h.name(op.key));
    if (c->second.empty()) continue;
    last_time = std::max(last_time, op.time);
    Track& t = tracks[c->second];
    if (op.type == OpType::ok) {
      if (t.open) {
        t.open->recovery = &op;
        failing.hold(c->second, t.open->start, op.time);
        if (op.time - t.open->start > t.longest_ns) {
          t.longest_ns = op.time - t.open->start;
          t.longest = *t.open;
        }
        t.open.reset();
      }
      t.last_ok = op.time;
    } else if (!t.open) {
      t.open = Window{t.last_ok.value_or(op.time), &op, nullptr};
    }
  }
  std::string worst_customer;
  std::int64_t worst_ns = -1;
  bool unrecovered = false;
  const Window* worst = nullptr;
  for (auto& [customer, t] : tracks) {
    if (t.open) {  // still failing when the workload stopped
      const std::int64_t ns = last_time - t.open->start;
      failing.hold(customer, t.open->start, last_time);
      if (!unrecovered || ns > worst_ns) {
        worst_ns = ns;
        worst_customer = customer;
        worst = &*t.open;
      }
      unrecovered = true;
      continue;
    }
    if (!unrecovered && t.longest_ns > worst_ns) {
      worst_ns = t.longest_ns;
      worst_customer = customer;
      worst = &t.longest;
    }
  }
  // Each line's total: its customer's longest window, what the bound judges
  // (the folded others: the longest of theirs).
  Series series = failing.build();
  series.total_what = "ms failing at the longest";
  auto longest_ms = [&](const Track& t) {
    return static_cast<double>(t.open ? last_time - t.open->start : t.longest_ns) / 1e6;
  };
  std::set<std::string> shown;
  for (const auto& line : series.lines) shown.insert(line.label);
  for (auto& line : series.lines) {
    line.total = 0;
    for (const auto& [customer, t] : tracks)
      if (customer == line.label || (!tracks.count(line.label) && !shown.count(customer)))
        line.total = std::max(line.total, longest_ms(t));
  }
  result.judged = tracks.size();
  result.judged_what = "customers";
  result.details = {{"customers", tracks.size()}, {"bound_ms", within.count()}};
  if (tracks.empty()) {
    result.summary = "no customer operations: nothing to judge";
    return result;
  }
  if (worst == nullptr || worst_ns < 0) {
    result.series.push_back(std::move(series));
    result.validity = Validity::holds;
    result.details["longest_ms"] = 0;
    result.summary = "no customer saw a failed operation";
    return result;
  }
  result.details["longest_ms"] = worst_ns / 1000000;
  result.details["customer"] = worst_customer;
  if (worst->first_failure) result.witness.push_back(h.operation(*worst->first_failure));
  if (worst->recovery) result.witness.push_back(h.operation(*worst->recovery));
  series.marks.push_back({worst->start / 1000000, worst_customer + " last succeeded"});
  if (worst->recovery)
    series.marks.push_back({worst->recovery->time / 1000000, worst_customer + " recovered"});
  result.series.push_back(std::move(series));
  const std::string took = format_duration(Duration(worst_ns / 1000000));
  if (unrecovered) {
    result.validity = Validity::violated;
    result.summary = "customer " + worst_customer + " was still failing when the workload ended, " +
                     took + " after its last success";
  } else if (worst_ns > std::chrono::duration_cast<std::chrono::nanoseconds>(within).count()) {
    result.validity = Validity::violated;
    result.summary = "customer " + worst_customer + " failed for " + took + ", over the bound of " +
                     format_duration(within);
  } else {
    result.validity = Validity::holds;
    result.summary = "longest failover " + took + " (customer " + worst_customer + "), bound " +
                     format_duration(within);
  }
  return result;
}

CheckResult check_failover_time(const std::vector<Operation>& history, Duration within) {
  return check_failover_time(CompactHistory::from(history), within);
}

}  // namespace faultline
