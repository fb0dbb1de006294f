#include "controllers/agent/agent_client.hpp"

#include "controllers/faults/plan_json.hpp"

namespace faultline::agent {

namespace {

TlsStream open(const AgentEndpoint& e, const TlsContext& ctx, std::chrono::milliseconds timeout) {
  try {
    return TlsStream::connect(ctx, e.address, e.port, timeout);
  } catch (const std::exception& ex) {
    throw AgentError("agent of node " + e.node + ": " + ex.what());
  }
}

TlsContext context(const AgentEndpoint& e, const AgentTls& tls) {
  try {
    return TlsContext::for_controller(tls.ca, tls.cert, tls.key);
  } catch (const std::exception& ex) {
    throw AgentError("agent of node " + e.node + ": " + ex.what());
  }
}

}  // namespace

AgentClient::AgentClient(AgentEndpoint endpoint, const AgentTls& tls,
                         std::chrono::milliseconds timeout)
    : endpoint_(std::move(endpoint)),
      ctx_(context(endpoint_, tls)),
      stream_(open(endpoint_, ctx_, timeout)) {
  const std::string expected = kAgentNamePrefix + endpoint_.node;
  if (tls.exact_node && stream_.peer_name() != expected)
    throw AgentError("the agent at " + endpoint_.address + ":" + std::to_string(endpoint_.port) +
                     " presents the certificate of " + stream_.peer_name() + ", not " + expected +
                     " (make node " + endpoint_.node + "'s with faultline certs DIR --agent " +
                     endpoint_.node + ")");
}

nlohmann::json AgentClient::call(const std::string& op, nlohmann::json fields) {
  std::lock_guard lock(mutex_);
  const std::uint64_t id = next_id_++;
  fields["op"] = op;
  fields["id"] = id;
  std::optional<nlohmann::json> answer;
  try {
    stream_.write_message(fields);
    answer = stream_.read_message();
  } catch (const std::exception& e) {
    throw AgentError("agent of node " + endpoint_.node + ": " + op + ": " + e.what());
  }
  if (!answer)
    throw AgentError("agent of node " + endpoint_.node + " closed the connection during " + op);
  if (answer->value("id", std::uint64_t(0)) != id)
    throw AgentError("agent of node " + endpoint_.node + " answered another request than " + op);
  if (answer->contains("error"))
    throw AgentError("agent of node " + endpoint_.node + ": " + op + ": " +
                     answer->at("error").get<std::string>());
  return *answer;
}

nlohmann::json AgentClient::hello(const std::string& run, std::chrono::milliseconds lease,
                                  const std::string& engine, std::uint64_t seed) {
  return call("hello",
              {{"run", run}, {"lease_ms", lease.count()}, {"engine", engine}, {"seed", seed}});
}

void AgentClient::renew() { call("renew"); }

nlohmann::json AgentClient::inventory() { return call("inventory"); }

std::uint64_t AgentClient::prepare(const PlanStep& step, const std::string& container) {
  nlohmann::json fields = {{"step", step_to_json(step)}};
  if (!container.empty()) fields["container"] = container;
  return call("prepare", std::move(fields)).at("handle").get<std::uint64_t>();
}

std::uint64_t AgentClient::commit(std::uint64_t handle) {
  return call("commit", {{"handle", handle}}).at("applied").get<std::uint64_t>();
}

std::vector<std::string> AgentClient::revert(std::uint64_t applied) {
  return call("revert", {{"applied", applied}}).value("problems", std::vector<std::string>{});
}

void AgentClient::container(const std::string& action, const std::string& id) {
  call("container", {{"action", action}, {"container", id}});
}

void AgentClient::bye() { call("bye"); }

std::vector<std::string> AgentClient::sweep() {
  return call("sweep").value("removed", std::vector<std::string>{});
}

}  // namespace faultline::agent
