// The reference store's defences against a cascade: latency windows,
// circuit breakers with a latency trigger, the retry budget, admission.
#include "targets/kvstore/resilience.hpp"

#include <catch2/catch.hpp>
#include <atomic>
#include <thread>
#include <vector>

#include "targets/kvstore/admission.hpp"

using namespace faultline::kvstore;
using namespace std::chrono_literals;

TEST_CASE("a latency window's p99 is its slowest sample when it holds under 100", "[resilience]") {
  LatencyWindow w(3);
  CHECK(w.percentile(0.99) == 0ms);
  w.add(10ms);
  w.add(20ms);
  w.add(900ms);
  CHECK(w.percentile(0.99) == 900ms);
  CHECK(w.percentile(0.5) == 20ms);
  // The slow check ages out after three more.
  w.add(10ms);
  w.add(10ms);
  CHECK(w.percentile(0.99) == 900ms);
  w.add(10ms);
  CHECK(w.percentile(0.99) == 10ms);
}

TEST_CASE("a breaker opens on slow answers that all succeed, then probes and closes",
          "[resilience]") {
  BreakerPolicy policy{.window = 10, .min_samples = 3, .p99_limit = 300ms, .cool_off = 2s};
  CircuitBreaker b(&policy);
  const auto t0 = ResilienceClock::now();
  CHECK(b.allow(t0));
  CHECK_FALSE(b.record(true, 50ms, t0));
  CHECK_FALSE(b.record(true, 1200ms, t0));  // two samples: too few to judge
  CHECK(b.record(true, 1200ms, t0));        // the third: p99 1.2 s, every one a 200
  CHECK(b.state() == CircuitBreaker::State::open);
  CHECK_FALSE(b.allow(t0 + 1999ms));
  CHECK(b.allow(t0 + 2s));  // one probe
  CHECK(b.state() == CircuitBreaker::State::half_open);
  CHECK_FALSE(b.allow(t0 + 2s + 1ms));     // and only one
  CHECK(b.record(true, 1100ms, t0 + 3s));  // the probe was slow: open again
  CHECK(b.state() == CircuitBreaker::State::open);
  CHECK(b.allow(t0 + 5s));
  CHECK(b.record(true, 20ms, t0 + 5s));  // fast and fine: closed, its past forgotten
  CHECK(b.state() == CircuitBreaker::State::closed);
  CHECK_FALSE(b.record(true, 20ms, t0 + 5s));
}

TEST_CASE("without a latency trigger only failures open a breaker", "[resilience]") {
  BreakerPolicy policy{.window = 10, .min_samples = 3, .p99_limit = 0ms, .max_failures = 0.5};
  CircuitBreaker b(&policy);
  const auto t0 = ResilienceClock::now();
  for (int i = 0; i < 10; ++i) CHECK_FALSE(b.record(true, 5000ms, t0));
  CHECK(b.state() == CircuitBreaker::State::closed);
  for (int i = 0; i < 4; ++i) CHECK_FALSE(b.record(false, 5ms, t0));
  CHECK(b.record(false, 5ms, t0));  // 5 of the last 10 failed
  CHECK(b.state() == CircuitBreaker::State::open);
}

TEST_CASE("without a failure trigger only latency opens a breaker", "[resilience]") {
  BreakerPolicy policy{.window = 10, .min_samples = 3, .p99_limit = 400ms, .max_failures = 0};
  CircuitBreaker b(&policy);
  const auto t0 = ResilienceClock::now();
  for (int i = 0; i < 20; ++i) CHECK_FALSE(b.record(false, 5ms, t0));  // every one failed, fast
  CHECK(b.state() == CircuitBreaker::State::closed);
  CHECK(b.record(true, 900ms, t0));  // one slow answer passes the p99 of the last 10
  CHECK(b.state() == CircuitBreaker::State::open);
  // Its probe is judged on latency alone too: a fast failure closes it.
  const auto later = t0 + policy.cool_off;
  REQUIRE(b.allow(later));
  CHECK(b.record(false, 5ms, later));
  CHECK(b.state() == CircuitBreaker::State::closed);
}

TEST_CASE("a probe that never went out does not hold a breaker half-open", "[resilience]") {
  BreakerPolicy policy{.min_samples = 1, .p99_limit = 100ms, .cool_off = 1s};
  CircuitBreaker b(&policy);
  const auto t0 = ResilienceClock::now();
  CHECK(b.record(true, 500ms, t0));
  CHECK(b.allow(t0 + 1s));  // allowed, but the request went elsewhere
  CHECK_FALSE(b.allow(t0 + 1500ms));
  CHECK(b.allow(t0 + 2s));
}

TEST_CASE("asking whether a breaker permits a request does not take its probe", "[resilience]") {
  BreakerPolicy policy{.min_samples = 1, .p99_limit = 100ms, .cool_off = 1s};
  CircuitBreaker b(&policy);
  const auto t0 = ResilienceClock::now();
  CHECK(b.permits(t0));
  CHECK(b.record(true, 500ms, t0));
  CHECK_FALSE(b.permits(t0 + 500ms));
  for (int i = 0; i < 5; ++i) CHECK(b.permits(t0 + 1s));  // routing considers it, often
  CHECK(b.state() == CircuitBreaker::State::open);
  CHECK(b.allow(t0 + 1s));  // the request sent there is the probe
  CHECK_FALSE(b.permits(t0 + 1100ms));
  CHECK(b.record(true, 10ms, t0 + 1200ms));
  CHECK(b.permits(t0 + 1200ms));
}

TEST_CASE("the retry budget keeps retries near their share of requests", "[resilience]") {
  RetryBudget budget(0.1, 3);
  int retried = 0;
  for (int i = 0; i < 1000; ++i) {
    budget.request();
    if (budget.try_retry()) ++retried;  // every request fails and asks for a retry
  }
  CHECK(retried >= 60);
  CHECK(retried <= 110);
  // A quiet service may still retry a few.
  RetryBudget quiet(0.1, 3);
  quiet.request();
  CHECK(quiet.try_retry());
  CHECK(quiet.try_retry());
  CHECK(quiet.try_retry());
  CHECK_FALSE(quiet.try_retry());
}

TEST_CASE("admission runs up to capacity, queues up to its bound, then sheds", "[resilience]") {
  const AdmissionPolicy p{.capacity = 2, .queue = 1};
  CHECK(admit(p, 0, 0) == AdmissionDecision::run);
  CHECK(admit(p, 1, 0) == AdmissionDecision::run);
  CHECK(admit(p, 2, 0) == AdmissionDecision::wait);
  CHECK(admit(p, 2, 1) == AdmissionDecision::shed);
  CHECK(admit(AdmissionPolicy{.capacity = 0}, 1000, 1000) == AdmissionDecision::run);
}

TEST_CASE("the admission gate sheds a request that waited its bound", "[resilience]") {
  Admission gate(AdmissionPolicy{.capacity = 1, .queue = 1, .queue_wait = 50ms});
  auto first = gate.enter();
  REQUIRE(first);
  const auto t0 = std::chrono::steady_clock::now();
  CHECK_FALSE(gate.enter());  // queued 50 ms, then shed
  CHECK(std::chrono::steady_clock::now() - t0 >= 50ms);
  CHECK(gate.shed() == 1);
  bool second = false;
  std::thread waiter([&] { second = gate.enter().has_value(); });
  std::this_thread::sleep_for(10ms);
  first.reset();  // frees the slot: the waiter gets it
  waiter.join();
  CHECK(second);
}

TEST_CASE("a request's service time holds its slot, so load alone fills the capacity",
          "[resilience]") {
  // One slot, no queue, 100 ms a request: while the first works, a second
  // is shed at once; once it is done, the next runs.
  Admission gate(AdmissionPolicy{.capacity = 1, .queue = 0, .service_time = 100ms});
  std::atomic<bool> working{false}, admitted{false};
  std::thread first([&] {
    auto slot = gate.enter();
    admitted = slot.has_value();
    working = true;
    if (slot) slot->work();
  });
  while (!working) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(10ms);
  CHECK_FALSE(gate.enter());
  first.join();
  CHECK(admitted);
  CHECK(gate.enter());
  CHECK(gate.shed() == 1);
}

TEST_CASE("capacity and service time bound the requests served a second", "[resilience]") {
  // 2 slots x 50 ms: 8 requests at once take at least 4 rounds, 200 ms.
  Admission gate(AdmissionPolicy{
      .capacity = 2, .queue = 8, .queue_wait = std::chrono::milliseconds(5000),
      .service_time = 50ms});
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> requests;
  std::atomic<int> served{0};
  for (int i = 0; i < 8; ++i)
    requests.emplace_back([&] {
      if (auto slot = gate.enter()) {
        slot->work();
        ++served;
      }
    });
  for (auto& t : requests) t.join();
  CHECK(served == 8);
  CHECK(std::chrono::steady_clock::now() - t0 >= 200ms);
  // Without a service time the same gate is no bound at all.
  Admission free_gate(AdmissionPolicy{.capacity = 2, .queue = 8});
  const auto t1 = std::chrono::steady_clock::now();
  for (int i = 0; i < 8; ++i) free_gate.enter()->work();
  CHECK(std::chrono::steady_clock::now() - t1 < 50ms);
}
