#pragma once
// One timestamped line on stderr, which the controller keeps as the service's log.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

namespace faultline::kvstore {

inline void log_line(const std::string& text) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%H:%M:%S", &tm);
  std::fprintf(stderr, "%s.%03d %s\n", stamp, static_cast<int>(ms.count()), text.c_str());
}

}  // namespace faultline::kvstore
