#pragma once
// The last successful final read of each (region, key): what each region held
// at the end. Shared by the checkers that judge the final state.
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "controllers/history/history.hpp"

namespace faultline {

inline constexpr const char* kFinalReadF = "final-read";
inline constexpr const char* kHealF = "heal";

struct FinalState {
  std::set<std::string> regions;
  std::set<std::string> keys;
  // key -> the regions asked for it (a customer's data is read only where it
  // should live)
  std::map<std::string, std::set<std::string>> asked;
  // (region, key) -> the ok final-read operation
  std::map<std::pair<std::string, std::string>, const Operation*> reads;
};

FinalState final_state(const std::vector<Operation>& history);

}  // namespace faultline
