// A probe flow for the scheduling-precision benchmark (issue 9, benchmark 2),
// run as a service in every region of bench/landing.sh's experiment:
//
//   probe_flow --listen ADDR --peers ADDR,ADDR --port P --interval-us N --out DIR
//              [--realtime 1]
//
// Every N microseconds it sends one UDP datagram to each peer, carrying a
// sequence number and its send time (CLOCK_MONOTONIC, the clock faultline's
// run reports its faults' due instants in), and it receives the peers'
// datagrams. It writes, until SIGTERM:
//   DIR/sent.bin  one record per tick: seq (u64), send time (i64 ns);
//   DIR/recv.bin  one record per datagram received: source IPv4 (u32, network
//                 order), 4 bytes of padding, seq (u64), send time (i64 ns),
//                 receive time (i64 ns);
//   DIR/probe.json  {"addr": ADDR, "interval_us": N}.
// bench/landing_report.py lines these up with the faults of verdict.json.
// With --realtime 1 (needs root) its threads run SCHED_FIFO, so that on a
// small machine the controller and the apps cannot hold its packets back: a
// probe that skips ticks cannot show when a fault landed.
// It only ever sends to the peers it is given (region hosts).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr std::uint32_t kMagic = 0x666c7072;  // "flpr"

struct Datagram {
  std::uint32_t magic;
  std::uint32_t pad;
  std::uint64_t seq;
  std::int64_t send_ns;
};

struct Received {
  std::uint32_t source;
  std::uint32_t pad;
  std::uint64_t seq;
  std::int64_t send_ns;
  std::int64_t recv_ns;
};

std::atomic<bool> stopping{false};

std::int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

sockaddr_in ipv4(const std::string& address, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (inet_pton(AF_INET, address.c_str(), &a.sin_addr) != 1)
    throw std::runtime_error("not an IPv4 address: " + address);
  return a;
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    const auto end = comma == std::string::npos ? text.size() : comma;
    if (end > start) parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

}  // namespace

int main(int argc, char** argv) try {
  std::string listen, peers_arg, out = ".";
  std::uint16_t port = 9500;
  long interval_us = 100;
  bool realtime = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--listen") listen = value;
    else if (flag == "--peers") peers_arg = value;
    else if (flag == "--port") port = static_cast<std::uint16_t>(std::stoi(value));
    else if (flag == "--interval-us") interval_us = std::stol(value);
    else if (flag == "--out") out = value;
    else if (flag == "--realtime") realtime = value == "1";
    else throw std::runtime_error("unknown flag " + flag);
  }
  if (listen.empty() || interval_us <= 0)
    throw std::runtime_error("usage: probe_flow --listen ADDR --peers A,B [--port P] "
                             "[--interval-us N] [--out DIR]");
  if (realtime) {
    const sched_param priority{10};
    if (sched_setscheduler(0, SCHED_FIFO, &priority) != 0)  // the receiver thread inherits it
      throw std::runtime_error(std::string("cannot run SCHED_FIFO: ") + std::strerror(errno));
  }
  std::signal(SIGTERM, [](int) { stopping = true; });
  std::signal(SIGINT, [](int) { stopping = true; });

  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const sockaddr_in self = ipv4(listen, port);
  if (fd < 0 || ::bind(fd, reinterpret_cast<const sockaddr*>(&self), sizeof self) != 0)
    throw std::runtime_error("cannot bind " + listen + ": " + std::strerror(errno));
  std::vector<sockaddr_in> peers;
  for (const auto& p : split(peers_arg)) peers.push_back(ipv4(p, port));
  std::ofstream(out + "/probe.json") << "{\"addr\": \"" << listen
                                     << "\", \"interval_us\": " << interval_us << "}\n";

  std::thread receiver([&] {
    std::FILE* log = std::fopen((out + "/recv.bin").c_str(), "wb");
    if (log == nullptr) return;
    std::vector<char> buffer(1 << 20);
    std::setvbuf(log, buffer.data(), _IOFBF, buffer.size());
    while (!stopping) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) != 1) continue;
      Datagram d{};
      sockaddr_in from{};
      socklen_t length = sizeof from;
      const ssize_t n = ::recvfrom(fd, &d, sizeof d, MSG_DONTWAIT,
                                   reinterpret_cast<sockaddr*>(&from), &length);
      const std::int64_t at = now_ns();
      if (n != sizeof d || d.magic != kMagic) continue;
      const Received r{from.sin_addr.s_addr, 0, d.seq, d.send_ns, at};
      std::fwrite(&r, sizeof r, 1, log);
    }
    std::fclose(log);
  });

  std::FILE* sent = std::fopen((out + "/sent.bin").c_str(), "wb");
  if (sent == nullptr) throw std::runtime_error("cannot write " + out + "/sent.bin");
  std::vector<char> buffer(1 << 20);
  std::setvbuf(sent, buffer.data(), _IOFBF, buffer.size());
  timespec next{};
  clock_gettime(CLOCK_MONOTONIC, &next);
  for (std::uint64_t seq = 0; !stopping; ++seq) {
    next.tv_nsec += interval_us * 1000;
    while (next.tv_nsec >= 1'000'000'000) {
      next.tv_nsec -= 1'000'000'000;
      ++next.tv_sec;
    }
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, nullptr);
    // Far behind (the machine was busy): start again from now, no burst.
    const std::int64_t due = static_cast<std::int64_t>(next.tv_sec) * 1'000'000'000 + next.tv_nsec;
    if (now_ns() - due > 10 * interval_us * 1000) clock_gettime(CLOCK_MONOTONIC, &next);
    const Datagram d{kMagic, 0, seq, now_ns()};
    for (const auto& peer : peers)
      ::sendto(fd, &d, sizeof d, MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&peer),
               sizeof peer);
    const std::int64_t record[2] = {static_cast<std::int64_t>(seq), d.send_ns};
    std::fwrite(record, sizeof record, 1, sent);
  }
  std::fclose(sent);
  receiver.join();
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "probe_flow: %s\n", e.what());
  return 1;
}
