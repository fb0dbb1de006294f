#include "controllers/checkers/no_lost_writes.hpp"

#include <catch2/catch.hpp>

#include "unit/history_builder.hpp"

using namespace faultline;
using faultline::testing::HistoryBuilder;

TEST_CASE("a write superseded by a later write is not lost", "[no-lost-writes]") {
  HistoryBuilder h;
  h.write(0, 10, 0, "k", 1).write(20, 30, 1, "k", 2).heal(40);
  h.final_read(50, "us", "k", 2).final_read(50, "eu", "k", 2);
  auto r = check_no_lost_writes(h.build());
  CHECK(r.validity == Validity::holds);
  CHECK(r.details["acknowledged"] == 2);
}

TEST_CASE("concurrent writes may end in either order", "[no-lost-writes]") {
  // Both writes overlap in time, so whichever the store kept is fine.
  HistoryBuilder a;
  a.write(0, 30, 0, "k", 1).write(10, 20, 1, "k", 2).heal(40).final_read(50, "us", "k", 1);
  CHECK(check_no_lost_writes(a.build()).validity == Validity::holds);
  HistoryBuilder b;
  b.write(0, 30, 0, "k", 1).write(10, 20, 1, "k", 2).heal(40).final_read(50, "us", "k", 2);
  CHECK(check_no_lost_writes(b.build()).validity == Validity::holds);
}

TEST_CASE("an earlier write winning over a later acknowledged one everywhere is a lost write",
          "[no-lost-writes]") {
  HistoryBuilder h;
  h.write(0, 10, 0, "k", 1).write(20, 30, 1, "k", 2).heal(40);
  h.final_read(50, "us", "k", 1).final_read(50, "eu", "k", 1);  // both kept the older value
  auto r = check_no_lost_writes(h.build());
  CHECK(r.validity == Validity::violated);
  CHECK(r.details["lost"] == 1);
  REQUIRE(r.witness.size() == 3);
  CHECK(r.witness[0].value == nlohmann::json::array({"k", 2}));  // the lost write's invoke
  CHECK(r.witness[2].f == kFinalReadF);                          // the read that proves it
}

TEST_CASE("a write that survives in one region only is stale, not lost", "[no-lost-writes]") {
  // Divergence is convergence's to judge; no-lost-writes counts it as stale.
  HistoryBuilder h;
  h.write(0, 10, 0, "k", 1).write(20, 30, 1, "k", 2).heal(40);
  h.final_read(50, "us", "k", 2).final_read(50, "eu", "k", 1);
  auto r = check_no_lost_writes(h.build());
  CHECK(r.validity == Validity::holds);
  CHECK(r.details["stale_in_some_regions"] == 1);
}

TEST_CASE("an acknowledged write to a key that ends empty is lost", "[no-lost-writes]") {
  HistoryBuilder h;
  h.write(0, 10, 0, "k", 1).heal(20).final_read(30, "us", "k", nullptr);
  CHECK(check_no_lost_writes(h.build()).validity == Validity::violated);
}

TEST_CASE("writes of unknown outcome may win but need not survive", "[no-lost-writes]") {
  // Process 1's write timed out (info): it may have happened after all.
  HistoryBuilder wins;
  wins.write(0, 10, 0, "k", 1)
      .write(20, 25, 1, "k", 2, OpType::info)
      .heal(40)
      .final_read(50, "us", "k", 2);
  CHECK(check_no_lost_writes(wins.build()).validity == Validity::holds);
  HistoryBuilder vanished;
  vanished.write(0, 10, 0, "k", 1)
      .write(20, 25, 1, "k", 2, OpType::info)
      .heal(40)
      .final_read(50, "us", "k", 1);
  CHECK(check_no_lost_writes(vanished.build()).validity == Validity::holds);
}

TEST_CASE("a failed write that shows up in the final state is a phantom", "[no-lost-writes]") {
  HistoryBuilder h;
  h.write(0, 10, 0, "k", 1)
      .write(20, 30, 1, "k", 2, OpType::fail)
      .heal(40)
      .final_read(50, "us", "k", 2);
  auto r = check_no_lost_writes(h.build());
  CHECK(r.validity == Validity::violated);
  CHECK(r.details["phantom_values"] == 1);
}

TEST_CASE("no-lost-writes is unknown when a region's final read failed", "[no-lost-writes]") {
  HistoryBuilder h;
  h.write(0, 10, 0, "k", 1)
      .heal(20)
      .final_read(30, "us", "k", nullptr)
      .final_read(30, "eu", "k", 1, OpType::fail);
  // Lost where it was read, but the region that may still hold it never answered.
  CHECK(check_no_lost_writes(h.build()).validity == Validity::unknown);
  HistoryBuilder none;
  none.write(0, 10, 0, "k", 1).heal(20);
  CHECK(check_no_lost_writes(none.build()).validity == Validity::unknown);
}

TEST_CASE("stale reads and never-read writes are reported, not judged", "[no-lost-writes]") {
  HistoryBuilder h;
  h.write(0, 10, 0, "k", 1).write(20, 30, 1, "k", 2);
  h.read(45, 50, 2, "k", 1);        // 15 ms after write 2 was acknowledged: stale
  h.read(60, 65, 2, "k", 2);        // fresh
  h.read(5, 8, 3, "k", nullptr);    // before any acknowledgement: not stale
  h.write(70, 80, 1, "k", 3).heal(90).final_read(100, "us", "k", 3);
  auto r = check_no_lost_writes(h.build());
  CHECK(r.validity == Validity::holds);
  CHECK(r.details["stale_reads"] == 1);
  CHECK(r.details["max_stale_ms"] == 15);
  CHECK(r.details["never_read"] == 0);
  CHECK(r.summary.find("1 reads were stale") != std::string::npos);
  HistoryBuilder unread;
  unread.write(0, 10, 0, "k", 1).write(20, 30, 1, "k", 2).heal(40).final_read(50, "us", "k", 2);
  CHECK(check_no_lost_writes(unread.build()).details["never_read"] == 1);  // value 1
}

// The register workload's compare-and-set: value [key, [expected, new]].
namespace {
void cas(HistoryBuilder& h, std::int64_t start, std::int64_t end, std::int64_t process,
         nlohmann::json expected, std::int64_t next, OpType outcome) {
  const auto value = nlohmann::json::array({"k", nlohmann::json::array({expected, next})});
  h.op(start, OpType::invoke, process, kCasF, value, "r").op(end, outcome, process, kCasF, value, "r");
}
}  // namespace

TEST_CASE("an ok cas is a write of its new value: kept when read, lost when an older value wins",
          "[no-lost-writes]") {
  HistoryBuilder kept;
  kept.write(0, 10, 0, "k", 1);
  cas(kept, 20, 30, 1, 1, 2, OpType::ok);
  kept.heal(40).final_read(50, "us", "k", 2).final_read(50, "eu", "k", 2);
  auto r = check_no_lost_writes(kept.build());
  CHECK(r.validity == Validity::holds);
  CHECK(r.details["acknowledged"] == 2);
  CHECK(r.details["phantom_values"] == 0);

  HistoryBuilder lost;
  lost.write(0, 10, 0, "k", 1);
  cas(lost, 20, 30, 1, 1, 2, OpType::ok);
  lost.heal(40).final_read(50, "us", "k", 1);
  CHECK(check_no_lost_writes(lost.build()).details["lost"] == 1);
}

TEST_CASE("a failed cas wrote nothing: its value read back is a phantom", "[no-lost-writes]") {
  HistoryBuilder h;
  h.write(0, 10, 0, "k", 1);
  cas(h, 20, 30, 1, 7, 2, OpType::fail);
  h.heal(40).final_read(50, "us", "k", 1);
  CHECK(check_no_lost_writes(h.build()).validity == Validity::holds);
  HistoryBuilder p;
  p.write(0, 10, 0, "k", 1);
  cas(p, 20, 30, 1, 7, 2, OpType::fail);
  p.heal(40).final_read(50, "us", "k", 2);
  CHECK(check_no_lost_writes(p.build()).details["phantom_values"] == 1);
}

TEST_CASE(
    "lost writes are named, with how long a span of acknowledged writes was lost (the recovery "
    "point)",
    "[no-lost-writes]") {
  // A failover to a replica that had not received the last writes: b and c
  // were acknowledged by the old primary and are gone; a survives.
  HistoryBuilder h;
  h.write(0, 10, 0, "a", 1).write(100, 110, 1, "b", 5).write(1500, 1600, 2, "c", 6).heal(2000);
  h.final_read(2100, "us", "a", 1)
      .final_read(2100, "us", "b", nullptr)
      .final_read(2100, "us", "c", nullptr);
  auto r = check_no_lost_writes(h.build());
  CHECK(r.validity == Validity::violated);
  CHECK(r.details["lost"] == 2);
  CHECK(r.details["lost_window_ms"] == 1500);  // from b's invocation to c's acknowledgement
  CHECK(r.details["first_lost_ms"] == 100);
  CHECK(r.details["last_lost_ms"] == 1600);
  REQUIRE(r.details["lost_writes"].size() == 2);
  CHECK(r.details["lost_writes"][0]["value"] == nlohmann::json::array({"b", 5}));
  CHECK(r.details["lost_writes"][1]["acknowledged_ms"] == 1600);
  CHECK_THAT(r.summary, Catch::Contains("2 of 3 acknowledged writes lost, made over 1500ms "
                                        "(100ms to 1600ms into the run: the recovery point)"));
  // Nothing lost: no recovery point to report.
  HistoryBuilder kept;
  kept.write(0, 10, 0, "a", 1).heal(20).final_read(30, "us", "a", 1);
  CHECK_FALSE(check_no_lost_writes(kept.build()).details.contains("lost_window_ms"));
}
