#include <catch2/catch.hpp>

#include "controllers/checkers/failover_time.hpp"
#include "controllers/checkers/no_lost_writes.hpp"
#include "controllers/checkers/residency.hpp"
#include "controllers/checkers/session_guarantees.hpp"
#include "unit/history_builder.hpp"

using namespace faultline;
using namespace std::chrono_literals;
using faultline::testing::HistoryBuilder;

TEST_CASE("a session that reads its own write holds read-your-writes", "[read-your-writes]") {
  HistoryBuilder h;
  h.write(0, 10, 1, "c/k", 1).read(20, 30, 1, "c/k", 1);
  auto r = check_read_your_writes(h.build());
  CHECK(r.validity == Validity::holds);
  CHECK(r.details["reads_after_own_write"] == 1);
}

TEST_CASE("reading an older value after the session's own write violates it",
          "[read-your-writes]") {
  HistoryBuilder h;
  h.write(0, 10, 1, "c/k", 1).write(20, 30, 1, "c/k", 2).read(40, 50, 1, "c/k", 1);
  auto r = check_read_your_writes(h.build());
  CHECK(r.validity == Validity::violated);
  REQUIRE(r.witness.size() == 4);  // the write (invoke, ok), the read (invoke, ok)
  CHECK(r.witness[0].value == nlohmann::json::array({"c/k", 2}));
  CHECK(r.witness[3].value == nlohmann::json::array({"c/k", 1}));
}

TEST_CASE("reading nothing after the session's own write violates it", "[read-your-writes]") {
  HistoryBuilder h;
  h.write(0, 10, 1, "c/k", 1).read(20, 30, 1, "c/k", nullptr);
  CHECK(check_read_your_writes(h.build()).validity == Validity::violated);
}

TEST_CASE("another session's concurrent or later write may be read", "[read-your-writes]") {
  HistoryBuilder concurrent;
  concurrent.write(0, 30, 2, "k", 7).write(10, 20, 1, "k", 1).read(40, 50, 1, "k", 7);
  CHECK(check_read_your_writes(concurrent.build()).validity == Validity::holds);
  HistoryBuilder later;
  later.write(0, 10, 1, "k", 1).write(15, 18, 2, "k", 7).read(20, 30, 1, "k", 7);
  CHECK(check_read_your_writes(later.build()).validity == Validity::holds);
  // ...but not one that finished before the session's write began.
  HistoryBuilder older;
  older.write(0, 5, 2, "k", 7).write(10, 20, 1, "k", 1).read(40, 50, 1, "k", 7);
  CHECK(check_read_your_writes(older.build()).validity == Validity::violated);
}

TEST_CASE("failed reads and writes of unknown outcome are not judged", "[read-your-writes]") {
  HistoryBuilder h;
  h.write(0, 10, 1, "c/k", 1)
      .read(20, 30, 1, "c/k", nullptr, OpType::fail)  // saw nothing
      .write(40, 50, 1, "c/k", 2, OpType::info);      // may or may not have happened
  h.read(60, 70, 1, "c/k", 1);  // the acknowledged write is still the reference: fine
  CHECK(check_read_your_writes(h.build()).validity == Validity::holds);
  HistoryBuilder none;
  none.read(0, 10, 1, "c/k", nullptr);
  CHECK(check_read_your_writes(none.build()).validity == Validity::unknown);
}

TEST_CASE("monotonic reads: a session never reads back in time", "[monotonic-reads]") {
  HistoryBuilder forward;
  forward.write(0, 10, 9, "k", 1).write(20, 30, 9, "k", 2);
  forward.read(40, 45, 1, "k", 1).read(50, 55, 1, "k", 2).read(60, 65, 1, "k", 2);
  CHECK(check_monotonic_reads(forward.build()).validity == Validity::holds);

  HistoryBuilder backwards;
  backwards.write(0, 10, 9, "k", 1).write(20, 30, 9, "k", 2);
  backwards.read(40, 45, 1, "k", 2).read(50, 55, 1, "k", 1);
  auto r = check_monotonic_reads(backwards.build());
  CHECK(r.validity == Validity::violated);
  CHECK(r.witness.size() == 3);

  HistoryBuilder to_nothing;
  to_nothing.write(0, 10, 9, "k", 1).read(20, 25, 1, "k", 1).read(30, 35, 1, "k", nullptr);
  CHECK(check_monotonic_reads(to_nothing.build()).validity == Validity::violated);

  // Concurrent writes may be seen in either order.
  HistoryBuilder concurrent;
  concurrent.write(0, 30, 8, "k", 1).write(5, 25, 9, "k", 2);
  concurrent.read(40, 45, 1, "k", 2).read(50, 55, 1, "k", 1);
  CHECK(check_monotonic_reads(concurrent.build()).validity == Validity::holds);

  // Other sessions' reads do not count.
  HistoryBuilder two;
  two.write(0, 10, 9, "k", 1).write(20, 30, 9, "k", 2);
  two.read(40, 45, 1, "k", 2).read(50, 55, 2, "k", 1);
  CHECK(check_monotonic_reads(two.build()).validity == Validity::unknown);  // nothing to judge
}

TEST_CASE("residency holds when every customer is served and stored in its geo", "[residency]") {
  const std::map<std::string, std::string> geo{
      {"eu-west-1", "eu"}, {"eu-central-1", "eu"}, {"us-east-1", "us"}};
  HistoryBuilder h;
  h.sign_up("eu-c0", "eu-west-1").sign_up("us-c0", "us-east-1");
  h.write(0, 10, 1, "eu-c0/k", 1).served_by("eu-central-1");
  h.read(20, 30, 2, "us-c0/k", nullptr, OpType::ok, "us-east-1");
  h.probe(40, "eu-west-1", {"eu-c0"}).probe(40, "us-east-1", {"us-c0"});
  auto r = check_residency(h.build(), geo);
  CHECK(r.validity == Validity::holds);
  CHECK(r.details["operations_checked"] == 2);
}

TEST_CASE("residency is violated by a US region serving or storing EU data", "[residency]") {
  const std::map<std::string, std::string> geo{{"eu-west-1", "eu"}, {"us-east-1", "us"}};
  HistoryBuilder served;
  served.sign_up("eu-c0", "eu-west-1").write(0, 10, 1, "eu-c0/k", 1).served_by("us-east-1");
  auto r = check_residency(served.build(), geo);
  CHECK(r.validity == Validity::violated);
  REQUIRE(r.witness.size() == 1);
  CHECK(r.witness[0].served_by == "us-east-1");

  HistoryBuilder stored;  // only the database knows
  stored.sign_up("eu-c0", "eu-west-1").probe(40, "us-east-1", {"eu-c0"});
  CHECK(check_residency(stored.build(), geo).validity == Validity::violated);

  HistoryBuilder blind;  // a probe failed: cannot tell
  blind.sign_up("eu-c0", "eu-west-1").probe(40, "us-east-1", nullptr, OpType::fail);
  CHECK(check_residency(blind.build(), geo).validity == Validity::unknown);
}

TEST_CASE("failover time is the longest run of failures between successes", "[failover-time]") {
  HistoryBuilder h;
  h.write(0, 100, 1, "c/k", 1);                            // last success at 100 ms
  h.write(200, 300, 1, "c/k", 2, OpType::fail);             // failing...
  h.read(400, 500, 1, "c/k", nullptr, OpType::fail);
  h.write(1600, 1700, 1, "c/k", 3);                         // back at 1700 ms
  h.write(0, 50, 2, "d/k", 9).write(60, 70, 2, "d/k", 10);  // another customer, never failed
  auto r = check_failover_time(h.build(), 2s);
  CHECK(r.validity == Validity::holds);
  CHECK(r.details["longest_ms"] == 1600);
  CHECK(r.details["customer"] == "c");
  CHECK(r.witness.size() == 2);  // first failure, recovery
  CHECK(check_failover_time(h.build(), 1s).validity == Validity::violated);
}

TEST_CASE("a customer still failing at the end violates failover time", "[failover-time]") {
  HistoryBuilder h;
  h.write(0, 100, 1, "c/k", 1).write(200, 300, 1, "c/k", 2, OpType::info);
  auto r = check_failover_time(h.build(), 10s);
  CHECK(r.validity == Validity::violated);
  CHECK(r.summary.find("still failing") != std::string::npos);
  HistoryBuilder fine;
  fine.write(0, 100, 1, "c/k", 1);
  CHECK(check_failover_time(fine.build(), 1s).validity == Validity::holds);
}

TEST_CASE("clock ties: a write that ends at the instant another begins is concurrent with it",
          "[read-your-writes][no-lost-writes]") {
  // Write 7 completes at 10 ms, exactly when write 1 is invoked: neither is
  // certainly older, so reading 7 after writing 1 is allowed...
  HistoryBuilder tie;
  tie.write(0, 10, 2, "k", 7).write(10, 20, 1, "k", 1).read(30, 40, 1, "k", 7);
  CHECK(check_read_your_writes(tie.build()).validity == Validity::holds);
  // ...and so is 7 surviving as the final value.
  HistoryBuilder final_tie;
  final_tie.write(0, 10, 2, "k", 7).write(10, 20, 1, "k", 1).heal(30).final_read(40, "us", "k", 7);
  CHECK(check_no_lost_writes(final_tie.build()).validity == Validity::holds);
  // A millisecond earlier and it is certainly older.
  HistoryBuilder before;
  before.write(0, 9, 2, "k", 7).write(10, 20, 1, "k", 1).read(30, 40, 1, "k", 7);
  CHECK(check_read_your_writes(before.build()).validity == Validity::violated);
}
