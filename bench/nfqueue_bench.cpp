// The NFQUEUE engine, measured on this machine (run as root):
//
//   nfqueue_bench [--soak SECONDS]
//
// 1. delay: UDP at 5,000 packets/s through a 50 ms fault; the one-way delay of
//    each packet (send and receive stamps on the same clock), median and p99;
// 2. jitter: 50 ms +- 10 ms normal; the standard deviation of the delays;
// 3. forwarding: the most packets per second the engine passes with no delay;
// 4. soak (optional): 5,000 packets/s through a 50 ms fault for SECONDS,
//    sampling the process's RSS every 10 s.
// Traffic stays inside two namespaces the program creates and removes.
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <numeric>
#include <thread>

#include "controllers/faults/shaping_plan.hpp"
#include "controllers/topology/netns_topology.hpp"
#include "injector/nfqueue/nfqueue_engine.hpp"
#include "injector/nfqueue/queue_rules.hpp"
#include "root/netns_helpers.hpp"

using namespace faultline;
using namespace faultline::injector;
using Clock = std::chrono::steady_clock;

namespace {

long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string key;
  long value = 0;
  while (in >> key) {
    if (key == "VmRSS:") {
      in >> value;
      return value;
    }
    std::getline(in, key);
  }
  return -1;
}

struct Path {
  TopologyPlan plan = plan_topology("bench" + std::to_string(::getpid() % 1000),
                                    {{"a", "a"}, {"b", "b"}}, {"app", "client"});
  std::unique_ptr<NamespaceTopology> topology = NamespaceTopology::build(plan);
  std::unique_ptr<QueueRuleTable> table;
  std::unique_ptr<NfqueueEngine> engine;

  void fault(const NetemSpec& netem) {
    engine.reset();
    table.reset();
    FaultSpec f;
    f.kind = "delay";
    f.between = {"a", "b"};
    f.one_way = true;
    auto change = plan_traffic_fault(plan, f, std::nullopt).front();
    const auto& router = topology->netns(plan.region("a").router_netns);
    table = std::make_unique<QueueRuleTable>(router, "a router");
    engine = std::make_unique<NfqueueEngine>(router, "a router", 16, netem, 1);
    std::vector<QueueRule> rules;
    for (const auto& m : change.spec.matches) rules.push_back({change.dev, m, 16, 0});
    table->set(1, rules);
  }
};

struct Flow {
  testing::Fd tx, rx;
  sockaddr_storage addr{};
  socklen_t len = 0;
  Flow(Path& p, int port) {
    const std::string ip = p.plan.region("b").host("app").ipv4;
    rx = testing::bound_socket(p.topology->host("b", "app"), ip, port, SOCK_DGRAM);
    int big = 32 * 1024 * 1024;
    ::setsockopt(rx.get(), SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
    addr = testing::make_addr(ip, port, len);
    NetnsEntry inside(p.topology->host("a", "client"));
    tx = testing::Fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  }
};

// Sends `count` stamped datagrams at `rate` per second; returns one-way delays (ms).
std::vector<double> paced(Flow& flow, int count, double rate) {
  std::vector<double> delays;
  std::atomic<bool> done{false};
  std::thread receiver([&] {
    std::int64_t stamp;
    while (!done || ::recv(flow.rx.get(), &stamp, sizeof stamp, MSG_DONTWAIT) > 0) {
      pollfd p{flow.rx.get(), POLLIN, 0};
      if (::poll(&p, 1, 50) != 1) continue;
      while (::recv(flow.rx.get(), &stamp, sizeof stamp, MSG_DONTWAIT) == sizeof stamp)
        delays.push_back((Clock::now().time_since_epoch().count() - stamp) / 1e6);
    }
  });
  const auto interval = std::chrono::nanoseconds(static_cast<long long>(1e9 / rate));
  auto next = Clock::now();
  for (int i = 0; i < count; ++i) {
    std::this_thread::sleep_until(next);
    next += interval;
    std::int64_t stamp = Clock::now().time_since_epoch().count();
    ::sendto(flow.tx.get(), &stamp, sizeof stamp, 0, reinterpret_cast<sockaddr*>(&flow.addr),
             flow.len);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  done = true;
  receiver.join();
  return delays;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * (v.size() - 1))];
}

}  // namespace

int main(int argc, char** argv) {
  int soak_seconds = 0;
  if (argc == 3 && std::strcmp(argv[1], "--soak") == 0) soak_seconds = std::atoi(argv[2]);
  Path path;

  {
    NetemSpec netem;
    netem.delay_us = 50000;
    path.fault(netem);
    Flow flow(path, 7000);
    auto d = paced(flow, 25000, 5000);  // 5 s at 5,000/s
    std::printf("delay 50 ms at 5000 pkt/s: %zu of 25000 delivered, median %.3f ms, p99 %.3f ms\n",
                d.size(), percentile(d, 0.5), percentile(d, 0.99));
  }
  {
    NetemSpec netem;
    netem.delay_us = 50000;
    netem.jitter_us = 10000;
    netem.distribution = "normal";
    path.fault(netem);
    Flow flow(path, 7001);
    auto d = paced(flow, 25000, 5000);
    double mean = std::accumulate(d.begin(), d.end(), 0.0) / d.size();
    double var = 0;
    for (double x : d) var += (x - mean) * (x - mean);
    std::printf(
        "jitter 50 +- 10 ms normal: mean %.3f ms, standard deviation %.3f ms (configured 10.000)\n",
        mean, std::sqrt(var / d.size()));
  }
  {
    path.fault(NetemSpec{});  // no delay: every packet accepted at once
    Flow flow(path, 7002);
    std::atomic<bool> done{false};
    std::atomic<long> received{0};
    std::thread receiver([&] {
      char buf[64];
      while (!done) {
        pollfd p{flow.rx.get(), POLLIN, 0};
        if (::poll(&p, 1, 50) != 1) continue;
        while (::recv(flow.rx.get(), buf, sizeof buf, MSG_DONTWAIT) > 0) ++received;
      }
    });
    const int total = 600000;
    char payload[32] = {};
    auto start = Clock::now();
    for (int i = 0; i < total; ++i)
      ::sendto(flow.tx.get(), payload, sizeof payload, 0, reinterpret_cast<sockaddr*>(&flow.addr),
               flow.len);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    done = true;
    receiver.join();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count() - 0.5;
    auto stats = path.engine->stats();
    std::printf(
        "forwarding, no delay: %ld of %d packets through the engine in %.2f s = %.0f packets/s "
        "(engine saw %lu, kernel queue drops %lu)\n",
        received.load(), total, seconds, received / seconds, stats.received, stats.kernel_dropped);
  }
  if (soak_seconds > 0) {
    NetemSpec netem;
    netem.delay_us = 50000;
    path.fault(netem);
    Flow flow(path, 7003);
    std::printf("soak: 5000 pkt/s through a 50 ms fault for %d s; RSS every 10 s (KiB):",
                soak_seconds);
    for (int t = 0; t < soak_seconds; t += 10) {
      paced(flow, 50000, 5000);
      std::printf(" %ld", rss_kib());
      std::fflush(stdout);
    }
    auto stats = path.engine->stats();
    std::printf("\nsoak: engine received %lu, released %lu, overflow drops %lu, kernel drops %lu\n",
                stats.received, stats.released, stats.dropped_overflow, stats.kernel_dropped);
  }
  return 0;
}
