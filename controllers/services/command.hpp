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
//   {addr:HOST} / {addr6:HOST}  the address of another host of the same region
//   {addr:HOST@REGION} / {addr6:HOST@REGION}  ... of a host of the region named
//   {topology} the run's topology file (regions, geos, failover, addresses)
//   {workdir} a directory of the service's own in the results directory,
//             owned by the service's user
#include <string>
#include <vector>

#include "controllers/topology/plan.hpp"

namespace faultline {

std::vector<std::string> expand_command(const std::vector<std::string>& argv_template,
                                        const TopologyPlan& plan, const std::string& region,
                                        const std::string& host, const std::string& results_dir,
                                        const std::string& service = "");

// The files and folders behind {topology} and {workdir}.
std::string topology_file(const std::string& results_dir);
std::string service_workdir(const std::string& results_dir, const std::string& service,
                            const std::string& region);

}  // namespace faultline
