#pragma once
// The random nemesis: faults drawn from a [[nemesis]] table's kinds, ranges
// and targets, as a pure function of the experiment and its seed, so that a
// seed names a schedule. The drawn faults are ordinary FaultSpecs, appended
// after the written ones before validation; each is placed only where
// validation accepts it (no two traffic faults on one link, no two process
// faults on one service, no two clock skews of one region at once).
//
// The draws use their own arithmetic on std::mt19937_64 (whose sequence the
// standard fixes), not std::uniform_*_distribution (whose results differ
// between standard libraries): one seed, one schedule, on every build.
#include <string>
#include <vector>

#include "controllers/experiment/experiment.hpp"
#include "controllers/experiment/key_spec.hpp"

namespace faultline {

// The keys of a [[nemesis]] table: what the reader obeys and the docs list.
const std::vector<KeySpec>& nemesis_keys();
// The fault kinds a nemesis draws, and the shapes a drawn partition takes.
const std::vector<std::string>& nemesis_kinds();
const std::vector<std::string>& partition_targets();

struct DrawnSchedule {
  std::vector<FaultSpec> faults;      // in the order drawn, `drawn_by` set
  std::vector<std::string> problems;  // why a fault could not be placed; empty when all were
};

// The faults `e.nemeses[index]` draws with `e.seed`, placed around
// `placed` (the written faults and earlier nemeses' draws).
DrawnSchedule draw_nemesis(const Experiment& e, std::size_t index,
                           const std::vector<FaultSpec>& placed);

// Every nemesis of `e` drawn in turn and appended to `e.faults`; the problems
// of all, each prefixed with nothing (reported at its nemesis table).
std::vector<std::pair<SourcePosition, std::string>> draw_all_nemeses(Experiment& e);

// Whether two faults may not be in force at once: validation refuses them
// together (same link for traffic faults, same service for process faults)
// or they would fight over one thing (a region's clock).
bool faults_conflict(const Experiment& e, const FaultSpec& a, const FaultSpec& b);

}  // namespace faultline
