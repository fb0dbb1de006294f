#include "controllers/workload/register_workload.hpp"

#include "controllers/history/operation_kinds.hpp"
#include "controllers/workload/workload.hpp"

namespace faultline {

RegisterGenerator::RegisterGenerator(std::uint64_t seed, std::int64_t session,
                                     std::vector<std::string> keys, double read_fraction)
    : keys_(std::move(keys)),
      // Not the kv generator's seeding: the two workloads' sequences differ.
      rng_(seed * 1000033 + static_cast<std::uint64_t>(session) * 7919 + 17),
      pick_key_(0, keys_.size() - 1),
      is_read_(read_fraction) {}

std::optional<Operation> RegisterGenerator::next(const SessionState& session) {
  // The draws' order (key, read or not, cas or write) is part of what a
  // seed means.
  const std::string& key = keys_[pick_key_(rng_)];
  if (is_read_(rng_)) return Operation{.f = kReadF, .value = nlohmann::json::array({key, nullptr})};
  const bool cas = is_cas_(rng_);
  const std::int64_t value = unique_write_value(session.process, writes_++);
  nlohmann::json expected = nullptr;
  if (auto it = last_written_.find(key); it != last_written_.end()) expected = it->second;
  last_written_[key] = value;
  if (!cas) return Operation{.f = kWriteF, .value = nlohmann::json::array({key, value})};
  return Operation{.f = kCasF,
                   .value = nlohmann::json::array({key, nlohmann::json::array({expected, value})})};
}

WorkloadPlan plan_register_workload(const Experiment& e, const std::vector<std::string>& regions) {
  const std::vector<std::string> keys = workload_keys(e.workload.keys);
  return plan_global_sessions(e, regions, [&](std::int64_t session) {
    return std::make_unique<RegisterGenerator>(e.seed, session, keys, e.workload.read_fraction);
  });
}

}  // namespace faultline
