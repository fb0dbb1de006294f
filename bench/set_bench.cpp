// set_bench: times the set checker (Jepsen's set-full) on a generated history,
// one core: N adds of unique elements spread over K sets, and a read of one
// set, holding every element added to it so far, after every N/R adds.
//
//   set_bench [--adds N] [--reads R] [--keys K]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "controllers/checkers/set_full.hpp"
#include "controllers/history/compact_history.hpp"
#include "controllers/history/operation_kinds.hpp"

using namespace faultline;

int main(int argc, char** argv) {
  std::size_t adds = 1000000, reads = 10000;
  int keys = 1000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--adds")) adds = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--reads")) reads = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--keys")) keys = std::atoi(argv[i + 1]);
  }
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  CompactHistory h;
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<int> pick(0, keys - 1);
  std::vector<nlohmann::json> contents(static_cast<std::size_t>(keys), nlohmann::json::array());
  std::size_t index = 0;
  auto push = [&](OpType type, std::int64_t process, const char* f, nlohmann::json value) {
    Operation op;
    op.index = index;
    op.time = static_cast<std::int64_t>(index++) * 1000;
    op.type = type;
    op.process = process;
    op.f = f;
    op.value = std::move(value);
    h.append(op);
  };
  const std::size_t every = std::max<std::size_t>(1, adds / std::max<std::size_t>(1, reads));
  for (std::size_t i = 0; i < adds; ++i) {
    const int k = pick(rng);
    const std::string key = "k" + std::to_string(k);
    const auto element = static_cast<std::int64_t>(i);
    push(OpType::invoke, 0, kAddF, nlohmann::json::array({key, element}));
    push(OpType::ok, 0, kAddF, nlohmann::json::array({key, element}));
    contents[static_cast<std::size_t>(k)].push_back(element);
    if ((i + 1) % every == 0) {
      const int rk = pick(rng);
      const std::string read_key = "k" + std::to_string(rk);
      push(OpType::invoke, 1, kReadF, nlohmann::json::array({read_key, nullptr}));
      push(OpType::ok, 1, kReadF, nlohmann::json::array({read_key, contents[static_cast<std::size_t>(rk)]}));
    }
  }
  h.finish();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("history: %zu adds, %zu reads over %d sets (%zu entries), built in %.1f s, peak RSS %ld MiB\n",
              adds, adds / every, keys, h.size(),
              std::chrono::duration<double>(Clock::now() - t0).count(), usage.ru_maxrss / 1024);
  const auto start = Clock::now();
  const CheckResult r = check_set(h);
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  getrusage(RUSAGE_SELF, &usage);
  std::printf("set: %s in %.3f s, %.0f operations/s, peak RSS %ld MiB\n  %s\n", validity_name(r.validity), s,
              static_cast<double>(adds + adds / every) / s, usage.ru_maxrss / 1024, r.summary.c_str());
  return r.validity == Validity::holds ? 0 : 1;
}
