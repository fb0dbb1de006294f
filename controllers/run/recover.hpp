#pragma once
// `faultline recover`: undoes what runs whose controller died left behind.
//
// For each journal entry (see run_journal.hpp) whose process is gone: kills
// the processes still in the run's namespaces and deletes the namespaces; in
// each container the run touched, starts it if the run killed it, unpauses it
// if the run paused it, and removes every fault faultline marks as its own
// (injector/sweep.hpp). A live run is never touched, nor a container a live
// run is using. The kernel probe's scratch namespace of a dead process
// (fl-probe-<pid>, made before the journal) goes too. `faultline run` does
// the same before it starts.
#include <set>
#include <string>
#include <vector>

namespace faultline {

struct RecoveryOutcome {
  int dead_runs = 0;
  int live_runs = 0;
  std::vector<std::string> lines;     // what was undone
  std::vector<std::string> problems;  // what could not be
};

// What live runs hold, which recovery of a dead run never touches.
struct RecoveryScope {
  std::set<std::string> containers_in_use;
};

RecoveryOutcome recover_dead_runs(const std::string& state_dir);

}  // namespace faultline
