#include "injector/kernel_error.hpp"

#include <netlink/errno.h>

#include <cerrno>
#include <cstring>

namespace faultline::injector {

namespace {
constexpr const char* kPrivilegeHint =
    " (needs CAP_NET_ADMIN and CAP_SYS_ADMIN: run faultline as root)";
}

int errno_of_netlink(int nl_error) noexcept {
  switch (nl_error < 0 ? -nl_error : nl_error) {
    case NLE_SUCCESS: return 0;
    case NLE_INTR: return EINTR;
    case NLE_BAD_SOCK: return EBADF;
    case NLE_AGAIN: return EAGAIN;
    case NLE_NOMEM: return ENOMEM;
    case NLE_EXIST: return EEXIST;
    case NLE_INVAL: return EINVAL;
    case NLE_RANGE: return ERANGE;
    case NLE_MSGSIZE: return EMSGSIZE;
    case NLE_OPNOTSUPP: return EOPNOTSUPP;
    case NLE_AF_NOSUPPORT: return EAFNOSUPPORT;
    case NLE_OBJ_NOTFOUND: return ENOENT;
    case NLE_NOATTR: return ENODATA;
    case NLE_MISSING_ATTR: return EINVAL;
    case NLE_AF_MISMATCH: return EAFNOSUPPORT;
    case NLE_SEQ_MISMATCH: return EPROTO;
    case NLE_MSG_OVERFLOW: return EOVERFLOW;
    case NLE_MSG_TRUNC: return EMSGSIZE;
    case NLE_NOADDR: return EADDRNOTAVAIL;
    case NLE_SRCRT_NOSUPPORT: return EOPNOTSUPP;
    case NLE_MSG_TOOSHORT: return EBADMSG;
    case NLE_MSGTYPE_NOSUPPORT: return EOPNOTSUPP;
    case NLE_OBJ_MISMATCH: return EINVAL;
    case NLE_NOCACHE: return ENOENT;
    case NLE_BUSY: return EBUSY;
    case NLE_PROTO_MISMATCH: return EPROTONOSUPPORT;
    case NLE_NOACCESS: return EACCES;
    case NLE_PERM: return EPERM;
    case NLE_PKTLOC_FILE: return ENOENT;
    case NLE_PARSE_ERR: return EINVAL;
    case NLE_NODEV: return ENODEV;
    case NLE_IMMUTABLE: return EPERM;
    case NLE_DUMP_INTR: return EINTR;
    case NLE_ATTRSIZE: return ERANGE;
    default: return EIO;  // NLE_FAILURE and codes of later libnl versions
  }
}

void throw_errno(const std::string& operation, int err) {
  std::string reason = std::strerror(err);
  if (err == EPERM || err == EACCES) reason += kPrivilegeHint;
  throw KernelError(operation, reason, err);
}

void throw_netlink(const std::string& operation, int nl_error) {
  int code = nl_error < 0 ? -nl_error : nl_error;
  std::string reason = nl_geterror(code);
  if (code == NLE_PERM || code == NLE_NOACCESS) reason += kPrivilegeHint;
  throw KernelError(operation, reason, errno_of_netlink(code));
}

}  // namespace faultline::injector
