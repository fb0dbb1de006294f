#pragma once
// The guide's defences against a cascade (scenario 3: a slow database whose
// health checks still answer 200), as decisions apart from sockets and
// threads so they can be tested on their own:
//
// - LatencyWindow: the p99 of the last N samples, so a health check or a
//   circuit breaker can fail a region that answers, but slowly;
// - CircuitBreaker: opens when the requests it watches fail or their p99
//   passes a threshold, stays open a cool-off, then lets one probe through
//   (half-open) and closes when it comes back fast and well;
// - RetryBudget: a retry is allowed only while retries stay under a fraction
//   of the requests seen, so retries cannot multiply the load of a region
//   that is already struggling;
// - Admission: a bound on concurrent requests, with a bounded queue in front
//   of it; over both, or after waiting too long, a request is shed (503)
//   rather than left to pile up.
#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <vector>

namespace faultline::kvstore {

using ResilienceClock = std::chrono::steady_clock;

class LatencyWindow {
 public:
  explicit LatencyWindow(std::size_t size) : size_(size == 0 ? 1 : size) {}
  void add(std::chrono::milliseconds sample);
  std::size_t count() const { return samples_.size(); }
  bool full() const { return samples_.size() >= size_; }
  // The nearest-rank percentile (0 < q <= 1) of the samples held; 0 when empty.
  std::chrono::milliseconds percentile(double q) const;

 private:
  std::size_t size_;
  std::deque<std::chrono::milliseconds> samples_;
};

struct BreakerPolicy {
  std::size_t window = 20;                   // requests it judges at a time
  std::size_t min_samples = 5;               // fewer: too little to judge
  std::chrono::milliseconds p99_limit{400};  // 0: latency never trips it
  double max_failures = 0.5;                 // fraction of failed requests that trips it; 0: never
  std::chrono::milliseconds cool_off{2000};  // open this long before a probe
};

class CircuitBreaker {
 public:
  enum class State { closed, open, half_open };
  explicit CircuitBreaker(const BreakerPolicy* policy)
      : policy_(policy), latencies_(policy->window) {}
  // Whether a request may go through now. Half-open lets one probe through
  // at a time; the others are refused until it answers.
  bool allow(ResilienceClock::time_point now);
  // Whether allow() would let a request through now, without taking the
  // probe: routing asks this of every region it considers, and only the one
  // it sends to takes the probe.
  bool permits(ResilienceClock::time_point now) const;
  // The outcome of a request that was allowed. Returns true when this
  // changed the breaker's state.
  bool record(bool ok, std::chrono::milliseconds latency, ResilienceClock::time_point now);
  State state() const { return state_; }

 private:
  const BreakerPolicy* policy_;
  State state_ = State::closed;
  LatencyWindow latencies_;
  std::deque<bool> outcomes_;
  ResilienceClock::time_point opened_at_{};
  ResilienceClock::time_point probe_started_{};
  bool probing_ = false;
};

// Retries allowed while retries <= ratio x requests over the last `window`
// requests' worth of counting (a decaying count, so an old calm period does
// not bank an unbounded allowance). A minimum lets a quiet service retry at
// all.
class RetryBudget {
 public:
  RetryBudget(double ratio, double minimum = 3) : ratio_(ratio), minimum_(minimum) {}
  void request();    // one request seen (first attempts)
  bool try_retry();  // true (and counted) when the budget allows one more
  double ratio() const { return ratio_; }

 private:
  double ratio_, minimum_;
  double requests_ = 0, retries_ = 0;
};

// Admission's decisions: a request arriving finds `active` running and
// `queued` waiting.
struct AdmissionPolicy {
  std::size_t capacity = 0;  // concurrent requests; 0: unbounded
  std::size_t queue = 0;     // waiting requests beyond capacity
  std::chrono::milliseconds queue_wait{500};
  // What an admitted request costs beyond its database's answers (parsing,
  // the business logic): its slot stays held that long, so load alone can
  // fill the capacity, not only a slow database. 0: nothing beyond them.
  std::chrono::milliseconds service_time{0};
};
enum class AdmissionDecision { run, wait, shed };
AdmissionDecision admit(const AdmissionPolicy& policy, std::size_t active, std::size_t queued);

}  // namespace faultline::kvstore
