#include "controllers/agent/tls.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace faultline::agent {

namespace {

std::string openssl_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "no detail from OpenSSL" : out;
}

std::string common_name(X509* cert) {
  char cn[256] = {0};
  if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn) < 0)
    return "";
  return cn;
}

// The role check, at the end of the chain's verification: a certificate of
// the right CA is not enough, it must be the one the other side should hold
// (an agent's key cannot act as a controller, and the reverse).
int check_peer(int preverify_ok, X509_STORE_CTX* store, Peer peer) {
  if (!preverify_ok || X509_STORE_CTX_get_error_depth(store) != 0) return preverify_ok;
  X509* cert = X509_STORE_CTX_get_current_cert(store);
  const std::string cn = common_name(cert);
  const bool ok =
      peer == Peer::controller
          ? cn == kControllerName && X509_check_purpose(cert, X509_PURPOSE_SSL_CLIENT, 0) == 1
          : cn.rfind(kAgentNamePrefix, 0) == 0 &&
                X509_check_purpose(cert, X509_PURPOSE_SSL_SERVER, 0) == 1;
  if (!ok) {
    spdlog::warn("refused a peer whose certificate (CN \"{}\") is not {}", cn,
                 peer == Peer::controller ? "the controller's (CN faultline-controller, clientAuth)"
                                          : "an agent's (CN faultline-agent-*, serverAuth)");
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  return 1;
}

int verify_controller(int ok, X509_STORE_CTX* store) {
  return check_peer(ok, store, Peer::controller);
}
int verify_agent(int ok, X509_STORE_CTX* store) { return check_peer(ok, store, Peer::agent); }

bool wait_fd(int fd, short events, std::chrono::milliseconds timeout) {
  pollfd p{fd, events, 0};
  const int ms = timeout.count() > 0 ? int(timeout.count()) : -1;
  int r;
  do r = ::poll(&p, 1, ms);
  while (r < 0 && errno == EINTR);
  return r > 0;
}

void set_socket_timeout(int fd, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = timeout.count() / 1000;
  tv.tv_usec = (timeout.count() % 1000) * 1000;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

// A fault's commit is one small request and one small answer: Nagle would
// hold the answer for the next segment's ACK.
void no_delay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
}

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t size = 0;
};

SocketAddress resolve(const std::string& address, int port) {
  SocketAddress out;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out.storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
  if (::inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    out.size = sizeof *v4;
  } else if (::inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    out.size = sizeof *v6;
  } else {
    throw std::invalid_argument("\"" + address + "\" is not an IPv4 or IPv6 address");
  }
  return out;
}

// A write to a peer that went away raises SIGPIPE, which would end the
// controller (or the agent) for one lost connection: OpenSSL's socket BIO
// does not pass MSG_NOSIGNAL. While this lives the calling thread blocks
// the signal, and a SIGPIPE it raised is dropped after (the write's EPIPE
// says the same); other threads are untouched.
class PipeSignalBlocked {
 public:
  PipeSignalBlocked() {
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, &old_);
  }
  ~PipeSignalBlocked() {
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    if (!sigismember(&old_, SIGPIPE)) {
      const timespec now{0, 0};
      while (sigtimedwait(&pipe, nullptr, &now) == SIGPIPE) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  PipeSignalBlocked(const PipeSignalBlocked&) = delete;
  PipeSignalBlocked& operator=(const PipeSignalBlocked&) = delete;

 private:
  sigset_t old_;
};

}  // namespace

std::pair<std::string, int> split_address_port(const std::string& s) {
  std::string host, port;
  if (!s.empty() && s.front() == '[') {
    const auto close = s.find("]:");
    if (close == std::string::npos)
      throw std::invalid_argument("\"" + s + "\": expected [ADDRESS]:PORT");
    host = s.substr(1, close - 1);
    port = s.substr(close + 2);
  } else {
    const auto colon = s.rfind(':');
    if (colon == std::string::npos || s.find(':') != colon)
      throw std::invalid_argument("\"" + s +
                                  "\": expected ADDRESS:PORT (an IPv6 address as [ADDRESS]:PORT)");
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
  }
  if (host.empty() || port.empty() || port.find_first_not_of("0123456789") != std::string::npos ||
      port.size() > 5 || std::stoi(port) > 65535)
    throw std::invalid_argument("\"" + s + "\": expected ADDRESS:PORT with a port of 0-65535");
  return {host, std::stoi(port)};
}

void TlsContext::Free::operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }

TlsContext TlsContext::make(bool server, Peer peer, const std::string& ca, const std::string& cert,
                            const std::string& key) {
  TlsContext out;
  out.ctx_.reset(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
  SSL_CTX* ctx = out.ctx_.get();
  if (!ctx) throw TlsError("cannot make a TLS context: " + openssl_errors());
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY);
  // A peer that was killed closes without close_notify: an end, not an error.
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1)
    throw TlsError(cert + ": cannot read the certificate (" + openssl_errors() +
                   "); make one with `faultline certs DIR`");
  if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1)
    throw TlsError(key + ": cannot read the private key (" + openssl_errors() +
                   "); make one with `faultline certs DIR`");
  if (SSL_CTX_check_private_key(ctx) != 1)
    throw TlsError(key + ": is not the key of " + cert + "; give the pair `faultline certs` made");
  if (SSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr) != 1)
    throw TlsError(ca + ": cannot read the CA certificate (" + openssl_errors() +
                   "); give the ca.pem `faultline certs` made");
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     peer == Peer::controller ? verify_controller : verify_agent);
  SSL_CTX_set_verify_depth(ctx, 2);
  return out;
}

TlsContext TlsContext::for_agent(const std::string& ca, const std::string& cert,
                                 const std::string& key) {
  return make(true, Peer::controller, ca, cert, key);
}

TlsContext TlsContext::for_controller(const std::string& ca, const std::string& cert,
                                      const std::string& key) {
  return make(false, Peer::agent, ca, cert, key);
}

TlsStream::TlsStream(TlsStream&& o) noexcept
    : ssl_(o.ssl_), fd_(o.fd_), reader_(std::move(o.reader_)) {
  o.ssl_ = nullptr;
  o.fd_ = -1;
}

TlsStream& TlsStream::operator=(TlsStream&& o) noexcept {
  if (this != &o) {
    close();
    ssl_ = o.ssl_;
    fd_ = o.fd_;
    reader_ = std::move(o.reader_);
    o.ssl_ = nullptr;
    o.fd_ = -1;
  }
  return *this;
}

TlsStream::~TlsStream() { close(); }

void TlsStream::close() noexcept {
  PipeSignalBlocked quiet;
  if (ssl_) {
    SSL_shutdown(ssl_);
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

TlsStream TlsStream::connect(const TlsContext& ctx, const std::string& address, int port,
                             std::chrono::milliseconds timeout) {
  const std::string where = address + ":" + std::to_string(port);
  const SocketAddress sa = resolve(address, port);
  const int fd = ::socket(sa.storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) throw TlsError("socket: " + std::string(std::strerror(errno)));
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&sa.storage), sa.size) != 0) {
    if (errno != EINPROGRESS) {
      const int e = errno;
      ::close(fd);
      throw TlsError("cannot connect to the agent at " + where + ": " + std::strerror(e));
    }
    int err = ETIMEDOUT;
    socklen_t len = sizeof err;
    if (wait_fd(fd, POLLOUT, timeout)) ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      ::close(fd);
      throw TlsError("cannot connect to the agent at " + where + ": " + std::strerror(err));
    }
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  PipeSignalBlocked quiet;
  TlsStream stream = over(ctx, fd, timeout);
  SSL* ssl = stream.ssl_;
  if (SSL_connect(ssl) != 1) {
    const long verify = SSL_get_verify_result(ssl);
    throw TlsError("TLS with the agent at " + where + " failed: " +
                   (verify != X509_V_OK ? std::string(X509_verify_cert_error_string(verify))
                                        : openssl_errors()));
  }
  return stream;
}

TlsStream TlsStream::over(const TlsContext& ctx, int fd, std::chrono::milliseconds timeout) {
  no_delay(fd);
  set_socket_timeout(fd, timeout);
  SSL* ssl = SSL_new(ctx.get());
  TlsStream stream(ssl, fd);
  SSL_set_fd(ssl, fd);
  return stream;
}

TlsStream TlsStream::accept(const TlsContext& ctx, int fd,
                            std::chrono::milliseconds handshake_timeout) {
  PipeSignalBlocked quiet;
  TlsStream stream = over(ctx, fd, handshake_timeout);
  SSL* ssl = stream.ssl_;
  if (SSL_accept(ssl) != 1) {
    const long verify = SSL_get_verify_result(ssl);
    std::string why = openssl_errors();
    if (verify != X509_V_OK)
      why = X509_verify_cert_error_string(verify) + std::string(" (") + why + ")";
    throw TlsError(why);
  }
  // TLS 1.3 servers send session tickets after the handshake; the client
  // reads them with its first answer.
  set_socket_timeout(fd, std::chrono::milliseconds(0));
  return stream;
}

void TlsStream::set_timeout(std::chrono::milliseconds timeout) { set_socket_timeout(fd_, timeout); }

std::string TlsStream::peer_name() const {
  X509* cert = SSL_get0_peer_certificate(ssl_);
  return cert ? common_name(cert) : "";
}

void TlsStream::write_message(const nlohmann::json& message) {
  const std::string bytes = encode_frame(message);
  PipeSignalBlocked quiet;
  std::size_t done = 0;
  while (done < bytes.size()) {
    const int n = SSL_write(ssl_, bytes.data() + done, int(bytes.size() - done));
    if (n <= 0) throw TlsError("cannot send to " + peer_name() + ": " + openssl_errors());
    done += std::size_t(n);
  }
}

std::optional<nlohmann::json> TlsStream::read_message() {
  PipeSignalBlocked quiet;
  for (;;) {
    if (auto m = reader_.next()) return m;
    char buf[16384];
    const int n = SSL_read(ssl_, buf, int(std::min(sizeof buf, reader_.wanted())));
    if (n > 0) {
      reader_.feed(buf, std::size_t(n));
      continue;
    }
    const int err = SSL_get_error(ssl_, n);
    if (err == SSL_ERROR_ZERO_RETURN) return std::nullopt;
    if (err == SSL_ERROR_SYSCALL && (errno == 0 || errno == ECONNRESET)) return std::nullopt;
    if (err == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK))
      throw TlsError("no answer in time from " + peer_name());
    throw TlsError("the connection to " + peer_name() + " broke: " + openssl_errors());
  }
}

TcpListener TcpListener::bind(const std::string& address_port) {
  const auto [address, port] = split_address_port(address_port);
  const SocketAddress sa = resolve(address, port);
  const int fd = ::socket(sa.storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw TlsError("socket: " + std::string(std::strerror(errno)));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&sa.storage), sa.size) != 0 ||
      ::listen(fd, 16) != 0) {
    const int e = errno;
    ::close(fd);
    throw TlsError("cannot listen on " + address_port + ": " + std::strerror(e) +
                   (e == EADDRNOTAVAIL ? " (no interface here holds that address)" : ""));
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  const int actual = bound.ss_family == AF_INET
                         ? ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port)
                         : ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  return TcpListener(fd, actual);
}

TcpListener::~TcpListener() {
  if (fd_ >= 0) ::close(fd_);
}

int TcpListener::accept(std::chrono::milliseconds timeout, std::string* peer) {
  if (!wait_fd(fd_, POLLIN, timeout)) return -1;
  sockaddr_storage from{};
  socklen_t len = sizeof from;
  const int fd = ::accept4(fd_, reinterpret_cast<sockaddr*>(&from), &len, SOCK_CLOEXEC);
  if (fd >= 0 && peer) {
    char text[INET6_ADDRSTRLEN] = {0};
    int port = 0;
    if (from.ss_family == AF_INET) {
      auto* v4 = reinterpret_cast<sockaddr_in*>(&from);
      ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
      port = ntohs(v4->sin_port);
    } else {
      auto* v6 = reinterpret_cast<sockaddr_in6*>(&from);
      ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
      port = ntohs(v6->sin6_port);
    }
    *peer = std::string(text) + ":" + std::to_string(port);
  }
  return fd;
}

}  // namespace faultline::agent
