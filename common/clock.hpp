#pragma once
// Time as a part that tests can drive. Everything that waits for an instant
// (the fault timeline, the wait for a fault's due instant, workload pacing,
// the NFQUEUE engine's release times) asks a Clock instead of
// std::chrono::steady_clock and std::this_thread, so a 60-second timeline is
// unit-tested in milliseconds with a ManualClock, as Seastar's manual_clock
// does.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace faultline {

class Clock {
 public:
  // Always CLOCK_MONOTONIC's time line, so instants from a manual clock and
  // the real one mean the same thing in logs and in verdict.json.
  using time_point = std::chrono::steady_clock::time_point;
  using duration = std::chrono::steady_clock::duration;

  virtual ~Clock() = default;
  virtual time_point now() const = 0;
  // Returns at or after `t`; at once when `t` has passed.
  virtual void sleep_until(time_point t) = 0;
  // Returns as close after `t` as the clock can. The monotonic clock sleeps
  // to shortly before and spins the rest: a sleeping thread wakes tens of
  // microseconds late, which is most of a fault's lateness budget.
  virtual void wait_precisely_until(time_point t) { sleep_until(t); }

  void sleep_for(duration d) { sleep_until(now() + d); }
};

// The machine's monotonic clock.
class MonotonicClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
  void sleep_until(time_point t) override { std::this_thread::sleep_until(t); }
  void wait_precisely_until(time_point t) override {
    constexpr auto kSpin = std::chrono::microseconds(300);  // sleep to within this, spin the rest
    if (now() < t - kSpin) std::this_thread::sleep_until(t - kSpin);
    while (now() < t) {
    }
  }
  // The one a run uses unless a test gives it another.
  static MonotonicClock& instance() {
    static MonotonicClock clock;
    return clock;
  }
};

// A clock that moves only when told. Two ways to drive it:
//   jumping (the default): sleep_until(t) moves time to t and returns, so a
//     single-threaded driver runs a whole schedule at once, and sleeps()
//     shows every instant it waited for;
//   blocking: sleep_until(t) waits until another thread's advance() or
//     set() reaches t, for tests of code that runs in several threads.
class ManualClock final : public Clock {
 public:
  enum class Mode { jumping, blocking };
  explicit ManualClock(Mode mode = Mode::jumping, time_point start = time_point{} + std::chrono::hours(1))
      : mode_(mode), now_(start), start_(start) {}

  time_point now() const override {
    std::lock_guard lock(mutex_);
    return now_;
  }
  void sleep_until(time_point t) override {
    std::unique_lock lock(mutex_);
    sleeps_.push_back(t);
    if (mode_ == Mode::jumping) {
      now_ = std::max(now_, t);
      return;
    }
    moved_.wait(lock, [&] { return now_ >= t; });
  }
  void advance(duration d) { set(now() + d); }
  void set(time_point t) {
    {
      std::lock_guard lock(mutex_);
      now_ = std::max(now_, t);
    }
    moved_.notify_all();
  }
  // Every instant sleep_until() was asked for, in order.
  std::vector<time_point> sleeps() const {
    std::lock_guard lock(mutex_);
    return sleeps_;
  }
  // Time since the clock was made, for assertions in a test's own terms.
  duration elapsed() const { return now() - start_; }
  time_point start() const { return start_; }

 private:
  const Mode mode_;
  mutable std::mutex mutex_;
  std::condition_variable moved_;
  time_point now_;
  const time_point start_;
  std::vector<time_point> sleeps_;
};

}  // namespace faultline
