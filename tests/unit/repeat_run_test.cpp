#include "controllers/run/repeat_run.hpp"

#include <catch2/catch.hpp>

#include "controllers/report/verdict.hpp"

using namespace faultline;

TEST_CASE("a --repeat series says how many runs failed which invariant, with their seeds", "[repeat]") {
  const std::vector<RepeatedRun> runs{
      {.seed = 3, .exit_code = kExitViolated, .violated = {"convergence"}},
      {.seed = 4, .exit_code = kExitHolds},
      {.seed = 5, .exit_code = kExitViolated, .violated = {"convergence", "no-lost-writes"}},
      {.seed = 6, .exit_code = kExitUnknown},
  };
  CHECK(summarize_repeats(runs, 4) ==
        "fails 3 of 4: invariant convergence in 2 runs (seeds 3, 5); invariant no-lost-writes in "
        "1 run (seed 5); exit 2 in 1 run (seed 6)");
  CHECK(worst_exit_code(runs) == kExitViolated);
  CHECK(summarize_repeats({runs[1]}, 1) == "passes 1 of 1");
  CHECK(summarize_repeats({runs[1], runs[0]}, 20) ==
        "fails 1 of 2 (stopped at the first failure of 20 planned; --keep-going runs them all): "
        "invariant convergence in 1 run (seed 3)");
}

TEST_CASE("the worst run's exit code is the series'", "[repeat]") {
  auto worst = [](std::vector<int> codes) {
    std::vector<RepeatedRun> runs;
    for (int c : codes) runs.push_back({.exit_code = c});
    return worst_exit_code(runs);
  };
  CHECK(worst({0, 0}) == 0);
  CHECK(worst({0, 2}) == 2);
  CHECK(worst({2, 3, 0}) == 3);
  CHECK(worst({3, 1, 2}) == 1);
  CHECK(worst({1, 130}) == 130);
  CHECK(worst({130, 254, 1}) == 254);
  CHECK(worst({254, 255}) == 255);
}
