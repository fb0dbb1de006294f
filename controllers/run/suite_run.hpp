#pragma once
// `faultline run A.toml B.toml ...` or `faultline run DIR`: a suite, the
// experiments run one after another, each as its own `faultline run` (its own
// results folder, junit.xml, report.html), then one table of them all and one
// junit.xml in the results root with a <testsuite> per experiment, so a CI
// job gates on several experiments with one command and one test report.
//
// Every file is read and checked before the first run starts: a suite that
// would stop at its fifth file after an hour of runs is refused at once.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "controllers/experiment/parse.hpp"
#include "controllers/report/verdict.hpp"
#include "controllers/run/experiment_run.hpp"

namespace faultline {

// The files a `faultline run` command line names: each argument as given,
// a folder as the *.toml files directly in it, sorted by name (so a suite's
// order is the folder's listing, the same on every machine).
struct SuiteFiles {
  std::vector<std::string> files;
  std::vector<std::string> problems;  // one line each: a missing path, a folder with no *.toml
  bool suite = false;                 // more than one file, or a folder: run as a suite
};
SuiteFiles suite_files(const std::vector<std::string>& args);

// Where one experiment of a suite got to.
enum class SuiteStatus {
  judged,       // ran and has a verdict (holds, violated or unknown)
  error,        // ran and stopped without one: the target did not start, internal error
  interrupted,  // Ctrl-C during it: reverted and torn down
  not_run,      // the suite stopped before it
};

struct SuiteEntry {
  std::string file;
  std::string experiment;  // its [experiment] name
  SuiteStatus status = SuiteStatus::not_run;
  int exit_code = kExitHolds;
  Verdict verdict;     // when judged
  std::string error;   // when error or interrupted: what stopped it, one line
  double seconds = 0;  // wall clock, setup and teardown included
  std::string results_dir;
};

// PASS, FAIL, UNKNOWN, ERROR, INTERRUPTED or "not run".
std::string suite_verdict(const SuiteEntry& entry);
// The table printed at the end: a line per experiment, then the counts.
std::string render_suite_table(const std::vector<SuiteEntry>& entries, int exit_code);
// The suite's junit.xml: each judged run's own <testsuite> (as in its
// results folder), and for a run without a verdict a testsuite of one
// testcase "run" with an <error> (or <skipped> when it was not run).
std::string render_suite_junit(const std::vector<SuiteEntry>& entries);
// The worst run's exit code (worse_exit_code's order); 130 when the suite
// was interrupted, whatever ran before, since its verdict is not whole.
int suite_exit_code(const std::vector<SuiteEntry>& entries);

// Reads and checks every file (with `seed` for each, when given), printing
// every problem as its one line; nothing when any file is bad.
std::optional<std::vector<Experiment>> load_suite(const std::vector<std::string>& files,
                                                  const ProgramResolver& resolver,
                                                  const VarOverrides& vars,
                                                  std::optional<std::uint64_t> seed);

// Runs the experiments in turn (after each one's provider preflight, all of
// them before the first run), prints the table, writes
// <results_root>/junit.xml and returns suite_exit_code.
int run_suite(const std::vector<Experiment>& experiments, const RunOptions& options);

}  // namespace faultline
