// How long regions take to come up and go (issue 9, benchmark 3). As root:
//
//   topology_bench [REGIONS...]       (default 3 16 64)
//
// For each size: builds that many regions with three hosts each (app, db,
// client: 1 + 4 namespaces a region plus the backbone, every link up and
// passing traffic), then tears them down; prints both times, the time per
// region and the controller's peak RSS.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "controllers/topology/netns_topology.hpp"

using namespace faultline;
using Clock = std::chrono::steady_clock;

namespace {
long rss_kib(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::string(field).size()));
  return 0;
}
}  // namespace

int main(int argc, char** argv) try {
  std::vector<int> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(std::atoi(argv[i]));
  if (sizes.empty()) sizes = {3, 16, 64};
  std::printf("%7s %10s %12s %10s %12s %10s\n", "regions", "namespaces", "setup_ms", "ms/region",
              "teardown_ms", "rss_kib");
  for (int n : sizes) {
    std::vector<RegionInput> regions;
    for (int i = 1; i <= n; ++i) regions.push_back({"r" + std::to_string(i), "g" + std::to_string(i % 3)});
    const TopologyPlan plan = plan_topology("tb" + std::to_string(n), regions, {"app", "db", "client"});
    const auto t0 = Clock::now();
    auto topology = NamespaceTopology::build(plan);
    const auto t1 = Clock::now();
    const long rss = rss_kib("VmRSS:");
    topology->teardown();
    const auto t2 = Clock::now();
    const double setup = std::chrono::duration<double, std::milli>(t1 - t0).count();
    const double teardown = std::chrono::duration<double, std::milli>(t2 - t1).count();
    std::printf("%7d %10zu %12.0f %10.1f %12.0f %10ld\n", n, plan.namespaces().size(), setup,
                setup / n, teardown, rss);
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "topology_bench: %s\n", e.what());
  return 1;
}
