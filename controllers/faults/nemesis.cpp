#include "controllers/faults/nemesis.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "controllers/history/operation_kinds.hpp"

namespace faultline {

namespace {

std::int64_t micros_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::microseconds>(to - from).count();
}

std::int64_t monotonic_ns(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace

void StepReport::add(const StepReport& other) {
  if (other.value.is_object()) value.update(other.value);
  if (!other.failure.empty()) failure += (failure.empty() ? "" : "; ") + other.failure;
  waited += other.waited;
}

std::string join_problems(const std::vector<std::string>& problems) {
  std::string text;
  for (const auto& p : problems) text += (text.empty() ? "" : "; ") + p;
  return text;
}

AppliedFault& AppliedFault::operator=(AppliedFault&& other) noexcept {
  if (this != &other) {
    for (const auto& problem : revert()) spdlog::error("reverting a fault: {}", problem);
    steps_ = std::move(other.steps_);
  }
  return *this;
}

AppliedFault::~AppliedFault() {
  for (const auto& problem : revert())
    spdlog::error("reverting a fault during cleanup: {}", problem);
}

std::vector<std::string> AppliedFault::revert(StepReport* report) {
  std::vector<std::string> problems;
  auto steps = std::move(steps_);
  steps_.clear();
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    try {
      for (auto& p : (*it)->revert()) problems.push_back(std::move(p));
    } catch (const std::exception& e) {
      problems.push_back(e.what());
    }
    if (report) report->add((*it)->report());
  }
  return problems;
}

std::vector<std::unique_ptr<AppliedStep>> Actuator::commit_all(
    std::vector<std::unique_ptr<PreparedStep>>& steps, std::exception_ptr& error) {
  std::vector<std::unique_ptr<AppliedStep>> committed;
  for (auto& p : steps) {
    try {
      if (auto undo = p->commit()) committed.push_back(std::move(undo));
    } catch (...) {
      error = std::current_exception();
      break;
    }
  }
  return committed;
}

AppliedFault apply_steps(Actuator& actuator, const std::vector<PlanStep>& steps, Clock& clock,
                         std::optional<Clock::time_point> due, const InstantHold& hold,
                         StepReport* report) {
  std::vector<std::unique_ptr<PreparedStep>> prepared;
  prepared.reserve(steps.size());
  for (const auto& step : steps) prepared.push_back(actuator.prepare(step));
  std::shared_ptr<void> held = hold && due ? hold() : nullptr;
  if (due) clock.wait_precisely_until(*due);
  std::exception_ptr error;
  auto committed = actuator.commit_all(prepared, error);
  if (error) {
    // The committed steps go before the error does, newest first.
    AppliedFault partial(std::move(committed));
    for (const auto& problem : partial.revert())
      spdlog::error("rolling back a half-applied fault: {}", problem);
    std::rethrow_exception(error);
  }
  if (report)
    for (const auto& p : prepared) report->add(p->report());
  return AppliedFault(std::move(committed));
}

Nemesis::Nemesis(std::vector<FaultPlan> plans, Actuator& actuator, Clock& clock, NemesisLog& log,
                 Options options)
    : plans_(std::move(plans)),
      actuator_(actuator),
      clock_(clock),
      log_(log),
      options_(std::move(options)) {}

Nemesis::~Nemesis() {
  while (!order_.empty()) {
    const std::size_t index = order_.back();
    order_.pop_back();
    auto it = active_.find(index);
    if (it == active_.end()) continue;
    for (const auto& problem : it->second.revert())
      spdlog::error("reverting fault {} during cleanup: {}", index, problem);
    active_.erase(it);
  }
}

nlohmann::json Nemesis::operation_value(const FaultPlan& plan) const {
  return {{"fault", plan.fault}, {"kind", plan.kind}, {"what", plan.what}};
}

void Nemesis::complete(const std::string& f, const nlohmann::json& value,
                       const StepReport& report) {
  nlohmann::json reported = value;
  reported.update(report.value);
  if (!report.failure.empty()) {
    spdlog::warn("{}: {}", f, report.failure);
    log_.record(OpType::info, f, reported, report.failure);
  } else {
    log_.record(OpType::ok, f, reported, "");
  }
}

std::int64_t Nemesis::history_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now() -
                                                               options_.history_origin)
      .count();
}

void Nemesis::start(std::size_t index, Clock::time_point due) {
  const FaultPlan& plan = plans_.at(index);
  const std::string f = nemesis_start_f(plan.kind);
  const nlohmann::json value = operation_value(plan);
  log_.record(OpType::invoke, f, value, "");
  AppliedFault applied;
  StepReport report;
  try {
    applied = apply_steps(actuator_, plan.steps, clock_, due, options_.hold_instant, &report);
  } catch (const std::exception& ex) {
    log_.record(OpType::fail, f, value, ex.what());
    throw;
  }
  // Traffic feels it now; a program the steps ran started before it ended.
  const auto landed = clock_.now() - std::chrono::duration_cast<Clock::duration>(report.waited);
  const std::int64_t late_us = micros_between(due, landed);
  // The journal follows the change, to keep its write off the fault's way to
  // the kernel: recovery goes by namespaces and containers the journal holds
  // from before they were touched, and by faultline's marks, not by this.
  const bool lasting = plan.lasting && !applied.empty();
  log_.journal(plan, lasting ? "applied" : "reverted");
  if (lasting) {
    active_[index] = std::move(applied);
    order_.push_back(index);
  }
  complete(f, value, report);
  spdlog::info("fault {} started {:.2f} ms after its instant: {}", index,
               static_cast<double>(late_us) / 1000.0, plan.what);
  fault_log_.push_back({{"fault", index},
                        {"what", plan.what},
                        {"start_ms", history_ms()},
                        {"due_ns", monotonic_ns(due)},
                        {"start_late_us", late_us}});
}

void Nemesis::stop(std::size_t index, std::optional<Clock::time_point> due) {
  auto it = active_.find(index);
  if (it == active_.end()) return;
  const FaultPlan& plan = plans_.at(index);
  const std::string f = nemesis_stop_f(plan.kind);
  const nlohmann::json value = operation_value(plan);
  log_.record(OpType::invoke, f, value, "");
  std::int64_t late_us = 0;
  StepReport report;
  {
    std::shared_ptr<void> held = options_.hold_instant && due ? options_.hold_instant() : nullptr;
    if (due) clock_.wait_precisely_until(*due);
    auto problems = it->second.revert(&report);
    if (due)
      late_us = micros_between(
          *due, clock_.now() - std::chrono::duration_cast<Clock::duration>(report.waited));
    active_.erase(it);
    order_.erase(std::find(order_.begin(), order_.end(), index));
    if (!problems.empty()) {
      nlohmann::json reported = value;
      reported.update(report.value);
      log_.record(OpType::info, f, reported, join_problems(problems));
      log_.journal(plan, "revert failed");
      throw std::runtime_error("reverting fault " + std::to_string(index) + " (" + plan.what +
                               "): " + join_problems(problems));
    }
  }
  log_.journal(plan, "reverted");
  complete(f, value, report);
  if (due)
    spdlog::info("fault {} stopped {:.2f} ms after its instant: {}", index,
                 static_cast<double>(late_us) / 1000.0, plan.what);
  else
    spdlog::info("fault {} stopped: {}", index, plan.what);
  for (auto& entry : fault_log_)
    if (entry["fault"] == index && !entry.contains("stop_ms")) {
      entry["stop_ms"] = history_ms();
      if (due) {
        entry["stop_due_ns"] = monotonic_ns(*due);
        entry["stop_late_us"] = late_us;
      }
    }
}

void Nemesis::heal() {
  log_.record(OpType::invoke, kHealF, nullptr, "");
  // Newest first, so overlapping faults unwind in the reverse of how they came.
  while (!order_.empty()) stop(order_.back());
  log_.record(OpType::ok, kHealF, nullptr, "");
  spdlog::info("healed: every fault reverted");
}

}  // namespace faultline
