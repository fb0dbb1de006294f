#pragma once
// Carries what a service writes (its stdout and stderr, through a pipe) into
// its log file, up to a limit. Past the limit the pump marks the cut in the
// log once and discards the rest, still draining the pipe so the service
// never blocks on a full one; when the pipe closes (every process of the
// service is gone) it notes how much was discarded. One pump per start of a
// service: a restarted service appends to the same log, and the limit counts
// what is already there.
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

namespace faultline {

class LogPump {
 public:
  // Takes `read_fd` (the pipe's read end) and the log's path.
  LogPump(int read_fd, std::string log_path, std::uint64_t limit);
  ~LogPump();  // joins; see stop()
  LogPump(const LogPump&) = delete;
  LogPump& operator=(const LogPump&) = delete;

  // Ends the pump within about `grace_ms` even when a writer still holds the
  // pipe (a service that escaped its cgroup): drains what is there and
  // closes.
  void stop(int grace_ms = 1000);
  std::uint64_t discarded() const { return discarded_; }

 private:
  void run();

  int fd_;
  std::string path_;
  std::uint64_t limit_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> done_{false};
  std::atomic<std::uint64_t> discarded_{0};
  std::thread thread_;
};

}  // namespace faultline
