#pragma once
// Residency: a customer's data stays in its home region's geo. Violated by
//   - any operation on a customer's data answered by a region of another geo
//     (its served_by), and
//   - any state probe ("probe" operations: the customers whose data a
//     region's database holds, queried directly) that finds a customer of
//     another geo.
// Customers and their home regions come from the history's "register"
// operations (value {"customer", "home"}), probes are "probe" operations
// (value {"customers": [...]}), region geos come from the experiment.
#include <map>
#include <string>
#include <vector>

#include "controllers/checkers/check_result.hpp"
#include "controllers/history/compact_history.hpp"
#include "controllers/history/operation_kinds.hpp"

namespace faultline {

CheckResult check_residency(const CompactHistory& history,
                            const std::map<std::string, std::string>& region_geo);
CheckResult check_residency(const std::vector<Operation>& history,
                            const std::map<std::string, std::string>& region_geo);

}  // namespace faultline
