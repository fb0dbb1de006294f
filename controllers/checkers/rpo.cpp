#include "controllers/checkers/rpo.hpp"

#include "controllers/checkers/no_lost_writes.hpp"

namespace faultline {

namespace {

std::string ms(std::int64_t value) { return std::to_string(value) + " ms"; }

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
