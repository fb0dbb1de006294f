#pragma once
// What a run needs from the machine, checked before anything is created:
// every refusal is a CapabilityError naming the fix.
#include <string>

#include "controllers/experiment/experiment.hpp"

namespace faultline {

struct MachineChoices {
  // Who serves traffic-control faults: "none" (there are none), "netem"
  // (the kernel's netem, htb and u32) or "nfqueue" (the NFQUEUE engine).
  std::string engine = "none";
  std::string faketime;  // libfaketime, when the experiment skews clocks
};

// Probes the kernel (in a scratch namespace) only when the experiment has
// faults that need it.
MachineChoices check_machine(const Experiment& experiment);

}  // namespace faultline
