#pragma once
// `faultline certs` and `faultline agent-call`: the CLI's way to the agents.
//
//   faultline certs DIR --agent NODE[=ADDRESS] ...
//   faultline agent-call ADDRESS:PORT --certs DIR OP [JSON]
//       one request (inventory, sweep, container, ...), its answer printed;
//   faultline agent-call ADDRESS:PORT --certs DIR apply STEP-JSON [--lease MS] [--hold]
//       applies one plan step through a RemoteActuator and, with --hold,
//       keeps it (renewing the lease) until SIGINT/SIGTERM, then reverts it:
//       a controller by hand, which tests SIGKILL to see the lease at work.
#include <string>
#include <vector>

namespace faultline::agent {

struct AgentCall {
  std::string target;  // ADDRESS:PORT
  std::string certs;   // the folder `faultline certs` wrote
  std::string op;
  std::string fields = "{}";  // JSON: the request's fields, or the step for apply
  std::string run;            // default: agent-call-<pid>
  int lease_ms = 3000;
  bool hold = false;
  std::string engine = "auto";
  std::string node;  // when given, the agent's certificate must be this node's
};

// Returns the exit code; prints the answer (JSON) or a one-line error.
int agent_call(const AgentCall& call);
int make_certs_command(const std::string& dir, const std::vector<std::string>& agents, int days);

}  // namespace faultline::agent
