#include "injector/kernel_error.hpp"

#include <netlink/errno.h>

#include <cerrno>
#include <cstring>

namespace faultline::injector {

namespace {
constexpr const char* kPrivilegeHint =
    " (needs CAP_NET_ADMIN and CAP_SYS_ADMIN: run faultline as root)";
}

void throw_errno(const std::string& operation, int err) {
  std::string reason = std::strerror(err);
  if (err == EPERM || err == EACCES) reason += kPrivilegeHint;
  throw KernelError(operation, reason);
}

void throw_netlink(const std::string& operation, int nl_error) {
  int code = nl_error < 0 ? -nl_error : nl_error;
  std::string reason = nl_geterror(code);
  if (code == NLE_PERM) reason += kPrivilegeHint;
  throw KernelError(operation, reason);
}

}  // namespace faultline::injector
