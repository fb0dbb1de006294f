// How many operations one controller core drives (issue 9, benchmark 4), and
// what writing the history costs per operation:
//
//   driver_bench [SECONDS] [CLIENTS...]        (defaults 5; 1 2 4 8 16 32)
//
// The target is a server in this process that answers every request at once
// with a fixed response, on loopback, pinned to the second CPU. The driver is
// faultline's own workload (Workload: client threads, the HTTP client, the
// history recorder writing history.jsonl), unthrottled and pinned with all
// its threads to the first CPU. Then the history recorder alone records
// invoke/ok pairs as fast as it can, to a file and to /dev/null.
//
// No root needed; traffic stays on 127.0.0.1.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "controllers/experiment/experiment.hpp"
#include "controllers/history/history.hpp"
#include "controllers/workload/exec_client.hpp"
#include "controllers/workload/kv_client.hpp"
#include "controllers/workload/workload.hpp"
#include "injector/network_namespace.hpp"

using namespace faultline;
using SteadyClock = std::chrono::steady_clock;  // not faultline::Clock

namespace {

void pin_to_cpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0)
    throw std::runtime_error("cannot pin to CPU " + std::to_string(cpu));
}

// An HTTP/1.1 server that answers every request at once: one epoll thread,
// keep-alive, requests framed by their headers and Content-Length.
class InstantTarget {
 public:
  InstantTarget() {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    const int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof a;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(listener_, 256) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &length) != 0)
      throw std::runtime_error(std::string("instant target: ") + std::strerror(errno));
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~InstantTarget() {
    stopping_ = true;
    thread_.join();
    ::close(listener_);
  }
  std::uint16_t port() const { return port_; }
  std::uint64_t answered() const { return answered_; }

 private:
  void serve() {
    pin_to_cpu(1);
    const int ep = ::epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{EPOLLIN, {.fd = listener_}};
    ::epoll_ctl(ep, EPOLL_CTL_ADD, listener_, &ev);
    const std::string body = R"({"served_by":"bench","version":"1@bench","value":"1"})";
    const std::string response = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 "Content-Length: " + std::to_string(body.size()) +
                                 "\r\n\r\n" + body;
    std::unordered_map<int, std::string> pending;
    std::vector<epoll_event> events(64);
    char buffer[65536];
    while (!stopping_) {
      const int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 50);
      for (int i = 0; i < n; ++i) {
        const int fd = events[static_cast<std::size_t>(i)].data.fd;
        if (fd == listener_) {
          for (int c; (c = ::accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0;) {
            const int one = 1;
            ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            epoll_event add{EPOLLIN, {.fd = c}};
            ::epoll_ctl(ep, EPOLL_CTL_ADD, c, &add);
          }
          continue;
        }
        const ssize_t got = ::read(fd, buffer, sizeof buffer);
        if (got <= 0) {
          ::close(fd);
          pending.erase(fd);
          continue;
        }
        std::string& in = pending[fd];
        in.append(buffer, static_cast<std::size_t>(got));
        std::string out;
        for (;;) {  // every complete request in the buffer
          const auto end = in.find("\r\n\r\n");
          if (end == std::string::npos) break;
          std::size_t body_length = 0;
          const auto cl = in.find("Content-Length: ");
          if (cl != std::string::npos && cl < end) body_length = std::stoul(in.substr(cl + 16));
          if (in.size() < end + 4 + body_length) break;
          in.erase(0, end + 4 + body_length);
          out += response;
          ++answered_;
        }
        if (!out.empty() && ::write(fd, out.data(), out.size()) < 0) ::close(fd);
      }
    }
    for (auto& [fd, unused] : pending) ::close(fd);
    ::close(ep);
  }

  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> answered_{0};
};

double cpu_seconds_of_process() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Busy and total jiffies of one CPU, from /proc/stat.
std::pair<long long, long long> cpu_jiffies(int cpu) {
  std::FILE* f = std::fopen("/proc/stat", "r");
  char line[512];
  const std::string prefix = "cpu" + std::to_string(cpu) + " ";
  std::pair<long long, long long> out{0, 0};
  while (f != nullptr && std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, prefix.c_str(), prefix.size()) != 0) continue;
    long long v[8] = {};
    std::sscanf(line + prefix.size(), "%lld %lld %lld %lld %lld %lld %lld %lld", &v[0], &v[1],
                &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
    for (long long x : v) out.second += x;
    out.first = out.second - v[3] - v[4];  // all but idle and iowait
  }
  if (f != nullptr) std::fclose(f);
  return out;
}

}  // namespace

int main(int argc, char** argv) try {
  const int seconds = argc > 1 ? std::atoi(argv[1]) : 5;
  std::vector<int> client_counts;
  for (int i = 2; i < argc; ++i) client_counts.push_back(std::atoi(argv[i]));
  if (client_counts.empty()) client_counts = {1, 2, 4, 8, 16, 32};
  if (std::thread::hardware_concurrency() < 2)
    throw std::runtime_error("needs two CPUs: one for the driver, one for the target");
  const auto dir = std::filesystem::temp_directory_path() /
                   ("faultline-driver-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);

  InstantTarget target;
  pin_to_cpu(0);  // this thread and every client thread it starts
  const auto own_netns = injector::NamespaceFd::of_this_thread();
  std::printf("driver: faultline's Workload pinned to CPU 0; target: instant answers on CPU 1, "
              "127.0.0.1:%u; %d s per row\n",
              target.port(), seconds);
  std::printf("%8s %12s %10s %8s %10s %10s\n", "clients", "operations", "ops/s", "failed",
              "CPU 0 busy", "bytes/op");
  for (int clients : client_counts) {
    Experiment e;
    e.seed = 1;
    e.workload.port = target.port();
    e.workload.clients_per_region = clients;
    e.workload.rate = 1e9;  // unthrottled: each client starts its next operation at once
    e.workload.keys = 8;
    e.workload.read_fraction = 0.5;
    e.workload.timeout = std::chrono::milliseconds(1000);
    const auto path = (dir / ("history-" + std::to_string(clients) + ".jsonl")).string();
    HistoryRecorder history(path, SteadyClock::now());
    Workload workload(e, {{"bench", &own_netns}}, history, MonotonicClock::instance(),
                      std::make_unique<KvClientFactory>(
                          std::map<std::string, std::string>{{"bench", "127.0.0.1"}},
                          target.port(), e.workload.timeout, false));
    const auto busy0 = cpu_jiffies(0);
    const auto t0 = SteadyClock::now();
    workload.start();
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    workload.stop();
    const double elapsed = std::chrono::duration<double>(SteadyClock::now() - t0).count();
    const auto busy1 = cpu_jiffies(0);
    history.flush();
    const auto bytes = std::filesystem::file_size(path);
    std::printf("%8d %12llu %10.0f %8llu %9.0f%% %10.0f\n", clients,
                static_cast<unsigned long long>(workload.completed()),
                static_cast<double>(workload.completed()) / elapsed,
                static_cast<unsigned long long>(workload.failed()),
                100.0 * static_cast<double>(busy1.first - busy0.first) /
                    static_cast<double>(std::max(1LL, busy1.second - busy0.second)),
                static_cast<double>(bytes) / static_cast<double>(workload.completed()));
    std::filesystem::remove(path);
  }

  // The exec client against a trivial program (it answers at once).
  const std::string echo =
      (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "exec_echo_client").string();
  std::printf("\nexec client: one %s per session on CPU 1, over stdin/stdout\n", echo.c_str());
  std::printf("%8s %12s %10s %8s %10s\n", "clients", "operations", "ops/s", "failed", "CPU 0 busy");
  for (int clients : client_counts) {
    Experiment e;
    e.seed = 1;
    e.workload.client = "exec";
    e.workload.clients_per_region = clients;
    e.workload.rate = 1e9;
    e.workload.keys = 8;
    e.workload.read_fraction = 0.5;
    e.workload.timeout = std::chrono::milliseconds(1000);
    const auto path = (dir / ("exec-history-" + std::to_string(clients) + ".jsonl")).string();
    HistoryRecorder history(path, SteadyClock::now());
    auto factory = std::make_unique<ExecClientFactory>(
        echo, std::map<std::string, std::vector<std::string>>{{"bench", {"1"}}}, ProgramUser{},
        (dir / "clients" / "session-").string(), e.workload.timeout);
    Workload workload(e, {{"bench", &own_netns}}, history, MonotonicClock::instance(),
                      std::move(factory));
    const auto busy0 = cpu_jiffies(0);
    const auto t0 = SteadyClock::now();
    workload.start();
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    workload.stop();
    const double elapsed = std::chrono::duration<double>(SteadyClock::now() - t0).count();
    const auto busy1 = cpu_jiffies(0);
    std::printf("%8d %12llu %10.0f %8llu %9.0f%%\n", clients,
                static_cast<unsigned long long>(workload.completed()),
                static_cast<double>(workload.completed()) / elapsed,
                static_cast<unsigned long long>(workload.failed()),
                100.0 * static_cast<double>(busy1.first - busy0.first) /
                    static_cast<double>(std::max(1LL, busy1.second - busy0.second)));
    std::filesystem::remove(path);
  }
  std::printf("\n");

  // The history recorder alone: an invoke and its ok, as a client records them.
  for (const std::string& sink : {(dir / "history-alone.jsonl").string(), std::string("/dev/null")}) {
    const int pairs = 1'000'000;
    HistoryRecorder history(sink, SteadyClock::now());
    // One read and one write, built once: what is timed is recording them.
    Operation read{.type = OpType::invoke,
                   .process = 3,
                   .f = "read",
                   .value = nlohmann::json::array({"k3", nullptr}),
                   .region = "us-east-1",
                   .session = 3};
    Operation write = read;
    write.f = "write";
    write.value = nlohmann::json::array({"k3", 3000017});
    Operation read_ok = read, write_ok = write;
    for (Operation* done : {&read_ok, &write_ok}) {
      done->type = OpType::ok;
      done->served_by = "us-east-1";
      done->version = "1764000000000@us-east-1";
    }
    read_ok.value[1] = 3000011;
    const double cpu0 = cpu_seconds_of_process();
    const auto t0 = SteadyClock::now();
    for (int i = 0; i < pairs; ++i) {
      history.record(i % 2 == 0 ? read : write);
      history.record(i % 2 == 0 ? read_ok : write_ok);
    }
    history.flush();
    const double wall = std::chrono::duration<double>(SteadyClock::now() - t0).count();
    const double cpu = cpu_seconds_of_process() - cpu0;
    std::printf("history recorder alone, to %s: %d operations (invoke + ok) in %.2f s: %.2f us "
                "wall, %.2f us CPU per operation\n",
                sink.c_str(), pairs, wall, wall * 1e6 / pairs, cpu * 1e6 / pairs);
  }
  std::filesystem::remove_all(dir);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "driver_bench: %s\n", e.what());
  return 1;
}
