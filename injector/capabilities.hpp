#pragma once
// What this kernel offers for faults, found by trying: in a scratch namespace
// that is removed afterwards, add each qdisc, classifier and action once. A
// module the kernel can load on demand counts as available.
#include <string>
#include <vector>

namespace faultline::injector {

struct Capability {
  std::string name;  // "netem", "htb", "u32", ...
  std::string kind;  // "qdisc", "classifier", "action"
  bool available = false;
  std::string error;       // what the kernel said when it is not
  std::string needed_for;  // which faults use it
};

std::vector<Capability> probe_capabilities();
bool has_capability(const std::vector<Capability>& caps, const std::string& name);

}  // namespace faultline::injector
