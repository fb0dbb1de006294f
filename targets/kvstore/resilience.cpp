#include "targets/kvstore/resilience.hpp"

#include <algorithm>
#include <cmath>

namespace faultline::kvstore {

void LatencyWindow::add(std::chrono::milliseconds sample) {
  samples_.push_back(sample);
  while (samples_.size() > size_) samples_.pop_front();
}

std::chrono::milliseconds LatencyWindow::percentile(double q) const {
  if (samples_.empty()) return std::chrono::milliseconds{0};
  std::vector<std::chrono::milliseconds> sorted(samples_.begin(), samples_.end());
  std::sort(sorted.begin(), sorted.end());
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

bool CircuitBreaker::allow(ResilienceClock::time_point now) {
  switch (state_) {
    case State::closed:
      return true;
    case State::open:
      if (now - opened_at_ < policy_->cool_off) return false;
      state_ = State::half_open;
      probing_ = true;
      probe_started_ = now;
      return true;
    case State::half_open:
      // A probe allowed but never sent (the route went elsewhere) must not
      // keep the breaker half-open for ever: another is allowed a cool-off on.
      if (probing_ && now - probe_started_ < policy_->cool_off) return false;
      probing_ = true;
      probe_started_ = now;
      return true;
  }
  return true;
}

bool CircuitBreaker::permits(ResilienceClock::time_point now) const {
  switch (state_) {
    case State::closed:
      return true;
    case State::open:
      return now - opened_at_ >= policy_->cool_off;
    case State::half_open:
      return !probing_ || now - probe_started_ >= policy_->cool_off;
  }
  return true;
}

bool CircuitBreaker::record(bool ok, std::chrono::milliseconds latency,
                            ResilienceClock::time_point now) {
  const bool slow = policy_->p99_limit.count() > 0 && latency > policy_->p99_limit;
  if (state_ == State::half_open) {
    probing_ = false;
    // A breaker that never judges failures does not judge its probe's.
    if ((ok || policy_->max_failures <= 0) && !slow) {
      // Closed afresh: what tripped it must not trip it again at once.
      state_ = State::closed;
      latencies_ = LatencyWindow(policy_->window);
      outcomes_.clear();
    } else {
      state_ = State::open;
      opened_at_ = now;
    }
    return true;
  }
  if (state_ == State::open) return false;  // a request allowed before it opened
  latencies_.add(latency);
  outcomes_.push_back(ok);
  while (outcomes_.size() > policy_->window) outcomes_.pop_front();
  if (outcomes_.size() < policy_->min_samples) return false;
  const auto failed = static_cast<double>(std::count(outcomes_.begin(), outcomes_.end(), false));
  const bool too_slow =
      policy_->p99_limit.count() > 0 && latencies_.percentile(0.99) > policy_->p99_limit;
  const bool failing = policy_->max_failures > 0 &&
                       failed / static_cast<double>(outcomes_.size()) >= policy_->max_failures;
  if (too_slow || failing) {
    state_ = State::open;
    opened_at_ = now;
    return true;
  }
  return false;
}

namespace {
// Counts decay by this factor per request, so the budget reflects roughly
// the last thousand requests.
constexpr double kDecay = 0.999;
}  // namespace

void RetryBudget::request() {
  requests_ = requests_ * kDecay + 1;
  retries_ *= kDecay;
}

bool RetryBudget::try_retry() {
  if (retries_ + 1 > std::max(minimum_, ratio_ * requests_)) return false;
  retries_ += 1;
  return true;
}

AdmissionDecision admit(const AdmissionPolicy& policy, std::size_t active, std::size_t queued) {
  if (policy.capacity == 0 || active < policy.capacity) return AdmissionDecision::run;
  if (queued < policy.queue) return AdmissionDecision::wait;
  return AdmissionDecision::shed;
}

}  // namespace faultline::kvstore
