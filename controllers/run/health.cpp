#include "controllers/run/health.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <fstream>
#include <thread>

#include "common/http_client.hpp"
#include "controllers/experiment/parse.hpp"
#include "controllers/run/interrupt.hpp"
#include "injector/network_namespace.hpp"

namespace faultline {

using namespace std::chrono_literals;

namespace {

// The end of a service's log, indented, for the error that names it.
std::string log_tail(const std::string& path, std::size_t lines) {
  std::ifstream in(path);
  if (!in) return "";
  std::deque<std::string> last;
  for (std::string line; std::getline(in, line);) {
    last.push_back(line);
    if (last.size() > lines) last.pop_front();
  }
  std::string text;
  for (const auto& line : last) text += "\n    " + line;
  return text;
}

[[noreturn]] void service_failed(Service& service, const std::string& what) {
  const std::string tail = log_tail(service.log_path(), 8);
  throw TargetError(service.label() + " " + what + "; see " + service.log_path() +
                    (tail.empty() ? "" : ", which ends:" + tail));
}

// Any service of any region that died (a database, say) fails the start at
// once: every check waits at most its HTTP timeout before this runs again.
void check_all_running(const Experiment& e, const TopologyPlan& plan, Provider& provider) {
  for (const auto& region : plan.regions)
    for (const auto& s : e.services) {
      Service& service = provider.service(region.name, s.name);
      if (!service.running())
        service_failed(service, "exited during startup (" + service.exit_status() + ")");
    }
}

}  // namespace

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
        check_all_running(e, plan, provider);
        auto outcome = client.get(s.health.path);
        if (outcome.response && outcome.response->status == 200) break;
        if (std::chrono::steady_clock::now() > deadline)
          service_failed(proc, "not healthy after " + format_duration(s.health.timeout) +
                                   " (GET " + s.health.path + " on port " +
                                   std::to_string(s.health.port) + " answered " +
                                   (outcome.response ? std::to_string(outcome.response->status)
                                                     : std::string("nothing")) +
                                   ")");
        std::this_thread::sleep_for(100ms);
      }
    }
  }
  check_all_running(e, plan, provider);
  spdlog::info("all services healthy");
}

}  // namespace faultline
