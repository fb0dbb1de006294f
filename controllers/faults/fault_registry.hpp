#pragma once
// The fault kinds an experiment may name, looked up by name.
#include <string>
#include <string_view>
#include <vector>

#include "controllers/faults/fault_kind.hpp"

namespace faultline {

// In the order messages list them.
const std::vector<const FaultKind*>& fault_kinds();
const FaultKind* find_fault_kind(std::string_view name);
// The kind of a fault that was read or built by code, so registered: anything
// else is a bug, reported as std::invalid_argument.
const FaultKind& kind_of(const FaultSpec& fault);
std::vector<std::string> fault_kind_names();
// Whether this fault, as read, stays in force until it ends: its kind lasts,
// and, where `for` is optional, the fault was given one.
bool fault_lasts(const FaultSpec& fault);
// The keys every fault takes: at, and for when it lasts.
const std::vector<KeySpec>& fault_common_keys();
// Every key a [[fault]] table may hold: "kind", the common keys, then each
// kind's in the order they are registered.
std::vector<std::string> fault_keys();

}  // namespace faultline
