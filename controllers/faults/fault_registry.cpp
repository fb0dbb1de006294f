#include "controllers/faults/fault_registry.hpp"

#include <algorithm>
#include <stdexcept>

namespace faultline {

// Each defined in kinds/<name>.cpp. An explicit list rather than
// self-registering statics: the linker drops unreferenced objects of a static
// library, and with them their registration.
const FaultKind& partition_fault();
const FaultKind& isolate_fault();
const FaultKind& kill_fault();
const FaultKind& pause_fault();
const FaultKind& restart_fault();
const FaultKind& delay_fault();
const FaultKind& loss_fault();
const FaultKind& duplicate_fault();
const FaultKind& reorder_fault();
const FaultKind& corrupt_fault();
const FaultKind& bandwidth_fault();
const FaultKind& slow_db_fault();
const FaultKind& clock_skew_fault();
const FaultKind& command_fault();

const std::vector<const FaultKind*>& fault_kinds() {
  static const std::vector<const FaultKind*> kinds{
      &partition_fault(), &isolate_fault(), &kill_fault(),       &pause_fault(),   &restart_fault(),
      &delay_fault(),     &loss_fault(),    &duplicate_fault(),  &reorder_fault(), &corrupt_fault(),
      &bandwidth_fault(), &slow_db_fault(), &clock_skew_fault(), &command_fault(),
  };
  return kinds;
}

const FaultKind* find_fault_kind(std::string_view name) {
  for (const FaultKind* kind : fault_kinds())
    if (kind->name == name) return kind;
  return nullptr;
}

const FaultKind& kind_of(const FaultSpec& fault) {
  if (const FaultKind* kind = find_fault_kind(fault.kind)) return *kind;
  throw std::invalid_argument("no fault kind '" + fault.kind + "' is registered");
}

bool fault_lasts(const FaultSpec& fault) {
  const FaultKind& kind = kind_of(fault);
  return kind.lasting && (!kind.for_optional || fault.length.count() > 0);
}

std::vector<std::string> fault_kind_names() {
  std::vector<std::string> names;
  for (const FaultKind* kind : fault_kinds()) names.push_back(kind->name);
  return names;
}

const std::vector<KeySpec>& fault_common_keys() {
  static const std::vector<KeySpec> keys{
      {.name = "at",
       .type = KeyType::duration,
       .description = "when the fault starts, from the start of the workload",
       .minimum = "0s",
       .maximum = "24h",
       .required = true},
      {.name = "for",
       .type = KeyType::duration,
       .description = "how long the fault lasts (every kind but restart; optional for a "
                      "command); past the end it ends at the heal",
       .minimum = "1ms",
       .maximum = "24h",
       .required = true},
  };
  return keys;
}

std::vector<std::string> fault_keys() {
  std::vector<std::string> keys{"kind"};
  for (const KeySpec& key : fault_common_keys()) keys.push_back(key.name);
  for (const FaultKind* kind : fault_kinds())
    for (const KeySpec& key : kind->keys)
      if (std::find(keys.begin(), keys.end(), key.name) == keys.end()) keys.push_back(key.name);
  return keys;
}

}  // namespace faultline
