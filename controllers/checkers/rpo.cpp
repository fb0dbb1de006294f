#include "controllers/checkers/rpo.hpp"

#include "controllers/checkers/no_lost_writes.hpp"

namespace faultline {

namespace {

std::string ms(std::int64_t value) { return std::to_string(value) + " ms"; }

// no-lost-writes' lost writes at their acknowledgement, marked with the span
// the recovery point measures: the oldest lost write's invocation to the
// newest one's acknowledgement (the failover's window is shaded beside it).
Series lost_over_time(const CheckResult& writes, std::int64_t bound) {
  Series s;
  for (const auto& candidate : writes.series)
    if (candidate.title.starts_with("lost writes")) s = candidate;
  s.title = "lost acknowledged writes at their ack, by client region (RPO bound " + ms(bound) +
            ")";
  s.marks.clear();
  s.marks_left_off = 0;
  if (writes.details.contains("first_lost_ms") && writes.details.value("lost", 0) > 0) {
    const auto first = writes.details.at("first_lost_ms").get<std::int64_t>();
    const auto last = writes.details.at("last_lost_ms").get<std::int64_t>();
    s.marks.push_back({first, "oldest lost write invoked"});
    s.marks.push_back({last, "newest lost write acknowledged: recovery point " +
                                 ms(writes.details.at("lost_window_ms").get<std::int64_t>())});
  }
  return s;
}

}  // namespace

CheckResult check_rpo(const CompactHistory& history, Duration within) {
  const CheckResult writes = check_no_lost_writes(history);
  CheckResult result;
  result.invariant = "rpo";
  result.judged = writes.judged;
  result.judged_what = writes.judged_what;
  const std::int64_t bound = within.count();
  const auto lost = writes.details.value("lost", std::size_t{0});
  result.details = {{"bound_ms", bound}, {"lost", lost}};
  result.series.push_back(lost_over_time(writes, bound));
  if (lost == 0) {
    // Without a loss, the recovery point is zero only if what survived
    // could be told: no-lost-writes' unknown is ours too.
    if (writes.validity == Validity::unknown || writes.judged == 0) {
      result.summary = writes.summary;
      return result;
    }
    result.validity = Validity::holds;
    result.details["rpo_ms"] = 0;
    result.summary = "no acknowledged write lost: recovery point 0 (bound " + ms(bound) + ", " +
                     std::to_string(writes.judged) + " acknowledged writes)";
    return result;
  }
  const std::int64_t rpo = writes.details.at("lost_window_ms").get<std::int64_t>();
  result.details["rpo_ms"] = rpo;
  result.details["first_lost_ms"] = writes.details.at("first_lost_ms");
  result.details["last_lost_ms"] = writes.details.at("last_lost_ms");
  const std::string text = "recovery point " + ms(rpo) + ": " + std::to_string(lost) +
                           " acknowledged writes lost, made from " +
                           ms(writes.details.at("first_lost_ms").get<std::int64_t>()) + " to " +
                           ms(writes.details.at("last_lost_ms").get<std::int64_t>()) +
                           " into the run";
  if (rpo > bound) {
    result.validity = Validity::violated;
    result.summary = text + ", over the bound of " + ms(bound);
    result.witness = writes.witness;
  } else {
    result.validity = Validity::holds;
    result.summary = text + ", within the bound of " + ms(bound);
  }
  return result;
}

}  // namespace faultline
