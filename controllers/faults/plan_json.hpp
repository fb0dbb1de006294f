#pragma once
// PlanStep as JSON, for the agent protocol: the controller plans a fault as
// it always does and sends each step, as a value, to the agent of the node
// that holds its namespace (controllers/agent/). Every field of every step
// kind travels; from_json(to_json(s)) == s (tests/unit/plan_json_test.cpp).
//
//   {"kind": "route", "netns": ..., "route": {"destination", "gateway"?,
//                                             "type", "metric", "protocol"}}
//   {"kind": "drop-rule", "netns", "dev", "matches": [match...]}
//   {"kind": "shape", "netns", "dev", "band", "rate_bits_per_second"?,
//    "netem": {...}, "matches": [match...]}
//   {"kind": "process", "action": "kill"|"pause"|"restart", "region", "service"}
//   {"kind": "clock", "region", "service", "offset_ms", "drift"}
//   {"kind": "command", "fault", "region", "host", "netns", "run", "at_end",
//    "user", "timeout_ms"}
//   match: {"family", "dst"?, "src"?, "protocol", "sport"?: {"value","mask"}, "dport"?}
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "controllers/faults/fault_plan.hpp"

namespace faultline {

// A step the peer sent that is not one: the message names the field.
class PlanJsonError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

nlohmann::json step_to_json(const PlanStep& step);
// Throws PlanJsonError naming the missing or mistyped field.
PlanStep step_from_json(const nlohmann::json& j);

}  // namespace faultline
