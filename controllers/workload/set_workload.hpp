#pragma once
// The set workload: independent sets (the experiment's keys), each a set that
// sessions add unique elements to and read whole, as Jepsen's set tests do.
// Recorded as:
//   add   [key, element]     ok: the element is in the set
//   read  [key, null]        ok [key, [elements...]]
// so a set checker can say which acknowledged adds were lost, which reads
// were stale and for how long, and which elements nobody added.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "controllers/experiment/experiment.hpp"
#include "controllers/workload/generator.hpp"

namespace faultline {

class SetGenerator final : public Generator {
 public:
  SetGenerator(std::uint64_t seed, std::int64_t session, std::vector<std::string> keys,
               double read_fraction);
  std::optional<Operation> next(const SessionState& session) override;

 private:
  std::vector<std::string> keys_;
  std::mt19937_64 rng_;
  std::uniform_int_distribution<std::size_t> pick_key_;
  std::bernoulli_distribution is_read_;
  std::int64_t adds_ = 0;  // elements this session made
};

WorkloadPlan plan_set_workload(const Experiment& e, const std::vector<std::string>& regions);

}  // namespace faultline
