#include "controllers/agent/agent_call.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <set>
#include <thread>

#include "controllers/agent/agent_client.hpp"
#include "controllers/agent/certs.hpp"
#include "controllers/agent/remote_actuator.hpp"
#include "controllers/faults/plan_json.hpp"

namespace faultline::agent {

namespace {

std::atomic<bool> released{false};
void on_signal(int) { released = true; }

// One node: every namespace and container is the target's.
// One node: every namespace and container is the target's. A process
// step's service is the container's name or id there.
class OneNode final : public AgentDirectory {
 public:
  explicit OneNode(std::string node) : node_(std::move(node)) {}
  std::string node_of_netns(const std::string&) const override { return node_; }
  std::pair<std::string, std::string> container_of(const std::string&,
                                                   const std::string& service) const override {
    return {node_, service};
  }

 private:
  std::string node_;
};

}  // namespace

int make_certs_command(const std::string& dir, const std::vector<std::string>& agents, int days) {
  try {
    std::vector<AgentName> names;
    for (const auto& a : agents) names.push_back(parse_agent_name(a));
    for (const auto& file : make_certificates(dir, names, days))
      std::cout << "wrote " << file << "\n";
    std::cout << "certs: give the agents ca.pem and their agent-NODE pair, the controller "
                 "controller.pem and its key; keep ca-key.pem off the nodes\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "faultline: certs: " << e.what() << "\n";
    return 2;
  }
}

int agent_call(const AgentCall& call) {
  try {
    const auto [address, port] = split_address_port(call.target);
    const AgentTls tls{call.certs + "/ca.pem", call.certs + "/controller.pem",
                       call.certs + "/controller-key.pem", !call.node.empty()};
    const AgentEndpoint endpoint{call.node.empty() ? call.target : call.node, address, port};
    const std::string run =
        call.run.empty() ? "agent-call-" + std::to_string(::getpid()) : call.run;
    const auto fields = nlohmann::json::parse(call.fields, nullptr, false);
    if (fields.is_discarded() || !fields.is_object()) {
      std::cerr << "faultline: agent-call: " << call.fields << " is not a JSON object\n";
      return 2;
    }
    if (call.op == "apply") {
      const PlanStep step = step_from_json(fields);
      OneNode directory(endpoint.node);
      RemoteActuator actuator(directory, {{endpoint.node, endpoint}}, tls,
                              std::chrono::milliseconds(call.lease_ms), run, call.engine);
      auto applied = actuator.prepare(step)->commit();
      std::cout << "applied (run " << run << ", lease " << call.lease_ms << " ms)" << std::endl;
      if (!call.hold) return 0;  // the actuator's bye reverts it
      struct sigaction sa {};
      sa.sa_handler = on_signal;
      ::sigaction(SIGINT, &sa, nullptr);
      ::sigaction(SIGTERM, &sa, nullptr);
      while (!released) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (applied)
        for (const auto& p : applied->revert()) std::cerr << "faultline: agent-call: " << p << "\n";
      std::cout << "reverted" << std::endl;
      return 0;
    }
    AgentClient client(endpoint, tls);
    static const std::set<std::string> leased = {"renew", "prepare", "commit", "revert", "bye"};
    if (leased.count(call.op))
      client.hello(run, std::chrono::milliseconds(call.lease_ms), call.engine);
    auto answer = client.call(call.op, fields);
    answer.erase("id");
    std::cout << answer.dump(2) << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "faultline: agent-call " << call.target << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace faultline::agent
