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
  // A read by `process` (its session) that returned `value` (null: nothing).
  HistoryBuilder& read(std::int64_t start, std::int64_t end, std::int64_t process,
                       const std::string& key, nlohmann::json value, OpType outcome = OpType::ok,
                       const std::string& served_by = "") {
    op(start, OpType::invoke, process, "read", nlohmann::json::array({key, nullptr}), "r");
    op(end, outcome, process, "read",
       nlohmann::json::array({key, outcome == OpType::ok ? value : nlohmann::json()}), "r");
    ops_.back().served_by = served_by;
    return *this;
  }
  // Sets served_by on the last operation.
  HistoryBuilder& served_by(const std::string& region) {
    ops_.back().served_by = region;
    return *this;
  }
  HistoryBuilder& sign_up(const std::string& customer, const std::string& home) {
    const nlohmann::json value{{"customer", customer}, {"home", home}};
    op(0, OpType::invoke, 2000000, "register", value, home);
    return op(0, OpType::ok, 2000000, "register", value, home);
  }
  HistoryBuilder& probe(std::int64_t ms, const std::string& region, nlohmann::json customers,
                        OpType outcome = OpType::ok) {
    op(ms, OpType::invoke, 3000000, "probe", nullptr, region);
    return op(ms, outcome, 3000000, "probe", {{"customers", std::move(customers)}}, region);
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
