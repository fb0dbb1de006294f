#pragma once
// Errors from the kernel, phrased for the person running the experiment: the
// operation, the object, the reason, and the fix when one is known.
#include <stdexcept>
#include <string>

namespace faultline::injector {

class KernelError : public std::runtime_error {
 public:
  KernelError(const std::string& operation, const std::string& reason)
      : std::runtime_error(operation + ": " + reason) {}
};

// From errno (setns, mount, open ...). EPERM and EACCES gain the fix.
[[noreturn]] void throw_errno(const std::string& operation, int err);
// From a negative libnl error code (NLE_*).
[[noreturn]] void throw_netlink(const std::string& operation, int nl_error);

}  // namespace faultline::injector
