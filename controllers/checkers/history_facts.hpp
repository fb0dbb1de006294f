#pragma once
// Facts several checkers read from a history before they judge it: when each
// fault was in force (the nemesis's start and stop records) and where each
// customer is homed (its sign-up).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "controllers/history/compact_history.hpp"

namespace faultline {

// A fault's window, from the nemesis's start and stop records.
struct FaultWindow {
  std::int64_t fault = -1;  // its index in the experiment's [[fault]] list
  std::string what;
  std::int64_t start = 0, stop = -1;  // ns; stop -1: until the end
};
// By fault index: start-<kind> ok ... stop-<kind> ok. An info completion
// happened too, with an uncertain outcome (a command fault's program that
// failed): its window counts.
std::vector<FaultWindow> fault_windows(const CompactHistory& history);

// customer -> home region, from the acknowledged sign-ups ("register").
std::map<std::string, std::string> customer_homes(const CompactHistory& history);

}  // namespace faultline
