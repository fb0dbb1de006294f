#pragma once
// Errors from the kernel, phrased for the person running the experiment: the
// operation, the object, the reason, and the fix when one is known.
//
// The message is for people; code that must decide (is the table already
// gone? is the queue taken?) asks error_code(), the errno the kernel gave (a
// libnl code is mapped back to the errno it came from), never the text.
#include <stdexcept>
#include <string>
#include <system_error>

namespace faultline::injector {

class KernelError : public std::runtime_error {
 public:
  // `error_number` is an errno value (EPERM, ENOENT ...); 0 when the failure
  // has no errno (a check of ours failed, not a system call).
  KernelError(const std::string& operation, const std::string& reason, int error_number = 0)
      : std::runtime_error(operation + ": " + reason), error_number_(error_number) {}

  // The errno, or 0.
  int error_code() const noexcept { return error_number_; }
  // The same as a std::error_code in the generic (POSIX errno) category, so
  // callers may compare with std::errc: e.code() == std::errc::no_such_file_or_directory.
  std::error_code code() const noexcept { return {error_number_, std::generic_category()}; }

 private:
  int error_number_;
};

// From errno (setns, mount, open ...). EPERM and EACCES gain the fix.
[[noreturn]] void throw_errno(const std::string& operation, int err);
// From a negative (or positive) libnl error code (NLE_*); the KernelError
// carries errno_of_netlink() of it.
[[noreturn]] void throw_netlink(const std::string& operation, int nl_error);

// The errno a libnl error code stands for. libnl turns the kernel's errno into
// an NLE_* code (nl_syserr2nlerr() in libnl's lib/error.c); this is that
// mapping read backwards. Codes libnl makes up itself (a parse error, a
// message too short) get the nearest errno; NLE_SUCCESS is 0. Sign-agnostic.
int errno_of_netlink(int nl_error) noexcept;

}  // namespace faultline::injector
