// Kernel errors carry their errno, so code decides by the code and never by
// the text; libnl's codes map back to the errno they came from.
#include "injector/kernel_error.hpp"

#include <fcntl.h>
#include <netlink/errno.h>
#include <time.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <system_error>

#include "injector/file_descriptor.hpp"

using namespace faultline::injector;

TEST_CASE("throw_errno carries the errno, and the privilege hint for EPERM", "[kernel_error]") {
  try {
    throw_errno("bind queue 16", EPERM);
    FAIL("no throw");
  } catch (const KernelError& e) {
    CHECK(e.error_code() == EPERM);
    CHECK(e.code() == std::errc::operation_not_permitted);
    CHECK(std::string(e.what()).find("run faultline as root") != std::string::npos);
  }
}

TEST_CASE("throw_netlink carries the errno the libnl code stands for", "[kernel_error]") {
  try {
    throw_netlink("delete route", -NLE_OBJ_NOTFOUND);
    FAIL("no throw");
  } catch (const KernelError& e) {
    CHECK(e.error_code() == ENOENT);
    CHECK(e.code() == std::errc::no_such_file_or_directory);
  }
  CHECK(errno_of_netlink(-NLE_EXIST) == EEXIST);
  CHECK(errno_of_netlink(NLE_EXIST) == EEXIST);  // either sign
  CHECK(errno_of_netlink(-NLE_PERM) == EPERM);
  CHECK(errno_of_netlink(-NLE_NOACCESS) == EACCES);
  CHECK(errno_of_netlink(-NLE_BUSY) == EBUSY);
  CHECK(errno_of_netlink(-NLE_NODEV) == ENODEV);
  CHECK(errno_of_netlink(-NLE_NOADDR) == EADDRNOTAVAIL);
  CHECK(errno_of_netlink(0) == 0);
  CHECK(errno_of_netlink(-NLE_FAILURE) == EIO);
  // Every code libnl knows maps to some errno.
  for (int code = 1; code <= NLE_MAX; ++code) CHECK(errno_of_netlink(-code) > 0);
}

TEST_CASE("a KernelError of our own checks has no errno", "[kernel_error]") {
  KernelError e("shape wan0", "more than 240 shaped classes");
  CHECK(e.error_code() == 0);
  CHECK_FALSE(e.code());
}

TEST_CASE("owned descriptors close when they go and when assigned over", "[kernel_error][fd]") {
  auto is_open = [](int fd) { return ::fcntl(fd, F_GETFD) != -1; };
  int raw;
  {
    auto event = FileDescriptor::eventfd(0, "test");
    raw = event.get();
    REQUIRE(event.valid());
    CHECK(is_open(raw));
    auto timer = FileDescriptor::timerfd(CLOCK_MONOTONIC, 0, "test");
    CHECK(arm_timer_at(timer, std::chrono::seconds(0)) == 0);  // the past: fires at once
    CHECK(disarm_timer(timer) == 0);
    const int timer_raw = timer.get();
    timer = std::move(event);  // the timerfd closes, the eventfd moves
    CHECK_FALSE(is_open(timer_raw));
    CHECK(timer.get() == raw);
    CHECK_FALSE(event.valid());
  }
  CHECK_FALSE(is_open(raw));
  try {
    FileDescriptor::timerfd(-12345, 0, "bad clock");
    FAIL("no throw");
  } catch (const KernelError& e) {
    CHECK(e.error_code() == EINVAL);
  }
}
