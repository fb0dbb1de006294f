#include "controllers/workload/set_workload.hpp"

#include "controllers/history/operation_kinds.hpp"
#include "controllers/workload/workload.hpp"

namespace faultline {

SetGenerator::SetGenerator(std::uint64_t seed, std::int64_t session, std::vector<std::string> keys,
                           double read_fraction)
    : keys_(std::move(keys)),
      rng_(seed * 1000037 + static_cast<std::uint64_t>(session) * 7927 + 29),
      pick_key_(0, keys_.size() - 1),
      is_read_(read_fraction) {}

std::optional<Operation> SetGenerator::next(const SessionState& session) {
  // The draws' order (key, then read or add) is part of what a seed means.
  const std::string& key = keys_[pick_key_(rng_)];
  if (is_read_(rng_)) return Operation{.f = kReadF, .value = nlohmann::json::array({key, nullptr})};
  return Operation{.f = kAddF,
                   .value = nlohmann::json::array({key, unique_write_value(session.process, adds_++)})};
}

WorkloadPlan plan_set_workload(const Experiment& e, const std::vector<std::string>& regions) {
  const std::vector<std::string> keys = workload_keys(e.workload.keys);
  return plan_global_sessions(e, regions, [&](std::int64_t session) {
    return std::make_unique<SetGenerator>(e.seed, session, keys, e.workload.read_fraction);
  });
}

}  // namespace faultline
