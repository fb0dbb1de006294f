#pragma once
// Filling a service's argv template for one region. Pure; each placeholder is
// replaced inside an argument, and arguments are never split or passed to a
// shell, so a value cannot inject anything.
//
//   {region}  the region's name          {geo}     its geo
//   {addr}    the host's IPv4 address    {addr6}   its IPv6 address
//   {peers}   the same host's IPv4 addresses in the other regions, comma-separated
//   {peers6}  the same for IPv6
//   {results} the run's results directory
#include <string>
#include <vector>

#include "controllers/topology/plan.hpp"

namespace faultline {

std::vector<std::string> expand_command(const std::vector<std::string>& argv_template,
                                        const TopologyPlan& plan, const std::string& region,
                                        const std::string& host, const std::string& results_dir);

}  // namespace faultline
