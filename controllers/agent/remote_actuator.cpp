#include "controllers/agent/remote_actuator.hpp"

#include <spdlog/spdlog.h>

namespace faultline::agent {

namespace {

class RemoteApplied final : public AppliedStep {
 public:
  RemoteApplied(AgentClient& client, std::uint64_t applied) : client_(client), applied_(applied) {}
  std::vector<std::string> revert() override {
    if (applied_ == 0) return {};
    const std::uint64_t applied = std::exchange(applied_, 0);
    try {
      return client_.revert(applied);
    } catch (const std::exception& e) {
      return {e.what()};
    }
  }

 private:
  AgentClient& client_;
  std::uint64_t applied_;
};

class RemotePrepared final : public PreparedStep {
 public:
  RemotePrepared(AgentClient& client, std::uint64_t handle) : client_(client), handle_(handle) {}
  std::unique_ptr<AppliedStep> commit() override {
    const std::uint64_t applied = client_.commit(handle_);
    // 0: the step left nothing to undo (a restart).
    if (applied == 0) return nullptr;
    return std::make_unique<RemoteApplied>(client_, applied);
  }
  AgentClient& client() const { return client_; }

 private:
  AgentClient& client_;
  std::uint64_t handle_;
};

}  // namespace

RemoteActuator::RemoteActuator(const AgentDirectory& directory,
                               std::map<std::string, AgentEndpoint> agents, AgentTls tls,
                               std::chrono::milliseconds lease, std::string run_id,
                               std::string engine, std::uint64_t seed)
    : directory_(directory),
      agents_(std::move(agents)),
      tls_(std::move(tls)),
      lease_(lease),
      run_id_(std::move(run_id)),
      engine_(std::move(engine)),
      seed_(seed) {
  if (lease_ < std::chrono::milliseconds(100))
    throw std::invalid_argument("the agents' lease must be at least 100 ms, not " +
                                std::to_string(lease_.count()) + " ms");
  renewer_ = std::thread([this] { renew_loop(); });
}

RemoteActuator::~RemoteActuator() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  renewer_.join();
  for (auto& [node, client] : clients_) {
    try {
      client->bye();
    } catch (const std::exception& e) {
      spdlog::warn("{} (its lease reverts what is left there)", e.what());
    }
  }
}

AgentClient& RemoteActuator::client(const std::string& node) {
  std::unique_lock lock(mutex_);
  if (auto it = clients_.find(node); it != clients_.end()) return *it->second;
  auto it = agents_.find(node);
  if (it == agents_.end()) {
    std::string names;
    for (const auto& [n, e] : agents_) names += (names.empty() ? "" : ", ") + n;
    throw AgentError("node " + node + " has no agent: give its address (the nodes with one: " +
                     (names.empty() ? std::string("none") : names) + ")");
  }
  const AgentEndpoint endpoint = it->second;
  // Connecting may take its whole timeout: the renewals of the nodes
  // already connected go on meanwhile.
  lock.unlock();
  auto client = std::make_unique<AgentClient>(endpoint, tls_);
  const auto hello = client->hello(run_id_, lease_, engine_, seed_);
  spdlog::info("agent of node {} ({}:{}), version {}: lease {} ms for run {}",
               hello.value("node", node), endpoint.address, endpoint.port,
               hello.value("agent_version", "?"), lease_.count(), run_id_);
  lock.lock();
  auto& slot = clients_[node];
  // Another thread may have connected first: this connection just closes
  // (both greeted the same run, whose lease is one).
  if (!slot) slot = std::move(client);
  return *slot;
}

void RemoteActuator::connect_all() {
  for (const auto& [node, endpoint] : agents_) client(node);
}

std::unique_ptr<PreparedStep> RemoteActuator::prepare(const PlanStep& step) {
  if (const auto* s = std::get_if<ProcessStep>(&step)) {
    const auto [node, container] = directory_.container_of(s->region, s->service);
    AgentClient& agent = client(node);
    return std::make_unique<RemotePrepared>(agent, agent.prepare(step, container));
  }
  if (std::holds_alternative<ClockStep>(step) || std::holds_alternative<CommandStep>(step))
    throw std::invalid_argument(
        "clock and command faults need hosts faultline builds; they are not offered through "
        "agents (run the experiment with --provider namespaces)");
  AgentClient& agent = client(directory_.node_of_netns(step_netns(step)));
  return std::make_unique<RemotePrepared>(agent, agent.prepare(step));
}

std::vector<std::unique_ptr<AppliedStep>> RemoteActuator::commit_all(
    std::vector<std::unique_ptr<PreparedStep>>& steps, std::exception_ptr& error) {
  // Each node's steps in their order, on a thread of its own but the first
  // node's: its round trips overlap the others' instead of following them.
  std::map<AgentClient*, std::vector<std::size_t>> by_node;
  for (std::size_t i = 0; i < steps.size(); ++i)
    by_node[&static_cast<RemotePrepared&>(*steps[i]).client()].push_back(i);
  if (by_node.size() < 2) return Actuator::commit_all(steps, error);
  std::vector<std::unique_ptr<AppliedStep>> undo(steps.size());
  std::vector<std::exception_ptr> failed(steps.size());
  auto commit_node = [&](const std::vector<std::size_t>& indices) {
    for (std::size_t i : indices) {
      try {
        undo[i] = steps[i]->commit();
      } catch (...) {
        failed[i] = std::current_exception();
        return;  // this node's later steps may depend on this one
      }
    }
  };
  std::vector<std::thread> others;
  for (auto it = std::next(by_node.begin()); it != by_node.end(); ++it)
    others.emplace_back(commit_node, std::cref(it->second));
  commit_node(by_node.begin()->second);
  for (auto& t : others) t.join();
  std::vector<std::unique_ptr<AppliedStep>> committed;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (undo[i]) committed.push_back(std::move(undo[i]));
    if (failed[i] && !error) error = failed[i];
  }
  return committed;
}

void RemoteActuator::renew_loop() {
  const auto period = std::max(lease_ / 4, std::chrono::milliseconds(10));
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, period, [this] { return stopping_; })) {
    std::vector<AgentClient*> clients;
    for (auto& [node, c] : clients_)
      if (c) clients.push_back(c.get());
    lock.unlock();
    for (auto* c : clients) {
      try {
        c->renew();
      } catch (const std::exception& e) {
        spdlog::warn(
            "{}: the lease could not be renewed; that agent reverts this run's faults "
            "once it expires",
            e.what());
      }
    }
    lock.lock();
  }
}

}  // namespace faultline::agent
