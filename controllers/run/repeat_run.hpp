#pragma once
// `faultline run --repeat N`: one experiment run N times, with its seed, then
// seed + 1, and so on (each run drawing its own schedule and workload), each
// in its own results folder; by default it stops at the first run that does
// not pass. Then it says how many failed, and which invariant in how many:
// "fails 3 of 20" is the answer a flaky gate needs.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "controllers/experiment/parse.hpp"
#include "controllers/run/experiment_run.hpp"

namespace faultline {

struct RepeatOptions {
  int times = 1;
  bool keep_going = false;          // run all N, failing or not
  std::optional<std::uint64_t> seed;  // the first seed; default the file's
};

// One run of the series, as the summary counts it.
struct RepeatedRun {
  std::uint64_t seed = 0;
  int exit_code = 0;
  std::vector<std::string> violated;
  std::string results_dir;
};

// "fails 2 of 5: no-lost-writes in 2 runs (seeds 42, 44)"; pure.
std::string summarize_repeats(const std::vector<RepeatedRun>& runs, int planned);
// The exit code of a series: its worst run's (internal error, bad input,
// interrupted, violated, target failed, unknown, holds, in that order).
int worst_exit_code(const std::vector<RepeatedRun>& runs);
// The worse of two exit codes by that order (a suite's, run by run).
int worse_exit_code(int a, int b);

int run_repeatedly(const std::string& file, const ProgramResolver& resolver,
                   const VarOverrides& vars, const RepeatOptions& repeat,
                   const RunOptions& options);

}  // namespace faultline
