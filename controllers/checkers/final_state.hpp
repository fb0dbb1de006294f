#pragma once
// The last successful final read of each (region, key): what each region held
// at the end. Shared by the checkers that judge the final state.
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "controllers/history/compact_history.hpp"
#include "controllers/history/operation_kinds.hpp"

namespace faultline {

struct FinalState {
  std::set<std::uint32_t> regions;
  std::set<std::uint32_t> keys;
  // key -> the regions asked for it (a customer's data is read only where it
  // should live)
  std::map<std::uint32_t, std::set<std::uint32_t>> asked;
  // (region, key) -> the last ok final read
  std::map<std::pair<std::uint32_t, std::uint32_t>, const CompactOp*> reads;
};

FinalState final_state(const CompactHistory& history);

}  // namespace faultline
