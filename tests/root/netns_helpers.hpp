#pragma once
// Probes for root tests: connect or send from inside one namespace to an
// address served inside another, with short deadlines.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <string>

#include "injector/network_namespace.hpp"

namespace faultline::testing {

inline std::string unique_run_id() {
  std::random_device rd;
  return "t" + std::to_string(rd() % 100000);
}

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

inline sockaddr_storage make_addr(const std::string& ip, int port, socklen_t& len) {
  sockaddr_storage ss{};
  if (ip.find(':') != std::string::npos) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET6, ip.c_str(), &a->sin6_addr);
    len = sizeof(sockaddr_in6);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, ip.c_str(), &a->sin_addr);
    len = sizeof(sockaddr_in);
  }
  return ss;
}

// A socket bound inside `ns` (sockets keep the namespace they were made in).
inline Fd bound_socket(const injector::NamespaceFd& ns, const std::string& ip, int port, int type) {
  injector::NetnsEntry inside(ns);
  socklen_t len;
  auto addr = make_addr(ip, port, len);
  Fd fd(::socket(addr.ss_family, type | SOCK_CLOEXEC, 0));
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0) return Fd();
  if (type == SOCK_STREAM) ::listen(fd.get(), 4096);  // probes never accept: room for all of them
  return fd;
}

// TCP handshake from inside `from` to ip:port within `timeout`.
inline bool can_connect(const injector::NamespaceFd& from, const std::string& ip, int port,
                        std::chrono::milliseconds timeout = std::chrono::milliseconds(400)) {
  socklen_t len;
  auto addr = make_addr(ip, port, len);
  Fd fd;
  {
    injector::NetnsEntry inside(from);
    fd = Fd(::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  }
  int rc = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), len);
  if (rc == 0) return true;
  if (errno != EINPROGRESS) return false;
  pollfd p{fd.get(), POLLOUT, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return false;
  int err = 0;
  socklen_t elen = sizeof err;
  ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &elen);
  return err == 0;
}

// One UDP datagram from `from` to the socket `receiver` bound at ip:port.
inline bool datagram_arrives(const injector::NamespaceFd& from, const Fd& receiver,
                             const std::string& ip, int port) {
  socklen_t len;
  auto addr = make_addr(ip, port, len);
  Fd fd;
  {
    injector::NetnsEntry inside(from);
    fd = Fd(::socket(addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  }
  const char msg[] = "probe";
  ::sendto(fd.get(), msg, sizeof msg, 0, reinterpret_cast<sockaddr*>(&addr), len);
  pollfd p{receiver.get(), POLLIN, 0};
  if (::poll(&p, 1, 300) != 1) return false;
  char buf[64];
  return ::recv(receiver.get(), buf, sizeof buf, 0) > 0;
}

}  // namespace faultline::testing

#include <atomic>
#include <thread>
#include <vector>

namespace faultline::testing {

// Goodput of one TCP stream from `from` to a fresh listener at ip:port inside
// `to`, in bits per second, measured over `window` after a short warm-up.
inline double tcp_goodput(const injector::NamespaceFd& from, const injector::NamespaceFd& to,
                          const std::string& ip, int port,
                          std::chrono::milliseconds window = std::chrono::milliseconds(1500)) {
  auto listener = bound_socket(to, ip, port, SOCK_STREAM);
  std::atomic<bool> done{false};
  std::atomic<long long> received{0};
  std::atomic<bool> counting{false};
  std::thread sink([&] {
    pollfd p{listener.get(), POLLIN, 0};
    if (::poll(&p, 1, 3000) != 1) return;
    Fd conn(::accept(listener.get(), nullptr, nullptr));
    std::vector<char> buf(65536);
    while (!done) {
      pollfd q{conn.get(), POLLIN, 0};
      if (::poll(&q, 1, 100) != 1) continue;
      ssize_t n = ::recv(conn.get(), buf.data(), buf.size(), 0);
      if (n <= 0) break;
      if (counting) received += n;
    }
  });
  socklen_t len;
  auto addr = make_addr(ip, port, len);
  Fd fd;
  {
    injector::NetnsEntry inside(from);
    fd = Fd(::socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  }
  double bits_per_second = 0;
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), len) == 0) {
    timeval tv{0, 100000};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    std::vector<char> chunk(16384, 'x');
    auto start = std::chrono::steady_clock::now();
    auto warm = start + std::chrono::milliseconds(500);
    auto end = warm + window;
    while (std::chrono::steady_clock::now() < end) {
      if (!counting && std::chrono::steady_clock::now() >= warm) counting = true;
      ::send(fd.get(), chunk.data(), chunk.size(), MSG_NOSIGNAL);
    }
    counting = false;
    bits_per_second = received * 8.0 / std::chrono::duration<double>(window).count();
  }
  done = true;
  sink.join();
  return bits_per_second;
}

}  // namespace faultline::testing
