#pragma once
// An owned file descriptor: move-only, closed on destruction, made by named
// factories that throw a KernelError carrying errno, so a half-built owner
// (a constructor that throws part way) leaks nothing.
#include <chrono>
#include <utility>

namespace faultline::injector {

class FileDescriptor {
 public:
  FileDescriptor() = default;
  // Takes ownership of an open descriptor.
  explicit FileDescriptor(int fd) noexcept : fd_(fd) {}
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept;
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() { reset(); }

  // eventfd(2) with `flags` (EFD_CLOEXEC, EFD_NONBLOCK ...), counter at 0.
  static FileDescriptor eventfd(int flags, const char* what);
  // timerfd_create(2) on `clock_id` (CLOCK_MONOTONIC ...) with `flags`.
  static FileDescriptor timerfd(int clock_id, int flags, const char* what);

  int get() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  void reset() noexcept;

 private:
  int fd_ = -1;
};

// Arms a timerfd to expire once at `at` on its clock's time line
// (TFD_TIMER_ABSTIME); a time point of zero or less still arms it (the epoch
// plus one nanosecond), because an all-zero it_value would disarm it. Returns
// 0, or the errno of timerfd_settime(2).
int arm_timer_at(const FileDescriptor& timer, std::chrono::nanoseconds since_epoch) noexcept;
// Disarms it (an all-zero it_value). Returns 0 or the errno.
int disarm_timer(const FileDescriptor& timer) noexcept;

}  // namespace faultline::injector
