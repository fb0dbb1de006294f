#pragma once
// The search of `faultline shrink`, apart from running anything: from a
// schedule that fails, smaller schedules are proposed and kept when they still
// fail, in this order, until the budget runs out:
//
//   1. no fault at all (a failure that needs none is worth knowing first);
//   2. delta debugging over the faults (Zeller's ddmin): halves, quarters, ...
//      and their complements, down to removing one fault at a time, so it
//      ends 1-minimal (no single fault can be removed);
//   3. each fault's `for` halved, while it still fails;
//   4. the experiment's duration cut, to just past the last fault's start;
//   5. each fault narrowed (narrowing.hpp): a region out of a partition's
//      group (an isolate's as the partition it is), one pair for a link fault
//      on every pair, one direction, then its strength halved (delay, loss
//      and the other percentages, a clock's offset);
//   6. when 3-5 changed anything, each fault removed alone again (the cache
//      spares the candidates already run), until none can be: ddmin showed
//      1-minimality of its own result only, and a fault it needed may not be
//      once the others are shorter or narrower.
//
// Whether a candidate still fails is a predicate the caller gives (the real
// one runs `faultline run`; tests give a fake one and count its calls).
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "controllers/experiment/experiment.hpp"

namespace faultline {

// What shrinking changes of an experiment: its [[fault]] tables and duration.
struct Schedule {
  std::vector<toml::table> faults;
  Duration duration{0};
};

enum class Outcome {
  fails,    // the same invariant is violated: keep the candidate
  passes,   // it is not (held, or another failed, or unknown)
  invalid,  // the candidate is not a valid experiment; not run, not counted
  stop,     // interrupted or out of budget: stop searching, keep the best
};

struct ShrinkStep {
  int run = 0;            // how many runs so far, this one included
  std::string change;     // "without faults [2, 5, 7]", "fault [1] for 2s"
  Outcome outcome = Outcome::passes;
  const Schedule* best = nullptr;  // the smallest failing schedule so far
};

struct ShrinkOptions {
  int max_runs = 30;
  std::function<bool()> out_of_time = [] { return false; };
  std::function<void(const ShrinkStep&)> on_step = [](const ShrinkStep&) {};
  // A better schedule was found, after `runs` runs.
  std::function<void(const Schedule&, int runs)> on_better = [](const Schedule&, int) {};
  // The experiment's regions, in its order: an isolate becomes a partition
  // and an every-pair link fault one pair only knowing them.
  std::vector<std::string> regions;
};

struct ShrinkResult {
  Schedule best;
  int runs = 0;
  // No single fault of `best` can be removed: each was tried (by ddmin, and
  // again after the later steps if they changed anything) and then passed.
  bool one_minimal = false;
  bool stopped = false;      // the budget ran out or the search was interrupted
};

class Shrinker {
 public:
  using Test = std::function<Outcome(const Schedule&)>;
  Shrinker(Schedule failing, Test test, ShrinkOptions options);
  ShrinkResult run();

 private:
  // Runs (or recalls) the candidate; true when it still fails, and then it is
  // the best so far.
  bool try_candidate(const Schedule& candidate, const std::string& change);
  void ddmin();
  void shorten_faults();
  void shorten_duration();
  void narrow_scopes();
  // Each fault removed alone until none can be; false when the budget cut it.
  bool remove_each();
  bool stopped() const { return stopped_; }

  Schedule best_;
  Test test_;
  ShrinkOptions options_;
  std::map<std::string, Outcome> seen_;
  int runs_ = 0;
  bool stopped_ = false;
  bool one_minimal_ = false;
};

// The key a schedule is remembered by: two candidates alike are run once.
std::string schedule_key(const Schedule& s);
// A fault table's `at` and `for`, or zero.
Duration fault_at(const toml::table& fault);
Duration fault_for(const toml::table& fault);

}  // namespace faultline
