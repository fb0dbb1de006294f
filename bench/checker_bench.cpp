// checker_bench: generates histories of a multi-region customers workload
// (sign-ups, reads and writes with failures and timeouts, fault windows,
// final reads, database probes) and times every checker on them, one core.
//
//   checker_bench [--ops N] [--regions R] [--seed S]
//
// Prints, per checker, the time, operations per second, and the peak
// resident memory of the process so far (the history itself included).
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "controllers/checkers/availability.hpp"
#include "controllers/checkers/convergence.hpp"
#include "controllers/checkers/failover_time.hpp"
#include "controllers/checkers/final_state.hpp"
#include "controllers/checkers/no_lost_writes.hpp"
#include "controllers/checkers/residency.hpp"
#include "controllers/checkers/session_guarantees.hpp"
#include "controllers/history/compact_history.hpp"

using namespace faultline;

namespace {

long peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

struct Generated {
  CompactHistory history;
  std::map<std::string, std::string> region_geo;
};

// `ops` history entries: per session, invoke then completion, interleaved
// across sessions as a real run records them.
Generated generate(std::size_t ops, int regions, std::uint64_t seed) {
  Generated g;
  std::mt19937_64 rng(seed);
  const char* geos[] = {"us", "eu", "ap"};
  std::vector<std::string> names;
  for (int r = 0; r < regions; ++r) {
    names.push_back("region-" + std::to_string(r));
    g.region_geo[names.back()] = geos[r % 3];
  }
  // Streamed into the checkers' compact form, as `faultline check` reads a
  // stored history.jsonl: the operations themselves are never all in memory.
  std::size_t count = 0;
  auto push = [&](Operation op) {
    op.index = count++;
    g.history.append(op);
  };
  const int customers_per_region = 4, keys = 8, sessions = regions * customers_per_region;
  for (int r = 0; r < regions; ++r)
    for (int c = 0; c < customers_per_region; ++c) {
      const std::string id = names[r] + "-c" + std::to_string(c);
      push({.type = OpType::ok, .process = 2000000, .f = kRegisterF,
            .value = {{"customer", id}, {"home", names[r]}}, .region = names[r]});
    }
  std::vector<std::int64_t> counter(static_cast<std::size_t>(sessions));
  std::vector<std::int64_t> process(static_cast<std::size_t>(sessions));
  for (int s = 0; s < sessions; ++s) process[static_cast<std::size_t>(s)] = s;
  const std::size_t pairs = ops / 2;
  const std::size_t fault_start = pairs / 3, fault_stop = pairs / 2;
  std::int64_t time = 0;
  for (std::size_t i = 0; i < pairs; ++i) {
    if (i == fault_start || i == fault_stop)
      push({.time = time, .type = OpType::ok, .process = kNemesisProcess,
            .f = i == fault_start ? "start-partition" : "stop-partition",
            .value = {{"fault", 0}, {"what", "partition"}}});
    const int s = static_cast<int>(rng() % static_cast<std::uint64_t>(sessions));
    const int r = s / customers_per_region;
    const std::string customer = names[static_cast<std::size_t>(r)] + "-c" +
                                 std::to_string(s % customers_per_region);
    const std::string key = customer + "/k" + std::to_string(rng() % keys);
    const bool write = rng() % 2 == 0;
    const auto p = process[static_cast<std::size_t>(s)];
    time += 1000 + static_cast<std::int64_t>(rng() % 1000);
    const std::int64_t value = p * 1000000 + counter[static_cast<std::size_t>(s)]++;
    Operation invoke{.time = time, .type = OpType::invoke, .process = p,
                     .f = write ? "write" : "read",
                     .value = nlohmann::json::array({key, write ? nlohmann::json(value) : nlohmann::json()}),
                     .region = names[static_cast<std::size_t>(r)], .session = s};
    push(invoke);
    Operation done = invoke;
    done.time = time + 500;
    const bool in_fault = i >= fault_start && i < fault_stop;
    const auto roll = rng() % 100;
    done.type = in_fault && roll < 20 ? OpType::fail : roll < 1 ? OpType::info : OpType::ok;
    done.served_by = done.region;
    if (!write && done.type == OpType::ok) done.value[1] = value - 1;  // a plausible earlier value
    if (done.type == OpType::info) process[static_cast<std::size_t>(s)] += sessions;
    push(done);
  }
  push({.time = time + 1000, .type = OpType::ok, .process = kNemesisProcess, .f = kHealF});
  for (int r = 0; r < regions; ++r)
    for (int c = 0; c < customers_per_region; ++c)
      for (int k = 0; k < keys; ++k) {
        Operation fr{.time = time + 2000, .type = OpType::ok, .process = 1000000 + r, .f = kFinalReadF,
                     .value = nlohmann::json::array({names[static_cast<std::size_t>(r)] + "-c" +
                                                         std::to_string(c) + "/k" + std::to_string(k),
                                                     nullptr}),
                     .region = names[static_cast<std::size_t>(r)]};
        push(fr);
      }
  for (int r = 0; r < regions; ++r)
    push({.time = time + 3000, .type = OpType::ok, .process = 3000000, .f = kProbeF,
          .value = {{"customers", nlohmann::json::array()}},
          .region = names[static_cast<std::size_t>(r)]});
  g.history.finish();
  return g;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t ops = 1000000;
  int regions = 3;
  std::uint64_t seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--ops")) ops = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--regions")) regions = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--seed")) seed = std::strtoull(argv[i + 1], nullptr, 10);
  }
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  Generated g = generate(ops, regions, seed);
  std::printf("history: %zu operations, %d regions, generated in %.1f s, peak RSS %ld MiB\n",
              g.history.size(), regions, std::chrono::duration<double>(Clock::now() - t0).count(),
              peak_rss_mib());
  const std::vector<std::pair<const char*, std::function<CheckResult()>>> checkers{
      {"convergence", [&] { return check_convergence(g.history, std::chrono::seconds(10)); }},
      {"no-lost-writes", [&] { return check_no_lost_writes(g.history); }},
      {"read-your-writes", [&] { return check_read_your_writes(g.history); }},
      {"monotonic-reads", [&] { return check_monotonic_reads(g.history); }},
      {"residency", [&] { return check_residency(g.history, g.region_geo); }},
      {"failover-time", [&] { return check_failover_time(g.history, std::chrono::seconds(10)); }},
      {"availability", [&] { return check_availability(g.history, 0.5); }},
  };
  std::printf("%-18s %10s %14s %12s  %s\n", "checker", "seconds", "ops/s", "peak RSS", "result");
  for (const auto& [name, run] : checkers) {
    const auto start = Clock::now();
    CheckResult r = run();
    const double s = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("%-18s %10.3f %14.0f %9ld MiB  %s\n", name, s, g.history.size() / s, peak_rss_mib(),
                validity_name(r.validity));
  }
}
