// checker_bench: generates histories of a multi-region customers workload
// (sign-ups, reads and writes with failures and timeouts, fault windows,
// final reads, database probes) and times every checker on them, one core.
//
//   checker_bench [--ops N] [--regions R] [--seed S]
//
// Prints, per checker, the time, operations per second, and the peak
// resident memory of the process so far (the history itself included).
//
//   checker_bench --list-append N [--keys K] [--mops M] [--sessions S]
//                 [--max-appends A] [--stale F] [--out history.jsonl] [--reuse 1] [--as-run 1]
//
// The transactional checkers instead: writes a list-append history of N
// transactions of M micro-operations (half appends, half reads) over K keys
// in use at a time, each retired after A appends, as Elle's generator does
// (lists stay short, so a read stays cheap to record), from S sessions;
// --stale F makes that fraction of reads miss the list's last append (a
// database serving stale snapshots: anomalies to find and explain);
// then reads it back as a run does and times each model on it, in CPU
// seconds of the one thread. --reuse 1 judges the file --out names if it
// exists instead of writing it again; --as-run 1 judges it as a run does
// (the compact history, then each invariant kind through the registry).
#include <sys/resource.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <unordered_map>
#include <string>
#include <vector>

#include "controllers/checkers/availability.hpp"
#include "controllers/checkers/invariant_registry.hpp"
#include "controllers/checkers/list_append.hpp"
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

struct ListAppendShape {
  std::size_t txns = 1000000;
  int keys = 1000, mops = 4, sessions = 10, max_appends = 32;
  double stale = 0;  // the fraction of reads that miss the list's last append
  std::uint64_t seed = 1;
};

// A serializable (indeed strict-serializable) history by simulation: each
// session has one transaction in flight; at each step one session, picked
// at random, invokes a new transaction, commits its in-flight one against
// the state (reads see every earlier commit, appends land in commit order),
// or completes it. Commits lie between invocation and completion, so the
// commit order is a serial order that keeps real time; the windows between
// the three steps are where sessions overlap. 1% of transactions fail
// (their appends never land) and 1% end info (half of them landed).
std::size_t write_list_append_history(const ListAppendShape& shape, const std::string& path) {
  std::mt19937_64 rng(shape.seed);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    std::fprintf(stderr, "checker_bench: cannot write %s\n", path.c_str());
    std::exit(1);
  }
  struct Slot {
    std::string name;
    std::vector<std::int64_t> list;
  };
  std::vector<Slot> slots(static_cast<std::size_t>(shape.keys));
  std::int64_t next_key = 0;
  for (auto& slot : slots) slot.name = "k" + std::to_string(next_key++);
  std::map<std::string, std::vector<std::int64_t>> retired_in_flight;  // retired keys a txn still names
  enum class Stage { idle, invoked, committed };
  struct Session {
    Stage stage = Stage::idle;
    std::int64_t process = 0, appends = 0;
    Operation op;
    OpType outcome = OpType::ok;
  };
  std::vector<Session> sessions(static_cast<std::size_t>(shape.sessions));
  for (int s = 0; s < shape.sessions; ++s) sessions[static_cast<std::size_t>(s)].process = s;
  std::size_t invoked = 0, completed = 0, index = 0;
  std::int64_t time = 0;
  std::string line;
  auto record = [&](Operation op) {
    op.index = index++;
    op.time = time;
    line.clear();
    append_json_line(line, op);
    line += '\n';
    out.write(line.data(), static_cast<std::streamsize>(line.size()));
  };
  // Slots by name: the simulation looks keys up often.
  std::unordered_map<std::string, std::size_t> slot_of;
  for (std::size_t i = 0; i < slots.size(); ++i) slot_of[slots[i].name] = i;
  auto lookup = [&](const std::string& key) -> std::vector<std::int64_t>& {
    auto it = slot_of.find(key);
    if (it != slot_of.end()) return slots[it->second].list;
    return retired_in_flight[key];
  };
  while (completed < shape.txns) {
    Session& s = sessions[rng() % sessions.size()];
    time += 1000 + static_cast<std::int64_t>(rng() % 1000);
    if (s.stage == Stage::idle) {
      if (invoked == shape.txns) continue;
      ++invoked;
      nlohmann::json mops = nlohmann::json::array();
      for (int m = 0; m < shape.mops; ++m) {
        const std::string& key = slots[rng() % slots.size()].name;
        if (rng() % 2 == 0)
          mops.push_back({kReadMop, key, nullptr});
        else
          mops.push_back({kAppendMop, key, unique_write_value(s.process, s.appends++)});
      }
      const auto roll = rng() % 100;
      s.outcome = roll == 0 ? OpType::fail : roll == 1 ? OpType::info : OpType::ok;
      s.op = Operation{.type = OpType::invoke, .process = s.process, .f = kTxnF, .value = std::move(mops),
                       .region = "r0", .session = static_cast<std::int64_t>(&s - sessions.data())};
      record(s.op);
      s.stage = Stage::invoked;
    } else if (s.stage == Stage::invoked) {
      const bool lands = s.outcome == OpType::ok || (s.outcome == OpType::info && rng() % 2 == 0);
      if (lands) {
        for (auto& m : s.op.value) {
          auto& list = lookup(m[1].get_ref<const std::string&>());
          if (m[0] == kReadMop) {
            m[2] = list;
            // A database that serves stale snapshots: anomalies to find.
            if (!list.empty() && shape.stale > 0 && static_cast<double>(rng() % 1000000) < shape.stale * 1e6)
              m[2].erase(m[2].size() - 1);
          }
          else
            list.push_back(m[2].get<std::int64_t>());
        }
        // A key full of appends is retired and a fresh one takes its slot.
        for (const auto& m : s.op.value) {
          auto it = slot_of.find(m[1].get_ref<const std::string&>());
          if (it == slot_of.end()) continue;
          Slot& slot = slots[it->second];
          if (static_cast<int>(slot.list.size()) < shape.max_appends) continue;
          const std::size_t at = it->second;
          slot_of.erase(it);
          retired_in_flight[slot.name] = std::move(slot.list);
          slot = Slot{.name = "k" + std::to_string(next_key++)};
          slot_of[slot.name] = at;
        }
      }
      if (s.outcome != OpType::ok)
        for (auto& m : s.op.value)
          if (m[0] == kReadMop) m[2] = nullptr;
      s.stage = Stage::committed;
    } else {
      s.op.type = s.outcome;
      record(s.op);
      ++completed;
      // Jepsen's rule: after an info the session goes on as a new process.
      if (s.outcome == OpType::info) s.process += static_cast<std::int64_t>(sessions.size());
      s.stage = Stage::idle;
      // Retired keys no transaction in flight names are forgotten.
      if (completed % 4096 == 0) {
        std::set<std::string> named;
        for (const auto& other : sessions)
          if (other.stage == Stage::invoked)
            for (const auto& m : other.op.value) named.insert(m[1].get<std::string>());
        std::erase_if(retired_in_flight, [&](const auto& kv) { return !named.contains(kv.first); });
      }
    }
  }
  return index;
}

// CPU time of this thread: on a machine shared with builds, wall time
// measures the neighbours too.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

int list_append_bench(const ListAppendShape& shape, const std::string& path, bool as_run, bool reuse) {
  // Timings are CPU seconds of the one thread (see cpu_seconds).
  using Clock = double;
  auto now = [] { return cpu_seconds(); };
  auto seconds_since = [&](Clock t) { return now() - t; };
  auto t0 = now();
  std::ifstream existing(path);
  const std::size_t lines = reuse && existing ? 0 : write_list_append_history(shape, path);
  std::ifstream size_of(path, std::ios::binary | std::ios::ate);
  std::printf("history: %zu transactions (%zu operations) of %d micro-operations over %d keys at a "
              "time (retired after %d appends), %d sessions; %s, %.0f MiB, written in %.1f s\n",
              shape.txns, lines, shape.mops, shape.keys, shape.max_appends, shape.sessions, path.c_str(),
              static_cast<double>(size_of.tellg()) / (1 << 20), seconds_since(t0));
  std::printf("peak RSS after writing: %ld MiB\n", peak_rss_mib());
  const double n = static_cast<double>(shape.txns);
  if (as_run) {
    // As a run judges it: the compact history every invariant reads (txn
    // values left in the file), then each kind through the registry; the
    // first reads the transaction table from the file, the others share it.
    t0 = now();
    const CompactHistory history = CompactHistory::read(path);
    const double read_s = seconds_since(t0);
    std::printf("%-22s %9.3f %14.0f %8ld MiB\n", "compact history", read_s, n / read_s, peak_rss_mib());
    int status = 0;
    for (const char* kind : {"serializable", "snapshot-isolation", "strict-serializable"}) {
      t0 = now();
      const InvariantSpec spec{.kind = kind};
      const CheckResult r = find_invariant_kind(kind)->check(spec, Experiment{}, history);
      const double s = seconds_since(t0);
      std::printf("%-22s %9.3f %14.0f %8ld MiB  %s: %s\n", kind, s, n / s, peak_rss_mib(),
                  validity_name(r.validity), r.summary.c_str());
      if (r.validity != Validity::holds) status = 1;
    }
    return status;
  }
  t0 = now();
  const TxnTable table = TxnTable::read(path);
  const double read_s = seconds_since(t0);
  std::printf("%-22s %9s %14s %12s  %s\n", "step", "seconds", "txns/s", "peak RSS", "result");
  std::printf("%-22s %9.3f %14.0f %8ld MiB  %zu txns, %zu keys\n", "read history.jsonl", read_s,
              n / read_s, peak_rss_mib(), table.txns().size(), table.key_count());
  int status = 0;
  for (IsolationModel model : {IsolationModel::serializable, IsolationModel::snapshot_isolation,
                               IsolationModel::strict_serializable}) {
    t0 = now();
    const CheckResult r = check_list_append(table, model, std::chrono::minutes(10), nullptr);
    const double s = seconds_since(t0);
    std::printf("%-22s %9.3f %14.0f %8ld MiB  %s: %s\n", isolation_model_name(model), s, n / s,
                peak_rss_mib(), validity_name(r.validity), r.summary.c_str());
    std::printf("%-22s %9.3f %14.0f %12s  (read and check)\n", "", read_s + s, n / (read_s + s), "");
    if (r.validity != Validity::holds) status = 1;
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  bool reuse = false;
  std::size_t ops = 1000000;
  int regions = 3;
  std::uint64_t seed = 1;
  ListAppendShape list_append;
  bool list_append_mode = false, as_run = false;
  std::string out = "/tmp/checker_bench_list_append.jsonl";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--ops")) ops = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--regions")) regions = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--seed")) seed = list_append.seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--list-append")) {
      list_append_mode = true;
      list_append.txns = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (!std::strcmp(argv[i], "--keys")) list_append.keys = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--mops")) list_append.mops = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--sessions")) list_append.sessions = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--max-appends")) list_append.max_appends = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--out")) out = argv[i + 1];
    else if (!std::strcmp(argv[i], "--stale")) list_append.stale = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--as-run")) as_run = std::atoi(argv[i + 1]) != 0;
    else if (!std::strcmp(argv[i], "--reuse")) reuse = std::atoi(argv[i + 1]) != 0;
  }
  if (list_append_mode) return list_append_bench(list_append, out, as_run, reuse);
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
