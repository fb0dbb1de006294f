#pragma once
// Mutual TLS between the controller and its agents (OpenSSL 3), over plain
// blocking TCP sockets: one connection per node, one request at a time.
//
// Both sides hold a certificate from the run's CA (`faultline certs`):
//   the controller's: CN "faultline-controller", extendedKeyUsage clientAuth;
//   an agent's:       CN "faultline-agent-NODE", extendedKeyUsage serverAuth.
// TLS 1.3 only. The agent requires a client certificate that chains to its
// CA and is the controller's: no certificate, one from another CA, or an
// agent's certificate presented as a client is refused during the handshake
// (the verify callback fails it, the peer gets an alert) and logged. The
// controller checks the same of the agent's certificate in turn.
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

#include "controllers/agent/frame.hpp"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace faultline::agent {

inline constexpr const char* kControllerName = "faultline-controller";
inline constexpr const char* kAgentNamePrefix = "faultline-agent-";

class TlsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Who a context expects at the other end.
enum class Peer { controller, agent };

class TlsContext {
 public:
  // The agent's: presents `cert`, requires a controller's certificate from `ca`.
  static TlsContext for_agent(const std::string& ca, const std::string& cert,
                              const std::string& key);
  // The controller's: presents `cert`, requires an agent's certificate from `ca`.
  static TlsContext for_controller(const std::string& ca, const std::string& cert,
                                   const std::string& key);
  SSL_CTX* get() const { return ctx_.get(); }

 private:
  static TlsContext make(bool server, Peer peer, const std::string& ca, const std::string& cert,
                         const std::string& key);
  struct Free {
    void operator()(SSL_CTX* ctx) const;
  };
  std::unique_ptr<SSL_CTX, Free> ctx_;
};

// One authenticated connection. Move-only; closes on destruction.
class TlsStream {
 public:
  // Connects and shakes hands within `timeout`; later reads wait as long
  // for an answer. Throws TlsError saying which step failed and why.
  static TlsStream connect(const TlsContext& ctx, const std::string& address, int port,
                           std::chrono::milliseconds timeout);
  // The server side of an accepted socket (owned from here on). Throws
  // TlsError with the reason the peer was refused.
  static TlsStream accept(const TlsContext& ctx, int fd,
                          std::chrono::milliseconds handshake_timeout);

  TlsStream(TlsStream&& other) noexcept;
  TlsStream& operator=(TlsStream&& other) noexcept;
  ~TlsStream();

  void write_message(const nlohmann::json& message);
  // The next message; nothing when the peer closed the connection. Throws
  // TlsError on a broken connection or a timeout, FrameError on garbage.
  std::optional<nlohmann::json> read_message();
  // The peer certificate's subject CN.
  std::string peer_name() const;
  // Read timeout from here on (0: wait forever).
  void set_timeout(std::chrono::milliseconds timeout);

 private:
  TlsStream(SSL* ssl, int fd) : ssl_(ssl), fd_(fd) {}
  // Either end's socket options and its TLS session over `fd`, which the
  // stream then owns; the handshake is the caller's.
  static TlsStream over(const TlsContext& ctx, int fd, std::chrono::milliseconds timeout);
  void close() noexcept;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  FrameReader reader_;
};

// A listening TCP socket on one address (never the wildcard unless asked).
class TcpListener {
 public:
  // "198.18.1.2:7443", "[2001:2::1]:7443", "127.0.0.1:0". Throws naming the address.
  static TcpListener bind(const std::string& address_port);
  TcpListener(TcpListener&& other) noexcept : fd_(other.fd_), port_(other.port_) { other.fd_ = -1; }
  ~TcpListener();
  // An accepted connection's fd, or -1 when `timeout` passed first.
  int accept(std::chrono::milliseconds timeout, std::string* peer = nullptr);
  int port() const { return port_; }

 private:
  TcpListener(int fd, int port) : fd_(fd), port_(port) {}
  int fd_ = -1;
  int port_ = 0;
};

// "host:port" or "[v6]:port" split; throws std::invalid_argument.
std::pair<std::string, int> split_address_port(const std::string& address_port);

}  // namespace faultline::agent
