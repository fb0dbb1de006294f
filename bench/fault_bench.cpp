// How fast a fault lands and goes, through faultline's injector and through
// the `ip`, `tc` and `nft` binaries that other tools run, in one run on one
// machine (issue 9, benchmark 1). As root:
//
//   fault_bench [ITERATIONS] [CASE...]   (default 1000, every case)
//
// Each case applies a fault and reverts it ITERATIONS times inside a scratch
// namespace this program creates and deletes, and reports the median and p99
// of one apply plus revert, and the ratio binary / injector. Cases:
//   route:   a blackhole route added and deleted (ip route);
//   rate:    htb root + classes + u32 filter, then removed (tc);
//   delay:   the same with a 20 ms netem leaf on the fault's class (tc),
//            where the kernel has sch_netem;
//   nfqueue: the rule that steers a delay fault's packets to the
//            NFQUEUE engine (xt NFQUEUE through nft_compat), added and
//            removed (iptables-nft, which makes the same kernel objects, run
//            inside the namespace by `ip netns exec`), back to back and with
//            a pause between faults;
//   nft:     an nf_tables drop rule (a port-scoped partition), added and
//            removed in a table that lives for the run (nft); then the same
//            with the table made and deleted each time.
// bench/netem_fault_bench.sh runs the rate and delay cases under Debian's
// stock kernel (which has sch_netem) in qemu.
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <thread>
#include <string>
#include <vector>

#include "injector/links.hpp"
#include "injector/netlink_socket.hpp"
#include "injector/network_namespace.hpp"
#include "injector/nfqueue/queue_rules.hpp"
#include "injector/routes.hpp"
#include "injector/traffic_control.hpp"

using namespace faultline::injector;
using Clock = std::chrono::steady_clock;
extern char** environ;

namespace {

// Runs a program (no shell) and waits; throws on a non-zero exit.
void run(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0)
    throw std::runtime_error("cannot run " + argv[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string line;
    for (const auto& a : argv) line += a + " ";
    throw std::runtime_error("failed: " + line);
  }
}

struct Figures {
  double apply_us, revert_us;  // medians of each step
  double median_us, p99_us;    // of apply plus revert
};

double percentile(std::vector<double> v, int p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, v.size() * static_cast<std::size_t>(p) / 100)];
}

// `settle`: a pause after each revert, not timed, for the kernel's deferred
// work to finish (as it has between two faults of a run).
Figures measure(int iterations, const std::function<void()>& apply,
                const std::function<void()>& revert,
                std::chrono::milliseconds settle = std::chrono::milliseconds(0)) {
  std::vector<double> applies, reverts, totals;
  apply();  // warm up (module loads, caches)
  revert();
  for (int i = 0; i < iterations; ++i) {
    const auto t0 = Clock::now();
    apply();
    const auto t1 = Clock::now();
    revert();
    const auto t2 = Clock::now();
    applies.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    reverts.push_back(std::chrono::duration<double, std::micro>(t2 - t1).count());
    totals.push_back(std::chrono::duration<double, std::micro>(t2 - t0).count());
    if (settle.count() > 0) std::this_thread::sleep_for(settle);
  }
  return {percentile(applies, 50), percentile(reverts, 50), percentile(totals, 50),
          percentile(totals, 99)};
}

void report(const char* name, int iterations, const Figures& injector, const Figures& binary,
            const char* binary_name) {
  std::printf(
      "%-15s %5d  injector %8.1f us (p99 %8.1f; apply %7.1f, revert %7.1f)   %-12s %8.1f us "
      "(p99 %8.1f; apply %7.1f, revert %7.1f)   %6.1fx\n",
      name, iterations, injector.median_us, injector.p99_us, injector.apply_us, injector.revert_us,
      binary_name, binary.median_us, binary.p99_us, binary.apply_us, binary.revert_us,
      binary.median_us / injector.median_us);
}

// The tc(8) commands of describe_shaping(), run in namespace `ns`.
std::vector<std::vector<std::string>> tc_commands(const std::string& ns,
                                                  const std::vector<std::string>& lines) {
  std::vector<std::vector<std::string>> commands;
  for (const auto& line : lines) {
    std::vector<std::string> argv;
    std::size_t start = 0;
    while (start < line.size()) {
      const auto space = line.find(' ', start);
      const auto end = space == std::string::npos ? line.size() : space;
      argv.push_back(line.substr(start, end - start));
      start = end + 1;
    }
    argv.insert(argv.begin() + 1, {"-n", ns});
    commands.push_back(argv);
  }
  return commands;
}

bool kernel_has_netem(ShapedInterface& shaped, const ShapingSpec& spec) {
  try {
    shaped.shape(spec, 0).revert();
    return true;
  } catch (const std::exception& e) {
    if (std::string(e.what()).find("netem") == std::string::npos) throw;
    return false;
  }
}

}  // namespace

int main(int argc, char** argv) try {
  const int iterations = std::max(10, argc > 1 ? std::atoi(argv[1]) : 1000);
  std::vector<std::string> cases(argv + std::min(argc, 2), argv + argc);
  auto wants = [&](const char* c) {
    return cases.empty() || std::find(cases.begin(), cases.end(), c) != cases.end();
  };
  const std::string name = "flbench-" + std::to_string(::getpid());
  auto ns = NetworkNamespace::create(name);
  auto sock = std::make_shared<NetlinkSocket>(NetlinkSocket::open_in(ns.fd()));
  create_veth(*sock, "a0", "b0", ns.fd());
  set_link_up(*sock, "a0");
  set_link_up(*sock, "b0");
  add_address(*sock, "a0", "198.18.1.1/24");
  std::printf("apply + revert of one fault, %d times each, in namespace %s\n", iterations,
              name.c_str());

  // Partition: a blackhole route.
  if (wants("route")) {
    const Route route{"198.18.2.0/24", std::nullopt, RouteType::blackhole, 100};
    auto route_injector = measure(
        iterations, [&] { add_route(*sock, route); }, [&] { delete_route(*sock, route); });
    auto route_binary = measure(
        iterations,
        [&] { run({"ip", "-n", name, "route", "add", "blackhole", "198.18.2.0/24", "metric", "100", "proto", "241"}); },
        [&] { run({"ip", "-n", name, "route", "del", "blackhole", "198.18.2.0/24", "metric", "100", "proto", "241"}); });
    report("partition route", iterations, route_injector, route_binary, "ip route x2");
  }

  // A rate, then a delay, scoped to a destination: htb root, root class,
  // the fault's class (with a netem leaf for the delay), u32 filter; removed.
  PacketMatch m;
  m.family = AF_INET;
  m.dst = "198.18.2.0/24";
  auto shaped = ShapedInterface::open(sock, name, "a0");
  auto shaping_case = [&](const char* label, const char* binary_label, const ShapingSpec& spec) {
    std::optional<ShapingGuard> guard;
    auto injector = measure(
        iterations, [&] { guard.emplace(shaped->shape(spec, 0)); },
        [&] {
          guard->revert();
          guard.reset();
        });
    auto commands = tc_commands(name, describe_shaping("a0", 0x10, 32, spec));
    auto binary = measure(
        iterations,
        [&] {
          run({"tc", "-n", name, "qdisc", "add", "dev", "a0", "root", "handle", "fa00:", "htb", "default", "1"});
          run({"tc", "-n", name, "class", "add", "dev", "a0", "parent", "fa00:", "classid", "fa00:1", "htb", "rate", "100gbit"});
          for (const auto& c : commands) run(c);
        },
        [&] { run({"tc", "-n", name, "qdisc", "del", "dev", "a0", "root"}); });
    report(label, iterations, injector, binary, binary_label);
  };
  if (wants("rate")) {
    ShapingSpec spec;
    spec.rate_bits_per_second = 10'000'000;
    spec.matches = {m};
    shaping_case("scoped rate", "tc x5", spec);
  }
  if (wants("delay")) {
    ShapingSpec spec;
    spec.netem.delay_us = 20'000;
    spec.matches = {m};
    if (kernel_has_netem(*shaped, spec))
      shaping_case("scoped delay", "tc x6", spec);
    else
      std::printf("scoped delay: skipped, this kernel has no sch_netem (bench/netem_fault_bench.sh "
                  "runs it under a stock kernel)\n");
  }

  // A delay fault's queue rule, in a table that lives for the run.
  if (wants("nfqueue")) {
    QueueRuleTable table(ns.fd(), name);
    table.set(0, {});  // the tables and chains, once
    auto queue_injector = measure(
        iterations, [&] { table.set(1, {{"a0", m, 16, 0, false}}); }, [&] { table.remove(1); });
    const std::vector<std::string> rule{"-o", "a0", "-d", "198.18.2.0/24", "-j", "NFQUEUE",
                                        "--queue-num", "16", "--queue-bypass"};
    std::vector<std::string> add{"ip", "netns", "exec", name, "iptables", "-t", "mangle", "-A", "POSTROUTING"};
    std::vector<std::string> del{"ip", "netns", "exec", name, "iptables", "-t", "mangle", "-D", "POSTROUTING"};
    add.insert(add.end(), rule.begin(), rule.end());
    del.insert(del.end(), rule.begin(), rule.end());
    auto queue_binary = measure(iterations, [&] { run(add); }, [&] { run(del); });
    report("nfqueue rule", iterations, queue_injector, queue_binary, "iptables x2");
    // Back to back, each apply above waits in the kernel for the previous
    // revert's rule to be freed (nft_compat waits for pending destructors
    // before it checks a new xtables target: an RCU grace period). Between
    // the faults of a run the kernel has long finished that.
    const auto settle = std::chrono::milliseconds(50);
    auto settled_injector = measure(
        iterations / 10, [&] { table.set(1, {{"a0", m, 16, 0, false}}); },
        [&] { table.remove(1); }, settle);
    auto settled_binary = measure(iterations / 10, [&] { run(add); }, [&] { run(del); }, settle);
    report("nfqueue, 50ms", iterations / 10, settled_injector, settled_binary, "iptables x2");
  }

  if (!wants("nft")) return 0;
  // A drop rule (a port-scoped partition's kind) in a table that lives for
  // the run, as a run's tables do: apply adds the rule, revert takes it out.
  {
    QueueRuleTable table(ns.fd(), name);
    table.set(0, {});  // the tables and chains, once
    auto nft_injector = measure(
        iterations, [&] { table.set(1, {{"a0", m, 0, 0, true}}); }, [&] { table.remove(1); });
    run({"ip", "netns", "exec", name, "nft",
         "add table ip fb; add chain ip fb egress { type filter hook postrouting priority 0; }"});
    auto nft_binary = measure(
        iterations,
        [&] { run({"ip", "netns", "exec", name, "nft", "add rule ip fb egress oifname a0 ip daddr 198.18.2.0/24 drop"}); },
        [&] { run({"ip", "netns", "exec", name, "nft", "flush chain ip fb egress"}); });
    report("nft rule", iterations, nft_injector, nft_binary, "nft x2");
  }
  // The same with the table made and deleted each time (a run's first and
  // last fault in a namespace): table deletion waits on the kernel.
  std::optional<QueueRuleTable> fresh;
  auto table_injector = measure(
      iterations / 10,
      [&] {
        fresh.emplace(ns.fd(), name);
        fresh->set(1, {{"a0", m, 0, 0, true}});
      },
      [&] { fresh.reset(); });
  auto table_binary = measure(
      iterations / 10,
      [&] {
        run({"ip", "netns", "exec", name, "nft",
             "add table ip fc; add chain ip fc egress { type filter hook postrouting priority 0; }; "
             "add rule ip fc egress oifname a0 ip daddr 198.18.2.0/24 drop"});
      },
      [&] { run({"ip", "netns", "exec", name, "nft", "delete table ip fc"}); });
  report("nft table+rule", iterations / 10, table_injector, table_binary, "nft x2");
  return 0;
} catch (const std::exception& e) {  // the namespace's owner has deleted it by now
  std::fprintf(stderr, "fault_bench: %s\n", e.what());
  return 1;
}
