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

  // Retries elsewhere go through a client of their own, opened when first
  // needed, from this session's host like its first attempts.
  const auto failover_it = failover_of_.find(plan.region);
  const std::string failover =
      retry_.failover && failover_it != failover_of_.end() ? failover_it->second : "";
  std::unique_ptr<Client> elsewhere;
  std::int64_t first_attempts = 0, retries_made = 0;

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
    const Operation first = history_.record(*op);
    Operation done = history_.record(client->invoke(*op));
    ++completed_;
    ++first_attempts;
    if (done.type != OpType::ok) ++failed_;
    if (done.type == OpType::info) state.process = process_after_info(state.process, slots);
    if (done.type != OpType::ok && retry_.attempts > 1 && (op->f == kReadF || op->f == kWriteF)) {
      done = retry(state, first, std::move(done), *client, elsewhere, failover, retries_made,
                   first_attempts);
      // Retries took their time: pace on from now rather than burst.
      if (next < clock_.now()) next = clock_.now() + interval;
    }
    plan.generator->update(state, done);
  }
}

Operation WorkloadRunner::retry(SessionState& state, const Operation& first, Operation done,
                                Client& home, std::unique_ptr<Client>& elsewhere,
                                const std::string& failover, std::int64_t& retries_made,
                                std::int64_t first_attempts) {
  const std::int64_t slots = std::max<std::int64_t>(plan_.session_slots, 1);
  auto backoff = std::chrono::duration_cast<Clock::duration>(retry_.backoff);
  for (int attempt = 2; attempt <= retry_.attempts && done.type != OpType::ok && !stopping_;
       ++attempt) {
    // The budget: retries beyond a share of the session's requests would
    // multiply the load on a system that is failing already.
    if (static_cast<double>(retries_made + 1) >
        retry_.budget * static_cast<double>(first_attempts))
      break;
    const auto wake = clock_.now() + backoff;
    while (!stopping_ && clock_.now() < wake) clock_.sleep_until(std::min(wake, clock_.now() + kStopCheck));
    if (stopping_) break;
    backoff *= 2;
    Client* client = &home;
    if (!failover.empty()) {
      if (!elsewhere) elsewhere = clients_.open(failover);
      client = elsewhere.get();
    }
    Operation again = first;
    again.type = OpType::invoke;
    again.process = state.process;  // a new one after an info
    again.retry_of = static_cast<std::int64_t>(first.index);
    again.error.clear();
    again.served_by.clear();
    again.version.clear();
    again = history_.record(again);
    done = history_.record(client->invoke(again));
    ++retries_made;
    ++retries_;
    ++completed_;
    if (done.type != OpType::ok) ++failed_;
    if (done.type == OpType::info) state.process = process_after_info(state.process, slots);
  }
  return done;
}

}  // namespace faultline
