#include "controllers/run/health.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "common/http_client.hpp"
#include "controllers/experiment/parse.hpp"
#include "controllers/run/interrupt.hpp"
#include "injector/network_namespace.hpp"

namespace faultline {

using namespace std::chrono_literals;

void wait_healthy(const Experiment& e, const TopologyPlan& plan, Provider& provider) {
  const std::string probe_host =
      std::find(e.hosts.begin(), e.hosts.end(), "client") != e.hosts.end() ? "client"
                                                                          : e.hosts.front();
  for (const auto& region : plan.regions) {
    for (const auto& s : e.services) {
      if (s.health.port == 0) continue;
      Service& proc = provider.service(region.name, s.name);
      const auto deadline = std::chrono::steady_clock::now() + s.health.timeout;
      injector::NetnsEntry inside(provider.topology().host(region.name, probe_host));
      http::Client client(region.host(s.host).ipv4, s.health.port, 500ms);
      for (;;) {
        throw_if_interrupted();
        for (const auto& other : e.services) {
          Service& p = provider.service(region.name, other.name);
          if (!p.running())
            throw std::runtime_error(p.label() + " exited during startup; see " + p.log_path());
        }
        auto outcome = client.get(s.health.path);
        if (outcome.response && outcome.response->status == 200) break;
        if (std::chrono::steady_clock::now() > deadline)
          throw std::runtime_error(proc.label() + " not healthy after " +
                                   format_duration(s.health.timeout) + " (GET " + s.health.path +
                                   " on port " + std::to_string(s.health.port) + "); see " +
                                   proc.log_path());
        std::this_thread::sleep_for(100ms);
      }
    }
  }
  spdlog::info("all services healthy");
}

}  // namespace faultline
