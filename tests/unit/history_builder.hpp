#pragma once
// Hand-written histories for checker tests: times in milliseconds, indexes in
// order of appending.
#include <string>
#include <vector>

#include "controllers/checkers/final_state.hpp"
#include "controllers/history/history.hpp"

namespace faultline::testing {

class HistoryBuilder {
 public:
  HistoryBuilder& op(std::int64_t ms, OpType type, std::int64_t process, const std::string& f,
                     nlohmann::json value, const std::string& region = "") {
    Operation o{.index = ops_.size(),
                .time = ms * 1000000,
                .type = type,
                .process = process,
                .f = f,
                .value = std::move(value),
                .region = region};
    ops_.push_back(o);
    return *this;
  }
  // An acknowledged write of key=value by `process`, from `start` to `end` ms.
  HistoryBuilder& write(std::int64_t start, std::int64_t end, std::int64_t process,
                        const std::string& key, std::int64_t value, OpType outcome = OpType::ok) {
    op(start, OpType::invoke, process, "write", nlohmann::json::array({key, value}), "r");
    return op(end, outcome, process, "write", nlohmann::json::array({key, value}), "r");
  }
  HistoryBuilder& heal(std::int64_t ms) {
    op(ms, OpType::invoke, kNemesisProcess, kHealF, nullptr);
    return op(ms, OpType::ok, kNemesisProcess, kHealF, nullptr);
  }
  // A successful final read in `region`; value may be null (key absent).
  HistoryBuilder& final_read(std::int64_t ms, const std::string& region, const std::string& key,
                             nlohmann::json value, OpType outcome = OpType::ok) {
    op(ms, OpType::invoke, 1000, kFinalReadF, nlohmann::json::array({key, nullptr}), region);
    return op(ms, outcome, 1000, kFinalReadF,
              nlohmann::json::array({key, outcome == OpType::ok ? value : nlohmann::json()}),
              region);
  }
  const std::vector<Operation>& build() const { return ops_; }

 private:
  std::vector<Operation> ops_;
};

}  // namespace faultline::testing
