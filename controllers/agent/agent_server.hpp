#pragma once
// The agent's network side: accepts controllers on one address, shakes
// hands (mutual TLS, tls.hpp), and serves each connection's requests in a
// thread of its own through the AgentCore, while another thread expires
// leases. A refused handshake is logged with the peer's address and why.
#include <atomic>
#include <chrono>
#include <list>
#include <mutex>
#include <set>
#include <thread>

#include "controllers/agent/agent_core.hpp"
#include "controllers/agent/tls.hpp"

namespace faultline::agent {

class AgentServer {
 public:
  AgentServer(AgentCore& core, TlsContext ctx, TcpListener listener);
  ~AgentServer();

  // Serves until `stop` is set (checked every 100 ms), then closes every
  // connection. The core's leases are checked every `tick`.
  void run(const std::atomic<bool>& stop,
           std::chrono::milliseconds tick = std::chrono::milliseconds(50));
  int port() const { return listener_.port(); }

 private:
  void serve(int fd, std::string peer);

  AgentCore& core_;
  TlsContext ctx_;
  TcpListener listener_;
  std::mutex mutex_;
  std::set<int> open_;  // connections' fds, shut down to stop their threads
  std::list<std::thread> threads_;
};

}  // namespace faultline::agent
