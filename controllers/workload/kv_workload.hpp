#pragma once
// The kv workload: each session reads and writes a small key space (global
// keys, or the keys of the customers its session drives), a fixed fraction
// of reads, every written value unique in the run. With customers data it is
// the reference store's (kv-http: session tokens, sign-up first).
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "controllers/experiment/experiment.hpp"
#include "controllers/workload/generator.hpp"

namespace faultline {

// Random reads and writes, from a generator seeded by the experiment's seed
// and the session number alone.
class KvGenerator final : public Generator {
 public:
  // `customers` empty: global keys; otherwise each operation picks one of
  // these customers and one of its keys.
  KvGenerator(std::uint64_t seed, std::int64_t session, std::vector<std::string> keys,
              std::vector<std::string> customers, double read_fraction);
  std::optional<Operation> next(const SessionState& session) override;

 private:
  std::vector<std::string> keys_;
  std::vector<std::string> customers_;
  std::mt19937_64 rng_;
  std::uniform_int_distribution<std::size_t> pick_key_;
  std::uniform_int_distribution<std::size_t> pick_customer_;
  std::bernoulli_distribution is_read_;
  std::int64_t writes_ = 0;  // this session's, across its processes
};

// The sessions of the experiment's workload over `regions` (in the run's
// order, which numbers the sessions): clients_per_region slots in each
// region; with customers data, a region's customers shared round-robin by its
// slots, and a slot without a customer left idle.
WorkloadPlan plan_kv_workload(const Experiment& e, const std::vector<std::string>& regions);

}  // namespace faultline
