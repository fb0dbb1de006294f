#pragma once
// Fault plans as the lines `faultline run --dry-run` prints: what each step
// will ask of the kernel in the syntax of ip(8), tc(8) and nft(8), and what
// it does to processes and clocks. Pure, so tests pin every kind's rendering.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "controllers/faults/fault_plan.hpp"

namespace faultline {

class PlanRenderer {
 public:
  // One line per change, each prefixed with the namespace it happens in.
  std::vector<std::string> render(const PlanStep& step);
  std::vector<std::string> render(const std::vector<PlanStep>& steps);

 private:
  // Class minors are handed out per interface as faults start; the renderer
  // numbers them in the order it is shown the steps (file order), so a run
  // whose faults start in another order may number them differently.
  std::map<std::pair<std::string, std::string>, std::uint16_t> next_minor_;
};

}  // namespace faultline
