#include "controllers/checkers/invariant_registry.hpp"

#include <algorithm>

namespace faultline {

// Each defined in invariants/<name>.cpp. An explicit list rather than
// self-registering statics: the linker drops unreferenced objects of a static
// library, and with them their registration.
const InvariantKind& convergence_invariant();
const InvariantKind& no_lost_writes_invariant();
const InvariantKind& read_your_writes_invariant();
const InvariantKind& monotonic_reads_invariant();
const InvariantKind& residency_invariant();
const InvariantKind& failover_time_invariant();
const InvariantKind& availability_invariant();
const InvariantKind& linearizable_invariant();
const InvariantKind& set_invariant();
const InvariantKind& serializable_invariant();
const InvariantKind& snapshot_isolation_invariant();
const InvariantKind& strict_serializable_invariant();
const InvariantKind& latency_invariant();
const InvariantKind& rpo_invariant();
const InvariantKind& recovery_invariant();
const InvariantKind& cell_isolation_invariant();

const std::vector<const InvariantKind*>& invariant_kinds() {
  static const std::vector<const InvariantKind*> kinds{
      &convergence_invariant(),   &no_lost_writes_invariant(), &read_your_writes_invariant(),
      &monotonic_reads_invariant(), &residency_invariant(),    &failover_time_invariant(),
      &availability_invariant(),  &linearizable_invariant(),  &set_invariant(),
      &serializable_invariant(), &snapshot_isolation_invariant(), &strict_serializable_invariant(),
      &latency_invariant(), &rpo_invariant(), &recovery_invariant(),
      &cell_isolation_invariant(),
  };
  return kinds;
}

const InvariantKind* find_invariant_kind(std::string_view name) {
  for (const InvariantKind* kind : invariant_kinds())
    if (kind->name == name) return kind;
  return nullptr;
}

std::vector<std::string> invariant_kind_names() {
  std::vector<std::string> names;
  for (const InvariantKind* kind : invariant_kinds()) names.push_back(kind->name);
  return names;
}

std::vector<std::string> invariant_keys() {
  std::vector<std::string> keys{"kind"};
  for (const InvariantKind* kind : invariant_kinds())
    for (const KeySpec& key : kind->keys)
      if (std::find(keys.begin(), keys.end(), key.name) == keys.end()) keys.push_back(key.name);
  return keys;
}

}  // namespace faultline
