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
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "controllers/experiment/experiment.hpp"
#include "controllers/workload/generator.hpp"

namespace faultline {

// The keys in use, shared by every session of a run: key slot i starts as
// the experiment's i-th key ("k3") and, after `max_writes` appends to it
// (by any session), becomes a fresh one ("k3.1", "k3.2", ...), as Elle's
// generator retires keys, so no list grows past max_writes elements however
// long the run. Which name an append gets depends on how the sessions
// interleave; what each session draws (slot, read or append) is still its
// seed's.
class ListAppendKeys {
 public:
  ListAppendKeys(std::vector<std::string> keys, int max_writes);
  std::size_t size() const { return base_.size(); }
  // The slot's key now; an append counts towards retiring it.
  std::string use(std::size_t slot, bool append);

 private:
  std::mutex mutex_;
  std::vector<std::string> base_, current_;
  std::vector<int> appends_, generation_;
  int max_writes_;
};

class ListAppendGenerator final : public Generator {
 public:
  // Without `rotation`, keys are never retired.
  ListAppendGenerator(std::uint64_t seed, std::int64_t session, std::vector<std::string> keys,
                      double read_fraction, int max_txn_length,
                      std::shared_ptr<ListAppendKeys> rotation = nullptr);
  std::optional<Operation> next(const SessionState& session) override;

 private:
  std::vector<std::string> keys_;
  std::shared_ptr<ListAppendKeys> rotation_;
  std::mt19937_64 rng_;
  std::uniform_int_distribution<std::size_t> pick_key_;
  std::uniform_int_distribution<int> pick_length_;
  std::bernoulli_distribution is_read_;
  std::int64_t appends_ = 0;  // values this session made
};

WorkloadPlan plan_list_append_workload(const Experiment& e, const std::vector<std::string>& regions);

}  // namespace faultline
