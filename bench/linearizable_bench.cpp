// linearizable_bench: times the linearizability checker on generated register
// histories, one core, and prints each check's time, operations per second
// and the process's peak resident memory.
//
//   linearizable_bench [--ops N] [--keys K] [--processes P] [--info PERCENT]
//                      [--budget SECONDS] [--seed S] [--write-history PATH]
//   linearizable_bench --read-history PATH [--budget SECONDS]
//
// The histories are linearizable by construction: a simulated register with
// P processes per key, each invoking reads, writes and compare-and-sets at
// random; an operation takes effect at its completion (so inside its
// interval), and an info completion took effect or not, at random. The
// defaults are the first goal (1M operations, 1,000 keys, 10
// processes per key, 1% info); `--keys 1 --processes 5 --info 10 --ops
// 100000` is its second. `--read-history` checks a stored JSONL history
// instead (streamed as `faultline check` reads one), so another checker can be
// timed on the very same file (bench/porcupine_compare.sh).
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "controllers/checkers/linearizable.hpp"
#include "controllers/history/compact_history.hpp"
#include "controllers/history/operation_kinds.hpp"

using namespace faultline;

namespace {

long peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

struct Options {
  std::size_t ops = 1000000;
  int keys = 1000;
  int processes = 10;
  double info_percent = 1;
  double budget_s = 60;
  std::uint64_t seed = 1;
  std::string write_history;
  std::string read_history;
};

CompactHistory generate(const Options& o) {
  CompactHistory h;
  std::ofstream out;
  if (!o.write_history.empty()) out.open(o.write_history);
  std::mt19937_64 rng(o.seed);
  std::uniform_int_distribution<int> pick_key(0, o.keys - 1);
  std::uniform_int_distribution<int> pick_process(0, o.processes - 1);
  std::uniform_real_distribution<double> unit(0, 1);
  struct Process {
    bool busy = false;
    Operation invoked;
    std::int64_t id = 0;
  };
  std::vector<std::vector<Process>> procs(static_cast<std::size_t>(o.keys),
                                          std::vector<Process>(static_cast<std::size_t>(o.processes)));
  std::vector<std::int64_t> state(static_cast<std::size_t>(o.keys), kNoValue);
  std::vector<std::int64_t> process_number(static_cast<std::size_t>(o.keys) * o.processes);
  for (std::size_t i = 0; i < process_number.size(); ++i) process_number[i] = static_cast<std::int64_t>(i);
  std::int64_t next_value = 1, next_process = static_cast<std::int64_t>(process_number.size());
  std::size_t count = 0, completed = 0;
  auto push = [&](Operation op) {
    op.index = count;
    op.time = static_cast<std::int64_t>(count) * 1000;
    ++count;
    if (out) out << to_json(op).dump() << "\n";
    h.append(op);
  };
  auto value_of = [](std::int64_t v) { return v == kNoValue ? nlohmann::json() : nlohmann::json(v); };
  while (completed < o.ops) {
    const int k = pick_key(rng);
    const int p = pick_process(rng);
    Process& pr = procs[static_cast<std::size_t>(k)][static_cast<std::size_t>(p)];
    std::int64_t& number = process_number[static_cast<std::size_t>(k) * o.processes + p];
    const std::string key = "k" + std::to_string(k);
    std::int64_t& s = state[static_cast<std::size_t>(k)];
    if (!pr.busy) {
      Operation op;
      op.type = OpType::invoke;
      op.process = number;
      op.session = number;
      const double what = unit(rng);
      if (what < 0.5) {
        op.f = kReadF;
        op.value = nlohmann::json::array({key, nullptr});
      } else if (what < 0.8) {
        op.f = kWriteF;
        op.value = nlohmann::json::array({key, next_value++});
      } else {
        op.f = kCasF;
        // Expect the current value most of the time, so many succeed.
        const std::int64_t expected = unit(rng) < 0.7 ? s : next_value - 1;
        op.value = nlohmann::json::array({key, nlohmann::json::array({value_of(expected), next_value++})});
      }
      pr.invoked = op;
      pr.busy = true;
      push(std::move(op));
      continue;
    }
    Operation done = pr.invoked;
    pr.busy = false;
    const bool info = unit(rng) * 100 < o.info_percent;
    // The effect happens now, at the completion, or (info) perhaps never.
    const bool happens = !info || unit(rng) < 0.5;
    if (done.f == kReadF) {
      done.value[1] = value_of(s);
      done.type = info ? OpType::info : OpType::ok;
      if (info) done.value[1] = nullptr;
    } else if (done.f == kWriteF) {
      if (happens) s = done.value[1].get<std::int64_t>();
      done.type = info ? OpType::info : OpType::ok;
    } else {
      const auto& ev = done.value[1];
      const std::int64_t expected = ev[0].is_null() ? kNoValue : ev[0].get<std::int64_t>();
      const bool matches = expected == s;
      if (happens && matches) s = ev[1].get<std::int64_t>();
      done.type = info ? OpType::info : matches ? OpType::ok : OpType::fail;
    }
    push(std::move(done));
    ++completed;
    if (info) number = next_process++;  // Jepsen's rule: a new process after an info
  }
  h.finish();
  return h;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const char* a = argv[i];
    const char* v = argv[i + 1];
    if (!std::strcmp(a, "--ops")) o.ops = std::strtoull(v, nullptr, 10);
    else if (!std::strcmp(a, "--keys")) o.keys = std::atoi(v);
    else if (!std::strcmp(a, "--processes")) o.processes = std::atoi(v);
    else if (!std::strcmp(a, "--info")) o.info_percent = std::atof(v);
    else if (!std::strcmp(a, "--budget")) o.budget_s = std::atof(v);
    else if (!std::strcmp(a, "--seed")) o.seed = std::strtoull(v, nullptr, 10);
    else if (!std::strcmp(a, "--write-history")) o.write_history = v;
    else if (!std::strcmp(a, "--read-history")) o.read_history = v;
    else {
      std::fprintf(stderr, "linearizable_bench: unknown option %s\n", a);
      return 2;
    }
  }
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  CompactHistory h;
  if (o.read_history.empty()) {
    h = generate(o);
    std::printf("history: %zu operations (%zu entries), %d keys, %d processes per key, %.1f%% info; generated in "
                "%.1f s, peak RSS %ld MiB\n",
                o.ops, h.size(), o.keys, o.processes, o.info_percent,
                std::chrono::duration<double>(Clock::now() - t0).count(), peak_rss_mib());
  } else {
    h = CompactHistory::read(o.read_history);
    o.ops = h.size() / 2;  // for operations/s: each operation is an invocation and a completion
    std::printf("history: %s, %zu entries; read in %.1f s, peak RSS %ld MiB\n", o.read_history.c_str(), h.size(),
                std::chrono::duration<double>(Clock::now() - t0).count(), peak_rss_mib());
  }
  const auto start = Clock::now();
  const CheckResult r = check_linearizable(
      h, {.time = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.budget_s))});
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("linearizable: %s in %.3f s (budget %.0f s), %.0f operations/s, %s steps, peak "
              "search cache %.1f MiB, peak RSS %ld MiB\n  %s\n",
              validity_name(r.validity), s, o.budget_s, static_cast<double>(o.ops) / s,
              r.details["search_steps"].dump().c_str(),
              r.details["peak_cache_bytes"].get<double>() / (1 << 20), peak_rss_mib(), r.summary.c_str());
  if (r.details.contains("witness")) {
    const auto& shrink = r.details["witness"]["shrink"];
    std::printf(
        "witness shrink: %s -> %s operations, %s windows searched, %.2f ms, %s\n",
        shrink["from"].dump().c_str(), shrink["to"].dump().c_str(), shrink["checks"].dump().c_str(),
        shrink["ms"].get<double>(),
        shrink["one_minimal"] == true ? "1-minimal" : shrink.value("cut", "not shrunk").c_str());
  }
  return r.validity == Validity::holds ? 0 : 1;
}
