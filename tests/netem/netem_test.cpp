// Faults that need sch_netem, measured on a real kernel that has it. These run
// in the kernel lane (scripts/kernel-lane.sh boots Debian's stock kernel under
// qemu with this binary in the initramfs), since the CI machine's kernel has
// no netem. Bounds are the issue's, wide enough not to flake.
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <thread>

#include "controllers/checkers/final_state.hpp"
#include "controllers/faults/partition_plan.hpp"
#include "controllers/faults/shaping_plan.hpp"
#include "controllers/history/history.hpp"
#include "controllers/topology/netns_topology.hpp"
#include "injector/route_block.hpp"
#include "injector/traffic_control.hpp"
#include "root/shaped_regions.hpp"

using namespace faultline;
using namespace std::chrono_literals;
using injector::ShapedInterface;
using injector::ShapingGuard;

namespace {

using Regions = testing::ShapedRegions;
using testing::link_fault;

// Answers every datagram on ip:port inside `ns` until destroyed.
class UdpEcho {
 public:
  UdpEcho(const injector::NamespaceFd& ns, const std::string& ip, int port)
      : sock_(testing::bound_socket(ns, ip, port, SOCK_DGRAM)), thread_([this] { loop(); }) {}
  ~UdpEcho() {
    stop_ = true;
    thread_.join();
  }
  int fd() const { return sock_.get(); }

 private:
  void loop() {
    char buf[128];
    while (!stop_) {
      pollfd p{sock_.get(), POLLIN, 0};
      if (::poll(&p, 1, 50) != 1) continue;
      sockaddr_storage peer{};
      socklen_t len = sizeof peer;
      ssize_t n =
          ::recvfrom(sock_.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&peer), &len);
      if (n > 0)
        ::sendto(sock_.get(), buf, static_cast<size_t>(n), 0, reinterpret_cast<sockaddr*>(&peer),
                 len);
    }
  }
  testing::Fd sock_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Median round trip in ms of `count` UDP probes from `from` to an echo.
double median_rtt_ms(const injector::NamespaceFd& from, const std::string& ip, int port,
                     int count = 60) {
  socklen_t len;
  auto addr = testing::make_addr(ip, port, len);
  testing::Fd fd;
  {
    injector::NetnsEntry inside(from);
    fd = testing::Fd(::socket(addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  }
  std::vector<double> rtts;
  for (int i = 0; i < count; ++i) {
    auto start = std::chrono::steady_clock::now();
    ::sendto(fd.get(), &i, sizeof i, 0, reinterpret_cast<sockaddr*>(&addr), len);
    for (;;) {
      pollfd p{fd.get(), POLLIN, 0};
      if (::poll(&p, 1, 2000) != 1) break;
      int seq = -1;
      if (::recv(fd.get(), &seq, sizeof seq, 0) == sizeof seq && seq == i) {
        rtts.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count());
        break;
      }
    }
    std::this_thread::sleep_for(5ms);
  }
  if (rtts.empty()) return -1;
  std::sort(rtts.begin(), rtts.end());
  return rtts[rtts.size() / 2];
}

double connect_ms(const injector::NamespaceFd& from, const std::string& ip, int port) {
  auto start = std::chrono::steady_clock::now();
  if (!testing::can_connect(from, ip, port, 3000ms)) return -1;
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace

// Under emulation every pass through a shaped qdisc costs a few milliseconds
// of timer latency, whatever the delay configured. The tests therefore set the
// same path up with a 1 ms delay first and measure what 50 ms more adds.
double added_by_50ms(Regions& t, const std::string& ip, int port) {
  UdpEcho echo(t.host("eu", "app"), ip, port);
  FaultSpec f = link_fault("delay", {"us", "eu"}, true);
  f.impairment.delay = 1ms;
  double reference;
  {
    auto guards = t.apply(f);
    reference = median_rtt_ms(t.host("us", "client"), ip, port);
  }
  f.impairment.delay = 51ms;
  auto guards = t.apply(f);
  const double during = median_rtt_ms(t.host("us", "client"), ip, port);
  WARN("median RTT with 1 ms configured " << reference << " ms, with 51 ms " << during << " ms");
  for (auto& g : guards) g.revert();
  CHECK(median_rtt_ms(t.host("us", "client"), ip, port) < 20.0);  // the delay is gone
  return during - reference;
}

TEST_CASE("netem delay: 50 ms more delay adds 50 ms within 2 ms to the median round trip",
          "[netem]") {
  Regions t;
  const double added = added_by_50ms(t, t.v4("eu", "app"), 7100);
  INFO("added " << added << " ms");
  CHECK(std::abs(added - 50.0) <= 2.0);
}

TEST_CASE("netem delay scopes IPv6 too", "[netem]") {
  Regions t;
  const double added = added_by_50ms(t, t.v6("eu", "app"), 7101);
  INFO("added over IPv6 " << added << " ms");
  CHECK(std::abs(added - 50.0) <= 2.0);
}

TEST_CASE("netem loss: 30% loss stays inside the 99% binomial interval over 2000 probes",
          "[netem]") {
  Regions t;
  auto sink = testing::bound_socket(t.host("eu", "app"), t.v4("eu", "app"), 7200, SOCK_DGRAM);
  FaultSpec f = link_fault("loss", {"us", "eu"}, true);
  f.impairment.loss = 30;
  auto guards = t.apply(f);
  socklen_t len;
  auto addr = testing::make_addr(t.v4("eu", "app"), 7200, len);
  testing::Fd fd;
  {
    injector::NetnsEntry inside(t.host("us", "client"));
    fd = testing::Fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  }
  const int n = 2000;
  int received = 0;
  char buf[16];
  for (int i = 0; i < n; ++i) {
    ::sendto(fd.get(), &i, sizeof i, 0, reinterpret_cast<sockaddr*>(&addr), len);
    std::this_thread::sleep_for(std::chrono::microseconds(500));
    while (::recv(sink.get(), buf, sizeof buf, MSG_DONTWAIT) > 0) ++received;
  }
  std::this_thread::sleep_for(300ms);
  while (::recv(sink.get(), buf, sizeof buf, MSG_DONTWAIT) > 0) ++received;
  const double rate = 1.0 - static_cast<double>(received) / n;
  const double half_width = 2.576 * std::sqrt(0.3 * 0.7 / n);
  INFO("loss rate " << rate << ", interval " << 0.3 - half_width << " .. " << 0.3 + half_width);
  CHECK(std::abs(rate - 0.3) <= half_width);
}

TEST_CASE("slow-db delays the database port by 200 ms and not a neighbouring port", "[netem]") {
  Regions t;
  auto db = testing::bound_socket(t.host("eu", "db"), t.v4("eu", "db"), 5432, SOCK_STREAM);
  auto other = testing::bound_socket(t.host("eu", "db"), t.v4("eu", "db"), 5433, SOCK_STREAM);
  auto guards = t.apply(testing::slow_db("eu", 200ms));
  const double to_db = connect_ms(t.host("eu", "client"), t.v4("eu", "db"), 5432);
  const double to_other = connect_ms(t.host("eu", "client"), t.v4("eu", "db"), 5433);
  INFO("connect to 5432 took " << to_db << " ms, to 5433 " << to_other << " ms");
  CHECK(to_db >= 195.0);
  CHECK(to_db < 300.0);  // emulated timers: generous above
  CHECK(to_other >= 0.0);
  CHECK(to_other < 50.0);
}

TEST_CASE("every netem fault kind applied and reverted leaves the qdisc trees exactly as before",
          "[netem]") {
  Regions t;
  const auto before = t.trees();
  std::vector<FaultSpec> faults;
  FaultSpec delay = link_fault("delay", {}, false);
  delay.impairment.delay = 30ms;
  delay.impairment.jitter = 5ms;
  delay.impairment.distribution = "pareto";
  faults.push_back(delay);
  FaultSpec loss = link_fault("loss", {"us", "eu"}, false);
  loss.impairment.loss = 10;
  loss.impairment.loss_correlation = 25;
  loss.ports = PortRange{8000, 8100};
  faults.push_back(loss);
  FaultSpec dup = link_fault("duplicate", {"eu", "ap"}, true);
  dup.impairment.duplicate = 5;
  faults.push_back(dup);
  FaultSpec reorder = link_fault("reorder", {"ap", "us"}, true);
  reorder.impairment.reorder = 25;
  reorder.impairment.delay = 10ms;
  faults.push_back(reorder);
  FaultSpec corrupt = link_fault("corrupt", {"us", "ap"}, true);
  corrupt.impairment.corrupt = 1;
  faults.push_back(corrupt);
  FaultSpec slow = testing::slow_db("us", 100ms);
  slow.impairment.loss = 1;
  faults.push_back(slow);
  for (const auto& f : faults) {
    INFO("fault " << f.kind);
    auto guards = t.apply(f);
    CHECK(t.trees() != before);
    for (auto& g : guards) CHECK(g.revert().empty());
    CHECK(t.trees() == before);
  }
}

TEST_CASE("a partition and a delay on the same link both hold; stopping one leaves the other",
          "[netem]") {
  Regions t;
  UdpEcho echo(t.host("eu", "app"), t.v4("eu", "app"), 7300);
  const double base = median_rtt_ms(t.host("us", "client"), t.v4("eu", "app"), 7300);
  FaultSpec f = link_fault("delay", {"us", "eu"}, true);
  f.impairment.delay = 40ms;
  auto delay = t.apply(f);
  std::vector<injector::RouteBlockGuard::Entry> entries;
  for (auto& c : plan_partition(t.plan, {{"us"}, {"eu"}}, false, injector::RouteType::blackhole,
                                partition_metric(1)))
    entries.push_back({t.topology->socket(c.netns), c.netns, c.route});
  auto partition = injector::RouteBlockGuard::apply(entries);
  CHECK(median_rtt_ms(t.host("us", "client"), t.v4("eu", "app"), 7300, 5) <
        0);  // nothing comes back
  partition.revert();
  CHECK(std::abs(median_rtt_ms(t.host("us", "client"), t.v4("eu", "app"), 7300) - base - 40.0) <=
        3.0);
  for (auto& g : delay) g.revert();
  CHECK(median_rtt_ms(t.host("us", "client"), t.v4("eu", "app"), 7300) < 10.0);
}

TEST_CASE("a fault on top of the WAN baseline adds its delay; other pairs keep the baseline",
          "[netem]") {
  // This checks the composition rule, not precision: each shaped direction
  // costs the emulated lane about a millisecond more, hence the wider bounds.
  Regions t;
  UdpEcho eu(t.host("eu", "app"), t.v4("eu", "app"), 7400);
  UdpEcho ap(t.host("ap", "app"), t.v4("ap", "app"), 7400);
  const double base = median_rtt_ms(t.host("us", "client"), t.v4("eu", "app"), 7400);
  WanBaseline wan;
  wan.impairment.delay = 20ms;
  t.wan = wan;
  auto baseline = t.shape(plan_wan_baseline(t.plan, wan));
  CHECK(std::abs(median_rtt_ms(t.host("us", "client"), t.v4("eu", "app"), 7400) - base - 40.0) <=
        4.0);
  FaultSpec f = link_fault("delay", {"us", "eu"}, true);
  f.impairment.delay = 30ms;
  auto fault = t.apply(f);
  CHECK(std::abs(median_rtt_ms(t.host("us", "client"), t.v4("eu", "app"), 7400) - base - 70.0) <=
        4.0);  // 50 there, 20 back
  CHECK(std::abs(median_rtt_ms(t.host("us", "client"), t.v4("ap", "app"), 7400) - base - 40.0) <=
        4.0);
  for (auto& g : fault) g.revert();
  CHECK(std::abs(median_rtt_ms(t.host("us", "client"), t.v4("eu", "app"), 7400) - base - 40.0) <=
        4.0);
}

TEST_CASE(
    "the wan-latency experiment passes and slows eu-west-1's database operations only during "
    "slow-db",
    "[netem][e2e]") {
  namespace fs = std::filesystem;
  const char* bin_dir = std::getenv("FAULTLINE_BIN_DIR");
  const char* experiments = std::getenv("FAULTLINE_EXPERIMENTS");
  REQUIRE(bin_dir != nullptr);
  REQUIRE(experiments != nullptr);
  const fs::path results = fs::temp_directory_path() / "wan-latency-results";
  fs::remove_all(results);
  const std::string command = std::string(bin_dir) + "/faultline run --results " +
                              results.string() + " " + experiments + "/wan-latency.toml";
  int status = std::system(command.c_str());
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  fs::path run_dir = fs::directory_iterator(results)->path();
  auto history = read_history((run_dir / "history.jsonl").string());

  // The slow-db window, from the nemesis's own records.
  std::int64_t slow_start = -1, slow_stop = -1;
  for (const auto& op : history)
    if (op.process == kNemesisProcess && op.type == OpType::ok) {
      if (op.f == "start-slow-db") slow_start = op.time;
      if (op.f == "stop-slow-db") slow_stop = op.time;
    }
  REQUIRE(slow_start > 0);
  REQUIRE(slow_stop > slow_start);
  // Latency of each completed eu-west-1 client operation, inside and outside.
  std::map<std::int64_t, std::int64_t> invoked;
  std::vector<double> inside, outside;
  for (const auto& op : history) {
    if (op.region != "eu-west-1" || op.process == kNemesisProcess || op.f == kFinalReadF) continue;
    if (op.type == OpType::invoke) {
      invoked[op.process] = op.time;
      continue;
    }
    if (op.type != OpType::ok || !invoked.count(op.process)) continue;
    const std::int64_t start = invoked[op.process];
    const double ms = (op.time - start) / 1e6;
    if (start > slow_start + 50'000'000 && op.time < slow_stop)
      inside.push_back(ms);
    else if (op.time < slow_start || start > slow_stop + 500'000'000)
      outside.push_back(ms);
  }
  REQUIRE(inside.size() >= 5);
  REQUIRE(outside.size() >= 20);
  std::sort(inside.begin(), inside.end());
  std::sort(outside.begin(), outside.end());
  INFO("eu-west-1 median latency during slow-db " << inside[inside.size() / 2] << " ms, outside "
                                                  << outside[outside.size() / 2] << " ms");
  CHECK(inside[inside.size() / 2] >= 200.0);
  CHECK(outside[outside.size() / 2] < 100.0);
}
