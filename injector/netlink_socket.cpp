#include "injector/netlink_socket.hpp"

#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <cerrno>

#include "injector/kernel_error.hpp"

namespace faultline::injector {

void NetlinkSocket::Free::operator()(nl_sock* sock) const noexcept { nl_socket_free(sock); }

NetlinkSocket NetlinkSocket::open_here() {
  nl_sock* sock = nl_socket_alloc();
  if (sock == nullptr) throw KernelError("allocate netlink socket", "out of memory", ENOMEM);
  NetlinkSocket owner(sock);
  if (int err = nl_connect(sock, NETLINK_ROUTE); err < 0) throw_netlink("connect rtnetlink", err);
  return owner;
}

NetlinkSocket NetlinkSocket::open_in(const NamespaceFd& ns) {
  NetnsEntry inside(ns);
  return open_here();
}

}  // namespace faultline::injector
