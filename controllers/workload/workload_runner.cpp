#include "controllers/workload/workload_runner.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "controllers/history/operation_kinds.hpp"

namespace faultline {

WorkloadRunner::WorkloadRunner(WorkloadPlan plan, ClientHosts hosts, ClientFactory& clients,
                               HistoryRecorder& history, Clock& clock, double rate)
    : plan_(std::move(plan)),
      hosts_(std::move(hosts)),
      clients_(clients),
      history_(history),
      clock_(clock),
      rate_(rate) {}

void WorkloadRunner::start() {
  // plan_.sessions does not change from here on: threads hold references.
  for (auto& session : plan_.sessions)
    threads_.emplace_back([this, &session] {
      try {
        run_session(session);
      } catch (const std::exception& e) {
        spdlog::error("workload session {} in {}: {}", session.session, session.region, e.what());
        std::lock_guard lock(failure_mutex_);
        if (!failure_) failure_ = std::current_exception();
      }
    });
}

void WorkloadRunner::join() {
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void WorkloadRunner::wait() {
  join();
  std::lock_guard lock(failure_mutex_);
  if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
}

void WorkloadRunner::stop() {
  request_stop();
  wait();
}

void WorkloadRunner::run_session(SessionPlan& plan) {
  if (auto host = hosts_.find(plan.region); host != hosts_.end() && host->second != nullptr)
    injector::enter_namespace(*host->second);

  const std::int64_t slots = std::max<std::int64_t>(plan_.session_slots, 1);
  // Each session takes its share of the rate: together they make `rate`.
  const auto interval = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(static_cast<double>(slots) / rate_));
  std::unique_ptr<Client> client = clients_.open(plan.region);
  SessionState state{.session = plan.session, .process = plan.session, .region = plan.region};

  // Spread the sessions' start over one interval so they do not fire in step.
  auto next = clock_.now() + interval * plan.session / slots;
  while (!stopping_) {
    clock_.sleep_until(std::min(next, clock_.now() + kStopCheck));
    if (clock_.now() < next) continue;
    next += interval;
    if (next < clock_.now()) next = clock_.now() + interval;  // fell behind: do not burst

    std::optional<Operation> op = plan.generator->next(state);
    if (!op) return;
    op->type = OpType::invoke;
    op->process = state.process;
    op->session = state.session;
    op->region = state.region;
    history_.record(*op);
    const Operation done = history_.record(client->invoke(*op));
    ++completed_;
    if (done.type != OpType::ok) ++failed_;
    plan.generator->update(state, done);
    if (done.type == OpType::info) state.process = process_after_info(state.process, slots);
  }
}

}  // namespace faultline
