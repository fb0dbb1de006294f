#include "controllers/workload/list_append_workload.hpp"

#include "controllers/history/operation_kinds.hpp"
#include "controllers/workload/workload.hpp"

namespace faultline {

ListAppendKeys::ListAppendKeys(std::vector<std::string> keys, int max_writes)
    : base_(keys),
      current_(std::move(keys)),
      appends_(base_.size(), 0),
      generation_(base_.size(), 0),
      max_writes_(max_writes) {}

std::string ListAppendKeys::use(std::size_t slot, bool append) {
  std::lock_guard lock(mutex_);
  std::string key = current_[slot];
  if (append && max_writes_ > 0 && ++appends_[slot] >= max_writes_) {
    appends_[slot] = 0;
    current_[slot] = base_[slot] + "." + std::to_string(++generation_[slot]);
  }
  return key;
}

ListAppendGenerator::ListAppendGenerator(std::uint64_t seed, std::int64_t session,
                                         std::vector<std::string> keys, double read_fraction,
                                         int max_txn_length,
                                         std::shared_ptr<ListAppendKeys> rotation)
    : keys_(std::move(keys)),
      rotation_(std::move(rotation)),
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
    const std::size_t slot = pick_key_(rng_);
    const bool read = is_read_(rng_);
    const std::string key = rotation_ ? rotation_->use(slot, !read) : keys_[slot];
    if (read)
      mops.push_back(nlohmann::json::array({kReadMop, key, nullptr}));
    else
      mops.push_back(nlohmann::json::array(
          {kAppendMop, key, unique_write_value(session.process, appends_++)}));
  }
  return Operation{.f = kTxnF, .value = std::move(mops)};
}

WorkloadPlan plan_list_append_workload(const Experiment& e, const std::vector<std::string>& regions) {
  const std::vector<std::string> keys = workload_keys(e.workload.keys);
  auto rotation = std::make_shared<ListAppendKeys>(keys, e.workload.max_writes_per_key);
  return plan_global_sessions(e, regions, [&](std::int64_t session) {
    return std::make_unique<ListAppendGenerator>(e.seed, session, keys, e.workload.read_fraction,
                                                 e.workload.max_txn_length, rotation);
  });
}

}  // namespace faultline
