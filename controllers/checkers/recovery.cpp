#include "controllers/checkers/recovery.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <unordered_map>

#include "controllers/checkers/history_facts.hpp"
#include "controllers/checkers/writes.hpp"

namespace faultline {

namespace {

std::string percent(double f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f%%", f * 100);
  return buf;
}

std::string ms_text(std::int64_t ns) { return std::to_string(ns / 1000000) + " ms"; }

// One operation of a customer: invoked at, completed how, served by.
struct CustomerOp {
  std::int64_t invoked = 0, latency = 0;
  bool ok = false;
  std::uint32_t served_by = kNoSymbol;
  std::size_t completion = SIZE_MAX;
};

// Per bucket of invocation time, of the operations `pick` keeps, the percent
// for which `counts` holds; buckets with none kept are left out (no figure,
// not 0%).
template <class Pick, class Counts>
void percent_per_bucket(SeriesBuilder& series, const std::string& label,
                        const std::vector<CustomerOp>& ops, std::int64_t bucket_ns, Pick pick,
                        Counts counts) {
  std::map<std::int64_t, std::pair<std::size_t, std::size_t>> buckets;  // (counted, kept)
  for (const auto& c : ops) {
    if (!pick(c)) continue;
    auto& [counted, kept] = buckets[c.invoked / bucket_ns];
    ++kept;
    if (counts(c)) ++counted;
  }
  for (const auto& [bucket, n] : buckets)
    series.add(label, bucket * bucket_ns,
               100.0 * static_cast<double>(n.first) / static_cast<double>(n.second));
}

}  // namespace

CheckResult check_recovery(const CompactHistory& h, const std::vector<RegionOutage>& outages,
                           const RecoveryBounds& bounds) {
  CheckResult result;
  result.invariant = "recovery";
  result.judged_what = "recoveries";

  const std::map<std::string, std::string> home_of = customer_homes(h);
  // Each home region's customers' operations, in invocation order.
  std::unordered_map<std::string, std::vector<CustomerOp>> by_home;
  for_each_invocation(
      h,
      [&](const CompactOp& op) {
        return !op.nemesis() && op.is_kv() && (op.f == h.f_read || op.f == h.f_write);
      },
      [&](std::size_t invoke, std::size_t completion) {
        const CompactOp& in = h[invoke];
        auto home = home_of.find(customer_of(h.name(in.key)));
        if (home == home_of.end()) return;
        CustomerOp c{.invoked = in.time, .completion = completion};
        c.ok = completion != SIZE_MAX && h[completion].type == OpType::ok;
        c.latency = completion == SIZE_MAX ? bounds.timeout_ns : h[completion].time - in.time;
        if (!c.ok) c.latency = std::max(c.latency, bounds.timeout_ns);
        if (completion != SIZE_MAX) c.served_by = h[completion].served_by;
        by_home[home->second].push_back(c);
      });
  for (auto& [home, ops] : by_home)
    std::sort(ops.begin(), ops.end(),
              [](const CustomerOp& a, const CustomerOp& b) { return a.invoked < b.invoked; });

  // What a person checks the verdict against: the share over the whole run
  // (the baseline, the drop, the ramp), and the errors during the ramp.
  const std::int64_t end = history_end_ns(h);
  const std::int64_t bucket_ns = series_bucket_ms(end) * 1000000;
  // Titles short (one line on the chart); the bounds are lines of their own
  // over the spans they apply to.
  SeriesBuilder shares("share of its customers' operations each returning region served",
                       "% served", end, SeriesFold::max);
  SeriesBuilder ramp_errors("its customers' failed operations during its ramp", "% failed", end,
                            SeriesFold::max);
  std::vector<std::string> drawn;

  nlohmann::json judged = nlohmann::json::array();
  std::vector<std::string> unknown, violations;
  std::size_t recoveries = 0;
  for (const RegionOutage& outage : outages) {
    const std::string& region = outage.region;
    const std::uint32_t symbol = h.symbol(region);
    const auto& ops = by_home[region];
    auto share = [&](std::int64_t from, std::int64_t to, std::size_t* count = nullptr) {
      std::size_t ok = 0, served = 0;
      for (const auto& c : ops)
        if (c.invoked >= from && c.invoked < to && c.ok) {
          ++ok;
          if (c.served_by == symbol) ++served;
        }
      if (count) *count = ok;
      return ok == 0 ? -1.0 : static_cast<double>(served) / static_cast<double>(ok);
    };
    if (std::find(drawn.begin(), drawn.end(), region) == drawn.end()) {
      drawn.push_back(region);
      percent_per_bucket(
          shares, region, ops, bucket_ns, [](const CustomerOp& c) { return c.ok; },
          [&](const CustomerOp& c) { return c.served_by == symbol; });
    }
    if (outage.window.stop >= 0) shares.mark(outage.window.stop, outage.window.what + " ended");
    const std::string label = region + " after " + outage.window.what;
    std::size_t before_count = 0;
    const double before = share(0, outage.window.start, &before_count);
    if (outage.window.stop < 0 || before < 0 || before == 0) {
      unknown.push_back(label + (outage.window.stop < 0 ? ": the fault never ended"
                                                        : ": no baseline share before the fault"));
      continue;
    }
    std::int64_t returned = -1;
    for (const auto& c : ops)
      if (c.invoked >= outage.window.stop && c.ok && c.served_by == symbol) {
        returned = c.invoked;
        break;
      }
    if (returned < 0) {
      unknown.push_back(label + ": it never served its customers again before the run ended");
      continue;
    }
    ++recoveries;
    shares.hold(region + " before the fault", 0, outage.window.start, 100 * before);
    shares.hold(region + "'s limit, first " + ms_text(bounds.step_ns) + " back", returned,
                returned + bounds.step_ns, 100 * before * bounds.max_jump);
    ramp_errors.hold("bound over the ramp", returned, std::min(end, returned + bounds.ramp_ns),
                     100 * bounds.max_errors);
    shares.mark(returned, region + " served again");
    ramp_errors.mark(returned, region + " served again");
    if (returned + bounds.ramp_ns <= end)
      ramp_errors.mark(returned + bounds.ramp_ns, region + "'s ramp ends");
    percent_per_bucket(
        ramp_errors, region, ops, bucket_ns,
        [&](const CustomerOp& c) {
          return c.invoked >= returned && c.invoked < returned + bounds.ramp_ns;
        },
        [](const CustomerOp& c) { return !c.ok; });
    std::size_t first_count = 0;
    const double first = std::max(0.0, share(returned, returned + bounds.step_ns, &first_count));
    const double jump = first / before;
    // Shares over each step of the ramp, to show its shape.
    nlohmann::json steps = nlohmann::json::array();
    for (std::int64_t t = returned; t < returned + bounds.ramp_ns; t += bounds.step_ns)
      steps.push_back(std::max(0.0, share(t, t + bounds.step_ns)));
    std::size_t total = 0, failed = 0;
    std::vector<std::int64_t> latencies;
    const CustomerOp* first_failure = nullptr;
    for (const auto& c : ops)
      if (c.invoked >= returned && c.invoked < returned + bounds.ramp_ns) {
        ++total;
        latencies.push_back(c.latency);
        if (!c.ok) {
          ++failed;
          if (!first_failure) first_failure = &c;
        }
      }
    std::sort(latencies.begin(), latencies.end());
    const double errors = total == 0 ? 0 : static_cast<double>(failed) / static_cast<double>(total);
    std::int64_t p99 = 0;
    if (!latencies.empty()) {
      const auto rank =
          static_cast<std::size_t>(std::ceil(0.99 * static_cast<double>(latencies.size())));
      p99 = latencies[std::clamp<std::size_t>(rank, 1, latencies.size()) - 1];
    }
    judged.push_back({{"region", region},
                      {"fault", outage.window.what},
                      {"fault_stop_ms", outage.window.stop / 1000000},
                      {"returned_ms", returned / 1000000},
                      {"share_before", before},
                      {"share_first_step", first},
                      {"operations_first_step", first_count},
                      {"share_by_step", steps},
                      {"error_rate", errors},
                      {"operations", total},
                      {"p99_ms", p99 / 1000000}});
    if (jump > bounds.max_jump) {
      violations.push_back("herd: " + region + " served " + percent(first) +
                           " of its customers' operations within " + ms_text(bounds.step_ns) +
                           " of returning at " + ms_text(returned) + " (" + percent(before) +
                           " before the fault; a jump of " + percent(jump) + ", over " +
                           percent(bounds.max_jump) + ")");
      for (const auto& c : ops)
        if (c.invoked >= returned && c.ok && c.served_by == symbol && c.completion != SIZE_MAX) {
          result.witness.push_back(h.operation(c.completion));
          if (result.witness.size() >= 3) break;
        }
    }
    if (errors > bounds.max_errors) {
      violations.push_back(region + "'s customers' operations failed " + percent(errors) +
                           " of the time in the " + ms_text(bounds.ramp_ns) +
                           " after it returned (bound " + percent(bounds.max_errors) + ")");
      if (first_failure && first_failure->completion != SIZE_MAX)
        result.witness.push_back(h.operation(first_failure->completion));
    }
    if (bounds.p99_ns > 0 && p99 > bounds.p99_ns)
      violations.push_back(region + "'s p99 latency " + ms_text(p99) + " during its ramp, over " +
                           ms_text(bounds.p99_ns));
  }
  result.series.push_back(shares.build());
  result.series.push_back(ramp_errors.build());
  result.judged = recoveries;
  result.details = {{"recoveries", judged},
                    {"bounds",
                     {{"step_ms", bounds.step_ns / 1000000},
                      {"ramp_ms", bounds.ramp_ns / 1000000},
                      {"max_jump", bounds.max_jump},
                      {"max_errors", bounds.max_errors},
                      {"p99_ms", bounds.p99_ns / 1000000}}}};
  if (!unknown.empty()) result.details["not_judged"] = unknown;
  if (!violations.empty()) {
    result.validity = Validity::violated;
    result.summary =
        violations.front() +
        (violations.size() > 1 ? " (and " + std::to_string(violations.size() - 1) + " more)" : "");
    return result;
  }
  if (!unknown.empty() || recoveries == 0) {
    result.summary = unknown.empty() ? "no fault took a region down: no recovery to judge"
                                     : "cannot judge the recovery of " + unknown.front();
    return result;
  }
  result.validity = Validity::holds;
  const auto& j = judged.front();
  result.summary = std::to_string(recoveries) +
                   " recoveries ramped: " + j["region"].get<std::string>() + " served " +
                   percent(j["share_first_step"].get<double>()) +
                   " of its customers' operations in its first " + ms_text(bounds.step_ns) +
                   " back (" + percent(j["share_before"].get<double>()) + " before), errors " +
                   percent(j["error_rate"].get<double>());
  return result;
}

}  // namespace faultline
