// The NFQUEUE engine's release schedule, driven by a ManualClock: what goes
// when, and when one batch verdict may cover it. No root, no sleeping.
#include "injector/nfqueue/release_queue.hpp"

#include <catch2/catch.hpp>
#include <chrono>

#include "common/clock.hpp"

using namespace std::chrono_literals;
using faultline::ManualClock;
using faultline::injector::ReleaseQueue;
using Ids = std::vector<std::uint32_t>;

TEST_CASE("held packets go when their hold has passed on the clock, not before",
          "[nfqueue][release]") {
  ManualClock clock;
  ReleaseQueue q(clock, 100);
  REQUIRE(q.hold(1, 10ms));
  REQUIRE(q.hold(2, 30ms));
  clock.advance(5ms);
  REQUIRE(q.hold(3, 10ms));  // due at 15 ms
  CHECK(q.next_due() == clock.start() + 10ms);
  CHECK(q.take_due().empty());
  CHECK(q.size() == 3);

  clock.advance(5ms);  // 10 ms: packet 1's instant exactly
  auto first = q.take_due();
  CHECK(first.ids == Ids{1});
  CHECK_FALSE(first.batch_up_to);  // one packet: a plain verdict
  CHECK(q.next_due() == clock.start() + 15ms);

  clock.advance(25ms);  // 35 ms: 3 (due at 15) and 2 (due at 30), in due order
  auto rest = q.take_due();
  CHECK(rest.ids == Ids{3, 2});
  CHECK(rest.batch_up_to == 3u);  // nothing older still held
  CHECK(q.size() == 0);
  CHECK_FALSE(q.next_due());
}

TEST_CASE("a batch verdict is used only when no older packet is still held",
          "[nfqueue][release]") {
  ManualClock clock;
  ReleaseQueue q(clock, 100);
  REQUIRE(q.hold(1, 50ms));  // the oldest id waits longest
  REQUIRE(q.hold(2, 10ms));
  REQUIRE(q.hold(3, 10ms));
  clock.advance(10ms);
  auto due = q.take_due();
  CHECK(due.ids == Ids{2, 3});
  // A batch up to 3 would also accept packet 1, 40 ms early.
  CHECK_FALSE(due.batch_up_to);
  clock.advance(40ms);
  CHECK(q.take_due().ids == Ids{1});
}

TEST_CASE("equal due instants go lowest id first", "[nfqueue][release]") {
  ManualClock clock;
  ReleaseQueue q(clock, 100);
  for (std::uint32_t id : {7u, 5u, 6u}) REQUIRE(q.hold(id, 1ms));
  clock.advance(1ms);
  auto due = q.take_due();
  CHECK(due.ids == Ids{5, 6, 7});
  CHECK(due.batch_up_to == 7u);
}

TEST_CASE("past the capacity a packet is refused, and room comes back as packets go",
          "[nfqueue][release]") {
  ManualClock clock;
  ReleaseQueue q(clock, 2);
  CHECK(q.hold(1, 1ms));
  CHECK(q.hold(2, 1ms));
  CHECK_FALSE(q.hold(3, 1ms));  // the engine drops it and counts an overflow
  CHECK(q.size() == 2);
  clock.advance(1ms);
  CHECK(q.take_due().ids == Ids{1, 2});
  CHECK(q.hold(4, 1ms));
}

TEST_CASE("take_all releases everything held, due or not", "[nfqueue][release]") {
  ManualClock clock;
  ReleaseQueue q(clock, 100);
  REQUIRE(q.hold(1, 1h));
  REQUIRE(q.hold(2, 1s));
  auto all = q.take_all();
  CHECK(all.ids == Ids{2, 1});
  CHECK(all.batch_up_to == 2u);
  CHECK(q.size() == 0);
  CHECK(clock.elapsed() == 0s);  // nothing waited
}

TEST_CASE("no batch verdict while held ids straddle the 32-bit wrap", "[nfqueue][release]") {
  // The kernel compares ids as serial numbers: a batch up to 2 would also
  // accept 0xffffffff, which is older.
  ManualClock clock;
  ReleaseQueue q(clock, 100);
  REQUIRE(q.hold(0xffffffffu, 1s));
  REQUIRE(q.hold(1, 1ms));
  REQUIRE(q.hold(2, 1ms));
  clock.advance(1ms);
  auto due = q.take_due();
  CHECK(due.ids == Ids{1, 2});
  CHECK_FALSE(due.batch_up_to);
}
