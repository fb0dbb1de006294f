#pragma once
// `faultline certs DIR --agent NODE[=ADDRESS] ...`: the certificates of a
// cluster's agents and their controller, from a CA made for them alone
// (OpenSSL 3). Keys are P-256 and written mode 0600.
//
//   ca.pem, ca-key.pem                     the CA (keep its key off the nodes)
//   controller.pem, controller-key.pem     CN faultline-controller, clientAuth
//   agent-NODE.pem, agent-NODE-key.pem     CN faultline-agent-NODE, serverAuth,
//                                          subjectAltName IP:ADDRESS when given
//
// An existing CA in DIR is reused, so agents can be added later and keep
// trusting the same controller.
#include <string>
#include <vector>

namespace faultline::agent {

struct AgentName {
  std::string node;
  std::string address;  // may be empty
};

// "node-1=198.18.0.2" -> {node-1, 198.18.0.2}; throws std::invalid_argument
// on a node name that would not make a file name or an address that is not one.
AgentName parse_agent_name(const std::string& text);

// Makes what is missing in `dir`; returns the files written. `days`: validity.
std::vector<std::string> make_certificates(const std::string& dir,
                                           const std::vector<AgentName>& agents, int days = 365);

}  // namespace faultline::agent
