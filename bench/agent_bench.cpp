// How fast a fault lands through a faultline-agent, and what its lease
// costs (issue 22). As root:
//
//   agent_bench [APPLICATIONS] [LEASE_MS]     (default 200, 3000)
//
// Two namespaces this program makes and deletes, joined by a veth on
// 198.18.252.0/24: the agent (the real binary) listens in A, the controller
// (a RemoteActuator in this process) connects from B. Each application
// prepares a blackhole route in A, then times commit(): the call sends the
// step, the agent adds the route (netlink) and answers once the kernel has
// it, so commit's return is when the change is in place; the route is then
// checked with ip(8), untimed, and reverted (timed too). Then the connection
// idles for 10 s with the lease held, and the veth's counters give the
// renewals' traffic.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "controllers/agent/certs.hpp"
#include "controllers/agent/remote_actuator.hpp"
#include "injector/network_namespace.hpp"

using namespace faultline;
using namespace faultline::agent;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::string run(const std::string& command) {
  std::string out;
  if (FILE* p = ::popen(command.c_str(), "r")) {
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    ::pclose(p);
  }
  return out;
}

void must(const std::string& command) {
  if (std::system(command.c_str()) != 0) throw std::runtime_error("failed: " + command);
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, std::size_t(p * double(v.size())))];
}

class OneNode final : public AgentDirectory {
 public:
  std::string node_of_netns(const std::string&) const override { return "a"; }
  std::pair<std::string, std::string> container_of(const std::string&,
                                                   const std::string& s) const override {
    return {"a", s};
  }
};

struct Counters {
  std::uint64_t bytes = 0, packets = 0;
};

Counters veth_counters(const std::string& ns, const std::string& dev) {
  const auto j =
      nlohmann::json::parse(run("ip -n " + ns + " -s -j link show dev " + dev), nullptr, false);
  if (!j.is_array() || j.empty()) return {};
  const auto& s = j[0]["stats64"];
  return {s["rx"]["bytes"].get<std::uint64_t>() + s["tx"]["bytes"].get<std::uint64_t>(),
          s["rx"]["packets"].get<std::uint64_t>() + s["tx"]["packets"].get<std::uint64_t>()};
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 200;
  const int lease_ms = argc > 2 ? std::atoi(argv[2]) : 3000;
  const std::string p = "flbench-" + std::to_string(::getpid());
  const std::string a = p + "-a", b = p + "-b", va = "flb" + std::to_string(::getpid()) + "a",
                    vb = "flb" + std::to_string(::getpid()) + "b";
  const fs::path tmp = fs::temp_directory_path() / p;
  pid_t agent = -1;
  int code = 0;
  try {
    fs::create_directories(tmp);
    make_certificates((tmp / "certs").string(), {{"a", "198.18.252.1"}});
    must("ip netns add " + a + " && ip netns add " + b + " && ip -n " + a +
         " link set lo up && ip -n " + b + " link set lo up && ip link add " + va + " netns " + a +
         " type veth peer name " + vb + " netns " + b + " && ip -n " + a +
         " addr add 198.18.252.1/24 dev " + va + " && ip -n " + b +
         " addr add 198.18.252.2/24 dev " + vb + " && ip -n " + a + " link set " + va +
         " up && ip -n " + b + " link set " + vb + " up");
    const std::string certs = (tmp / "certs").string();
    agent = ::fork();
    if (agent == 0) {
      const std::string log = (tmp / "agent.log").string();
      std::freopen(log.c_str(), "w", stderr);
      ::execlp("ip", "ip", "netns", "exec", a.c_str(), FAULTLINE_AGENT_BINARY, "--listen",
               "198.18.252.1:7443", "--ca", (certs + "/ca.pem").c_str(), "--cert",
               (certs + "/agent-a.pem").c_str(), "--key", (certs + "/agent-a-key.pem").c_str(),
               "--docker", "none", "--node", "a", "--state", (tmp / "state").c_str(),
               "--netns-prefix", p.c_str(), nullptr);
      std::_Exit(127);
    }
    for (int i = 0; i < 100 && run("grep -c listening " + (tmp / "agent.log").string()) != "1\n";
         ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));

    OneNode directory;
    RemoteActuator actuator(
        directory, {{"a", {"a", "198.18.252.1", 7443}}},
        {certs + "/ca.pem", certs + "/controller.pem", certs + "/controller-key.pem"},
        std::chrono::milliseconds(lease_ms), "bench");
    {
      // The connection is made from B and stays there.
      auto ns_b = injector::NamespaceFd::open_named(b);
      injector::NetnsEntry in_b(ns_b);
      actuator.connect_all();
    }
    std::vector<double> commit_ms, revert_ms;
    int missing = 0;
    for (int i = 0; i < n; ++i) {
      const std::string dst = "198.18.253." + std::to_string(i % 250) + "/32";
      auto prepared = actuator.prepare(
          PlanStep{RouteStep{a, {dst, std::nullopt, injector::RouteType::blackhole}}});
      const auto t0 = Clock::now();
      auto applied = prepared->commit();
      const auto t1 = Clock::now();
      if (run("ip -n " + a + " route show type blackhole " + dst).find("blackhole") ==
          std::string::npos)
        ++missing;
      const auto t2 = Clock::now();
      applied->revert();
      const auto t3 = Clock::now();
      commit_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      revert_ms.push_back(std::chrono::duration<double, std::milli>(t3 - t2).count());
    }
    double load = 0;
    std::ifstream("/proc/loadavg") >> load;
    std::printf(
        "agent_bench: %d blackhole routes through faultline-agent (TLS 1.3 over a veth, one "
        "connection), load average %.2f on %u cores\n",
        n, load, std::thread::hardware_concurrency());
    std::printf(
        "  commit (call to the route in place, acknowledged): p50 %.3f ms  p99 %.3f ms  max %.3f "
        "ms\n",
        percentile(commit_ms, 0.5), percentile(commit_ms, 0.99),
        *std::max_element(commit_ms.begin(), commit_ms.end()));
    std::printf(
        "  revert:                                            p50 %.3f ms  p99 %.3f ms  max %.3f "
        "ms\n",
        percentile(revert_ms, 0.5), percentile(revert_ms, 0.99),
        *std::max_element(revert_ms.begin(), revert_ms.end()));
    std::printf("  routes not in place when commit returned: %d of %d\n", missing, n);
    if (missing) code = 1;

    const int idle_s = 10;
    const Counters before = veth_counters(b, vb);
    std::this_thread::sleep_for(std::chrono::seconds(idle_s));
    const Counters after = veth_counters(b, vb);
    const double renewals = double(idle_s) * 1000.0 / (lease_ms / 4.0);
    std::printf(
        "  lease %d ms, renewed every %d ms: %d s idle cost %.0f bytes/s and %.1f packets/s on the "
        "wire (both ways), %.0f bytes a renewal\n",
        lease_ms, lease_ms / 4, idle_s, double(after.bytes - before.bytes) / idle_s,
        double(after.packets - before.packets) / idle_s,
        double(after.bytes - before.bytes) / renewals);
  } catch (const std::exception& e) {
    std::cerr << "agent_bench: " << e.what() << "\n";
    code = 1;
  }
  if (agent > 0) {
    ::kill(agent, SIGTERM);
    ::waitpid(agent, nullptr, 0);
  }
  std::system(("ip netns del " + a + " 2>/dev/null; ip netns del " + b + " 2>/dev/null").c_str());
  std::error_code ec;
  fs::remove_all(tmp, ec);
  return code;
}
