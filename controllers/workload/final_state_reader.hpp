#pragma once
// After the heal: what each region finally holds. Every region is read
// directly ("final-read" operations, recorded) for each key it should hold,
// in rounds, until the regions agree (every key reads the same wherever it
// lives, and every read was answered) or a deadline passes. The convergence
// checker judges the last round; how long agreement took is reported.
#include <functional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "controllers/history/history.hpp"
#include "controllers/workload/client.hpp"
#include "injector/network_namespace.hpp"

namespace faultline {

struct RegionKeys {
  std::string region;
  const injector::NamespaceFd* client_netns = nullptr;  // nullptr: where the caller is
  std::vector<std::string> keys;                        // the keys it should hold
};

struct FinalReadResult {
  bool agreed = false;
  int rounds = 0;
  Clock::duration took{};  // from the first round's start to agreement (or giving up)
};

class FinalStateReader {
 public:
  FinalStateReader(ClientFactory& clients, HistoryRecorder& history, Clock& clock,
                   Clock::duration pause = std::chrono::milliseconds(250))
      : clients_(clients), history_(history), clock_(clock), pause_(pause) {}

  // The i-th region is read as process final_reader_process(i). Before each
  // round, `before_round` may throw to abandon the reads (an interrupt).
  FinalReadResult read(const std::vector<RegionKeys>& regions, Clock::time_point deadline,
                       const std::function<void()>& before_round = {});

 private:
  ClientFactory& clients_;
  HistoryRecorder& history_;
  Clock& clock_;
  Clock::duration pause_;  // between rounds
};

}  // namespace faultline
