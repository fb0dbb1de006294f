#pragma once
// Each client kind's own options, as values read from the experiment (its
// table [workload.<kind>], or for exec the keys of [workload] itself). A
// client kind's reader fills its struct (client_kinds.cpp); its factory
// (controllers/workload/client_factories.cpp) reads it back. Options of
// kinds the experiment does not use stay at their defaults.
#include <string>
#include <vector>

namespace faultline {

// client = "exec": the user's own program over JSON lines (docs/clients.md).
struct ExecClientSpec {
  std::string program;            // resolved like a service's program (absolute)
  std::vector<std::string> args;  // templates with service placeholders
  std::string user = "nobody";
};

}  // namespace faultline
