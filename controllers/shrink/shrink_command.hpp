#pragma once
// `faultline shrink RESULTS_DIR`: from a failing run, the smallest schedule
// that still fails the same invariant with the same seed (the search is
// shrink_search.hpp). Each candidate is run as its own `faultline run` child
// process, in its own results folder under RESULTS_DIR/shrink/: a run that
// goes wrong cannot take the search down with it, and each is kept to look
// at. minimal.toml, the best schedule so far, is rewritten on every
// improvement, so an interrupted search keeps what it found.
#include <chrono>
#include <string>

#include "controllers/experiment/experiment.hpp"

namespace faultline {

struct ShrinkCommand {
  std::string results_dir;
  int max_runs = 30;
  Duration max_time{std::chrono::hours(2)};
  std::string invariant;  // empty: the run's first violated invariant
};

// Returns the exit code: 0 when a schedule was written (shrunk or not), 130
// when interrupted (minimal.toml still written), 254 on bad input.
int shrink_run(const ShrinkCommand& command);

}  // namespace faultline
