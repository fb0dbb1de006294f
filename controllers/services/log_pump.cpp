#include "controllers/services/log_pump.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>

namespace faultline {

LogPump::LogPump(int read_fd, std::string log_path, std::uint64_t limit)
    : fd_(read_fd), path_(std::move(log_path)), limit_(limit) {
  thread_ = std::thread([this] { run(); });
}

LogPump::~LogPump() { stop(); }

void LogPump::stop(int grace_ms) {
  if (!thread_.joinable()) return;
  // Normally the pipe has closed already; give a straggler its grace.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
  while (!done_ && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  stopping_ = true;
  thread_.join();
  ::close(fd_);
}

void LogPump::run() {
  const int out = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  struct stat st {};
  std::uint64_t written = out >= 0 && ::fstat(out, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  bool cut = false;
  char buffer[65536];
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, 100);
    if (ready < 0) break;
    if (ready == 0) {
      if (stopping_) break;
      continue;
    }
    const ssize_t n = ::read(fd_, buffer, sizeof buffer);
    if (n <= 0) break;  // every writer is gone
    std::uint64_t keep = 0;
    if (written < limit_) keep = std::min<std::uint64_t>(static_cast<std::uint64_t>(n), limit_ - written);
    if (keep > 0 && out >= 0) {
      const ssize_t ignored = ::write(out, buffer, keep);
      (void)ignored;
      written += keep;
    }
    if (keep < static_cast<std::uint64_t>(n)) {
      discarded_ += static_cast<std::uint64_t>(n) - keep;
      if (!cut && out >= 0) {
        const std::string mark = "\n[faultline: this log reached its limit of " +
                                 std::to_string(limit_) +
                                 " bytes (log_limit); what the service wrote after this point "
                                 "was discarded]\n";
        const ssize_t ignored = ::write(out, mark.data(), mark.size());
        (void)ignored;
        cut = true;
      }
    }
  }
  if (cut && out >= 0) {
    const std::string tally =
        "[faultline: " + std::to_string(discarded_.load()) + " bytes discarded in all]\n";
    const ssize_t ignored = ::write(out, tally.data(), tally.size());
    (void)ignored;
  }
  if (out >= 0) ::close(out);
  done_ = true;
}

}  // namespace faultline
