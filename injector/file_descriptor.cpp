#include "injector/file_descriptor.hpp"

#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "injector/kernel_error.hpp"

namespace faultline::injector {

FileDescriptor& FileDescriptor::operator=(FileDescriptor&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void FileDescriptor::reset() noexcept {
  // close(2): the descriptor is released even when close reports an error
  // (EINTR included, on Linux), so it is never retried.
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

FileDescriptor FileDescriptor::eventfd(int flags, const char* what) {
  const int fd = ::eventfd(0, flags);
  if (fd < 0) throw_errno(std::string(what) + ": eventfd", errno);
  return FileDescriptor(fd);
}

FileDescriptor FileDescriptor::timerfd(int clock_id, int flags, const char* what) {
  const int fd = ::timerfd_create(clock_id, flags);
  if (fd < 0) throw_errno(std::string(what) + ": timerfd_create", errno);
  return FileDescriptor(fd);
}

int arm_timer_at(const FileDescriptor& timer, std::chrono::nanoseconds since_epoch) noexcept {
  const auto ns = std::max<std::chrono::nanoseconds::rep>(since_epoch.count(), 1);
  itimerspec spec{};
  spec.it_value.tv_sec = static_cast<time_t>(ns / 1000000000);
  spec.it_value.tv_nsec = static_cast<long>(ns % 1000000000);
  return ::timerfd_settime(timer.get(), TFD_TIMER_ABSTIME, &spec, nullptr) == 0 ? 0 : errno;
}

int disarm_timer(const FileDescriptor& timer) noexcept {
  itimerspec spec{};
  return ::timerfd_settime(timer.get(), 0, &spec, nullptr) == 0 ? 0 : errno;
}

}  // namespace faultline::injector
