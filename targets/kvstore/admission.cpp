#include "targets/kvstore/admission.hpp"

#include <thread>

namespace faultline::kvstore {

std::optional<Admission::Slot> Admission::enter() {
  std::unique_lock lock(mutex_);
  switch (admit(policy_, active_, queued_)) {
    case AdmissionDecision::run:
      ++active_;
      return Slot(this);
    case AdmissionDecision::shed:
      ++shed_;
      return std::nullopt;
    case AdmissionDecision::wait:
      break;
  }
  ++queued_;
  const bool got =
      freed_.wait_for(lock, policy_.queue_wait, [&] { return active_ < policy_.capacity; });
  --queued_;
  if (!got) {
    ++shed_;
    return std::nullopt;
  }
  ++active_;
  return Slot(this);
}

void Admission::Slot::work() const {
  // Sleeping, not spinning: the cost is the slot held (what bounds the
  // region's throughput), not this machine's CPU, which the regions share.
  if (gate_ && gate_->policy_.service_time.count() > 0)
    std::this_thread::sleep_for(gate_->policy_.service_time);
}

std::size_t Admission::shed() const {
  std::lock_guard lock(mutex_);
  return shed_;
}

void Admission::release() {
  {
    std::lock_guard lock(mutex_);
    --active_;
  }
  freed_.notify_one();
}

}  // namespace faultline::kvstore
