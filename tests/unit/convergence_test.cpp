#include "controllers/checkers/convergence.hpp"

#include <catch2/catch.hpp>

#include "unit/history_builder.hpp"

using namespace faultline;
using faultline::testing::HistoryBuilder;
using namespace std::chrono_literals;

TEST_CASE("convergence holds when every region reads the same values and reports how long it took",
          "[convergence]") {
  HistoryBuilder h;
  h.write(0, 5, 0, "k1", 1).heal(100);
  // Round 1: eu is behind. Round 2: everyone agrees.
  h.final_read(200, "us", "k1", 1).final_read(200, "eu", "k1", nullptr);
  h.final_read(700, "us", "k1", 1).final_read(750, "eu", "k1", 1);
  auto r = check_convergence(h.build(), 5s);
  CHECK(r.validity == Validity::holds);
  CHECK(r.details["converged_after_ms"] == 650);
}

TEST_CASE(
    "convergence is violated when regions end with different values with the reads as witness",
    "[convergence]") {
  HistoryBuilder h;
  h.heal(0)
      .final_read(10, "us", "k1", 1)
      .final_read(10, "eu", "k1", 2)
      .final_read(10, "eu", "k2", nullptr)
      .final_read(10, "us", "k2", nullptr);
  auto r = check_convergence(h.build(), 5s);
  CHECK(r.validity == Validity::violated);
  CHECK(r.details["diverged_keys"] == 1);
  REQUIRE(r.witness.size() == 2);
  CHECK(r.witness[0].value[0] == "k1");
}

TEST_CASE("convergence slower than the bound is a violation", "[convergence]") {
  HistoryBuilder h;
  h.heal(0).final_read(100, "us", "k", 1).final_read(100, "eu", "k", 2);
  h.final_read(6000, "us", "k", 2).final_read(6100, "eu", "k", 2);
  auto r = check_convergence(h.build(), 5s);
  CHECK(r.validity == Validity::violated);
  CHECK_THAT(r.summary, Catch::Contains("over the bound"));
}

TEST_CASE("convergence is unknown without a heal without final reads or with a silent region",
          "[convergence]") {
  HistoryBuilder no_heal;
  no_heal.final_read(10, "us", "k", 1);
  CHECK(check_convergence(no_heal.build(), 5s).validity == Validity::unknown);

  HistoryBuilder no_reads;
  no_reads.heal(0);
  CHECK(check_convergence(no_reads.build(), 5s).validity == Validity::unknown);

  HistoryBuilder silent;
  silent.heal(0).final_read(10, "us", "k", 1).final_read(10, "eu", "k", 1, OpType::fail);
  auto r = check_convergence(silent.build(), 5s);
  CHECK(r.validity == Validity::unknown);
  CHECK_THAT(r.summary, Catch::Contains("eu"));
}

TEST_CASE("agreement that breaks again is not convergence", "[convergence]") {
  HistoryBuilder h;
  h.heal(0).final_read(10, "us", "k", 1).final_read(10, "eu", "k", 1);
  h.final_read(20, "us", "k", 2);  // us moves on, eu does not follow
  CHECK(check_convergence(h.build(), 5s).validity == Validity::violated);
}
