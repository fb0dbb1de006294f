#include "controllers/workload/list_append_workload.hpp"

#include "controllers/history/operation_kinds.hpp"
#include "controllers/workload/workload.hpp"

namespace faultline {

ListAppendGenerator::ListAppendGenerator(std::uint64_t seed, std::int64_t session,
                                         std::vector<std::string> keys, double read_fraction,
                                         int max_txn_length)
    : keys_(std::move(keys)),
      rng_(seed * 1000039 + static_cast<std::uint64_t>(session) * 7933 + 41),
      pick_key_(0, keys_.size() - 1),
      pick_length_(1, max_txn_length),
      is_read_(read_fraction) {}

std::optional<Operation> ListAppendGenerator::next(const SessionState& session) {
  // The draws' order (length, then key and kind per micro-operation) is part
  // of what a seed means.
  const int length = pick_length_(rng_);
  nlohmann::json mops = nlohmann::json::array();
  for (int i = 0; i < length; ++i) {
    const std::string& key = keys_[pick_key_(rng_)];
    if (is_read_(rng_))
      mops.push_back(nlohmann::json::array({kReadMop, key, nullptr}));
    else
      mops.push_back(nlohmann::json::array(
          {kAppendMop, key, unique_write_value(session.process, appends_++)}));
  }
  return Operation{.f = kTxnF, .value = std::move(mops)};
}

WorkloadPlan plan_list_append_workload(const Experiment& e, const std::vector<std::string>& regions) {
  const std::vector<std::string> keys = workload_keys(e.workload.keys);
  return plan_global_sessions(e, regions, [&](std::int64_t session) {
    return std::make_unique<ListAppendGenerator>(e.seed, session, keys, e.workload.read_fraction,
                                                 e.workload.max_txn_length);
  });
}

}  // namespace faultline
