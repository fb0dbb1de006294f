#include "controllers/checkers/latency.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <unordered_map>

#include "controllers/checkers/writes.hpp"
#include "controllers/history/operation_kinds.hpp"

namespace faultline {

namespace {

std::string ms_text(std::int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f ms", static_cast<double>(ns) / 1e6);
  return buf;
}

struct Sample {
  std::int64_t latency = 0;
  std::size_t completion = SIZE_MAX;  // index of the completion, SIZE_MAX: none
  std::size_t invoke = 0;
};

// The judged percentiles per region in each bucket, by invocation time: where
// in the run the tail grew. A bucket's percentile is not the judged figure
// (that is over the whole window, and a few slow operations in a quiet
// bucket weigh less in it), hence the bound line's label; a bucket over the
// bound still shows when the tail grew. Marks show where a window other than
// the run begins and ends.
Series percentiles_over_time(const CompactHistory& h,
                             const std::map<std::string, std::vector<Sample>>& by_region,
                             const LatencyBounds& bounds,
                             const std::vector<std::pair<std::int64_t, std::int64_t>>& spans,
                             std::int64_t end, const std::string& span_text) {
  std::string names;
  for (const auto& [q, bound] : bounds.percentiles)
    names += (names.empty() ? "" : ", ") + percentile_name(q);
  // One percentile: its line per region. Several: a line per region and
  // percentile ("us p99").
  const bool one = bounds.percentiles.size() == 1;
  // Short: the chart's title is one line. The bound is a line of its own,
  // drawn over the judged window only, so the window shows too.
  SeriesBuilder b(names + " latency per " + (bounds.excluded.empty() ? "" : "untouched ") +
                      "region, " + span_text,
                  "ms", end, SeriesFold::max);
  for (const auto& [q, bound] : bounds.percentiles)
    for (const auto& [from, to] : spans)
      b.hold(percentile_name(q) + " bound, on all judged operations", from, to,
             static_cast<double>(bound) / 1e6);
  const std::int64_t bucket_ns = series_bucket_ms(end) * 1000000;
  for (const auto& [region, samples] : by_region) {
    std::map<std::int64_t, std::vector<std::int64_t>> buckets;
    for (const Sample& s : samples) buckets[h[s.invoke].time / bucket_ns].push_back(s.latency);
    for (auto& [bucket, latencies] : buckets) {
      std::sort(latencies.begin(), latencies.end());
      for (const auto& [q, bound] : bounds.percentiles) {
        const auto rank =
            static_cast<std::size_t>(std::ceil(q * static_cast<double>(latencies.size())));
        const std::int64_t at = latencies[std::clamp<std::size_t>(rank, 1, latencies.size()) - 1];
        b.add(one ? region : region + " " + percentile_name(q), bucket * bucket_ns,
              static_cast<double>(at) / 1e6);
      }
    }
  }
  if (bounds.during != LatencyDuring::run)
    for (const auto& [from, to] : spans) {
      b.mark(from, "judged from");
      if (to < end) b.mark(to, "judged until");
    }
  return b.build();
}

}  // namespace

std::string percentile_name(double q) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "p%g", q * 100);
  return buf;
}

CheckResult check_latency(const CompactHistory& h, const LatencyBounds& bounds) {
  CheckResult result;
  result.invariant = "latency";
  result.judged_what = "operations";

  const std::map<std::string, std::string> home_of = customer_homes(h);

  const std::vector<FaultWindow> windows = fault_windows(h);
  std::int64_t end = 0;
  for (const auto& op : h.ops()) end = std::max(end, op.time);
  // The spans judged, by invocation time.
  std::vector<std::pair<std::int64_t, std::int64_t>> spans;
  std::string span_text;
  switch (bounds.during) {
    case LatencyDuring::run:
      spans.push_back({0, end});
      span_text = "over the run";
      break;
    case LatencyDuring::faults:
      for (const auto& w : windows) spans.push_back({w.start, w.stop < 0 ? end : w.stop});
      span_text = "during the faults";
      break;
    case LatencyDuring::after_recovery: {
      std::int64_t last_stop = -1;
      for (const auto& w : windows) last_stop = std::max(last_stop, w.stop < 0 ? end : w.stop);
      if (last_stop >= 0) spans.push_back({last_stop, end});
      span_text = "after the last fault ended";
      break;
    }
  }
  auto in_spans = [&](std::int64_t t) {
    return std::any_of(spans.begin(), spans.end(),
                       [&](const auto& s) { return t >= s.first && t <= s.second; });
  };

  std::map<std::string, std::vector<Sample>> by_region;
  std::size_t failures_counted = 0;
  std::vector<std::string> region_of_symbol(0);
  for_each_invocation(
      h,
      [&](const CompactOp& op) {
        return !op.nemesis() && (op.f == h.f_read || op.f == h.f_write || op.f == h.f_cas);
      },
      [&](std::size_t invoke, std::size_t completion) {
        const CompactOp& in = h[invoke];
        if (!in_spans(in.time)) return;
        std::string region = h.name(in.region);
        if (in.is_kv()) {
          const std::string customer = customer_of(h.name(in.key));
          if (auto it = home_of.find(customer); !customer.empty() && it != home_of.end())
            region = it->second;
        }
        if (std::find(bounds.excluded.begin(), bounds.excluded.end(), region) !=
            bounds.excluded.end())
          return;
        Sample s{.completion = completion, .invoke = invoke};
        const bool ok = completion != SIZE_MAX && h[completion].type == OpType::ok;
        s.latency = completion == SIZE_MAX ? bounds.timeout_ns : h[completion].time - in.time;
        if (!ok) {
          s.latency = std::max(s.latency, bounds.timeout_ns);
          ++failures_counted;
        }
        by_region[region].push_back(s);
      });

  result.series.push_back(percentiles_over_time(h, by_region, bounds, spans, end, span_text));

  nlohmann::json regions = nlohmann::json::object();
  std::size_t judged = 0;
  struct Worst {
    std::string region, name;
    std::int64_t value = 0, bound = 0;
    double over = 0;  // value / bound
    const Sample* slowest = nullptr;
  };
  std::optional<Worst> worst_violation;
  std::optional<Worst> closest;  // the figure nearest its bound, for a pass
  for (auto& [region, samples] : by_region) {
    std::sort(samples.begin(), samples.end(),
              [](const Sample& a, const Sample& b) { return a.latency < b.latency; });
    judged += samples.size();
    nlohmann::json figures{{"operations", samples.size()}};
    for (const auto& [q, bound] : bounds.percentiles) {
      const auto rank =
          static_cast<std::size_t>(std::ceil(q * static_cast<double>(samples.size())));
      const Sample& at = samples[std::clamp<std::size_t>(rank, 1, samples.size()) - 1];
      const std::string name = percentile_name(q);
      figures[name + "_ms"] = static_cast<double>(at.latency) / 1e6;
      const double over =
          static_cast<double>(at.latency) / static_cast<double>(std::max<std::int64_t>(bound, 1));
      Worst w{region, name, at.latency, bound, over, &samples.back()};
      if (at.latency > bound && (!worst_violation || over > worst_violation->over))
        worst_violation = w;
      if (!closest || over > closest->over) closest = w;
    }
    figures["max_ms"] = static_cast<double>(samples.back().latency) / 1e6;
    regions[region] = figures;
  }
  nlohmann::json bound_json = nlohmann::json::object();
  for (const auto& [q, bound] : bounds.percentiles)
    bound_json[percentile_name(q) + "_ms"] = static_cast<double>(bound) / 1e6;
  result.judged = judged;
  result.details = {{"bounds", bound_json},
                    {"regions", regions},
                    {"failures_counted_at_timeout", failures_counted},
                    {"timeout_ms", bounds.timeout_ns / 1000000}};
  if (!bounds.excluded.empty())
    result.details["untouched_only"] = true, result.details["excluded"] = bounds.excluded;
  if (judged == 0) {
    result.summary = "no operation " + span_text +
                     (bounds.excluded.empty() ? "" : " in an untouched region") +
                     ": nothing to judge";
    return result;
  }
  if (worst_violation) {
    const Worst& w = *worst_violation;
    result.validity = Validity::violated;
    result.summary = w.name + " latency " + ms_text(w.value) + " in " + w.region + " " + span_text +
                     ", over the bound of " + ms_text(w.bound) + " (" +
                     std::to_string(by_region[w.region].size()) + " operations)";
    // Where the worst region's slowest operation began, on its chart.
    auto& marks = result.series.front().marks;
    marks.push_back({h[w.slowest->invoke].time / 1000000,
                     "slowest in " + w.region + " (" + ms_text(w.slowest->latency) + ")"});
    std::sort(marks.begin(), marks.end(),
              [](const SeriesMark& a, const SeriesMark& b) { return a.t_ms < b.t_ms; });
    if (w.slowest->completion != SIZE_MAX) {
      result.witness.push_back(h.operation(w.slowest->invoke));
      result.witness.push_back(h.operation(w.slowest->completion));
    } else {
      result.witness.push_back(h.operation(w.slowest->invoke));
    }
    return result;
  }
  result.validity = Validity::holds;
  const Worst& c = *closest;
  result.summary = "highest " + c.name + " " + ms_text(c.value) + " in " + c.region + " " +
                   span_text + " (bound " + ms_text(c.bound) + ")";
  return result;
}

}  // namespace faultline
