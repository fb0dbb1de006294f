#pragma once
// The list-append workload, Elle's: each operation is a transaction of one to
// max_txn_length micro-operations over the experiment's keys, each an append
// of a value unique in the run or a read of the whole list:
//   txn [["append", "k3", 7000001], ["r", "k1", null]]
//     ok [["append", "k3", 7000001], ["r", "k1", [5000002, 7000000]]]
// Because every value is unique and a list keeps the order of its appends, a
// read names every write it saw and their order: the write-write,
// write-read and read-write dependencies between transactions can be
// inferred from the lists, which is what transactional checkers need.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "controllers/experiment/experiment.hpp"
#include "controllers/workload/generator.hpp"

namespace faultline {

class ListAppendGenerator final : public Generator {
 public:
  ListAppendGenerator(std::uint64_t seed, std::int64_t session, std::vector<std::string> keys,
                      double read_fraction, int max_txn_length);
  std::optional<Operation> next(const SessionState& session) override;

 private:
  std::vector<std::string> keys_;
  std::mt19937_64 rng_;
  std::uniform_int_distribution<std::size_t> pick_key_;
  std::uniform_int_distribution<int> pick_length_;
  std::bernoulli_distribution is_read_;
  std::int64_t appends_ = 0;  // values this session made
};

WorkloadPlan plan_list_append_workload(const Experiment& e, const std::vector<std::string>& regions);

}  // namespace faultline
