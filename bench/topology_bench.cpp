// How long regions take to come up and go (issue 9, benchmark 3). As root:
//
//   topology_bench [REGIONS...]       (default 3 16 64)
//
// For each size: builds that many regions with three hosts each (app, db,
// client: 1 + 4 namespaces a region plus the backbone, every link up and
// passing traffic), then tears them down; prints both times, the time per
// region, when the kernel had freed the namespaces (its cleanup work runs
// after faultline has let them go; the next size starts only then), and the
// controller's RSS.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
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
// Whether a kernel worker is running the network namespace cleanup work now
// (a kworker's name ends in "+netns" while it runs a work of that queue).
bool kernel_cleaning_namespaces() {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string pid = entry.path().filename();
    if (pid.empty() || pid[0] < '0' || pid[0] > '9') continue;
    std::ifstream comm(entry.path() / "comm");
    std::string name;
    if (std::getline(comm, name) && name.rfind("kworker", 0) == 0 &&
        name.find("+netns") != std::string::npos)
      return true;
  }
  return false;
}

// Waits until no cleanup work has run for 200 ms; returns when it last ran.
Clock::time_point wait_for_kernel_cleanup() {
  auto last_seen = Clock::now();
  while (Clock::now() - last_seen < std::chrono::milliseconds(200)) {
    if (kernel_cleaning_namespaces()) last_seen = Clock::now();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return last_seen;
}

}  // namespace

int main(int argc, char** argv) try {
  std::vector<int> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(std::atoi(argv[i]));
  if (sizes.empty()) sizes = {3, 16, 64};
  std::printf("%7s %10s %10s %10s %12s %16s %10s\n", "regions", "namespaces", "setup_ms",
              "ms/region", "teardown_ms", "kernel_freed_ms", "rss_kib");
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
    const auto t3 = wait_for_kernel_cleanup();
    const double setup = std::chrono::duration<double, std::milli>(t1 - t0).count();
    const double teardown = std::chrono::duration<double, std::milli>(t2 - t1).count();
    const double freed = std::chrono::duration<double, std::milli>(t3 - t1).count();
    std::printf("%7d %10zu %10.0f %10.1f %12.0f %16.0f %10ld\n", n, plan.namespaces().size(),
                setup, setup / n, teardown, freed, rss);
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "topology_bench: %s\n", e.what());
  return 1;
}
