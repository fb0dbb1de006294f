#pragma once
// The register workload: independent keys, each a register that sessions
// read, write and compare-and-set, as in Jepsen's register tests. Every
// written value (a cas's new value too) is unique in the run
// (unique_write_value), so a read names the write it saw. Recorded in the
// shape the kv checkers read:
//   read   [key, null]  -> ok [key, v] (null: never written)
//   write  [key, v]
//   cas    [key, [expected, new]]: ok if the register held `expected` (null:
//          held nothing) and now holds `new`; fail if it held something else
// so no-lost-writes and convergence judge it (an ok cas is a write of new).
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "controllers/experiment/experiment.hpp"
#include "controllers/workload/generator.hpp"

namespace faultline {

// Reads with the experiment's `reads` fraction; the rest half writes, half
// compare-and-sets. A cas expects the value this session last wrote to the
// key (null before its first write there), so the sequence depends on the
// seed and the session alone, never on what the system answered.
class RegisterGenerator final : public Generator {
 public:
  RegisterGenerator(std::uint64_t seed, std::int64_t session, std::vector<std::string> keys,
                    double read_fraction);
  std::optional<Operation> next(const SessionState& session) override;

 private:
  std::vector<std::string> keys_;
  std::mt19937_64 rng_;
  std::uniform_int_distribution<std::size_t> pick_key_;
  std::bernoulli_distribution is_read_;
  std::bernoulli_distribution is_cas_{0.5};
  std::int64_t writes_ = 0;                          // values this session made
  std::map<std::string, std::int64_t> last_written_;  // key -> this session's last value
};

// clients_per_region sessions in each region, over the experiment's keys.
WorkloadPlan plan_register_workload(const Experiment& e, const std::vector<std::string>& regions);

}  // namespace faultline
