#pragma once
// An rtnetlink socket bound to one network namespace. A netlink socket acts on
// the namespace it was created in, whichever namespace its user later runs in,
// so one socket per namespace is all the controller needs.
#include <memory>

#include "injector/network_namespace.hpp"

struct nl_sock;

namespace faultline::injector {

class NetlinkSocket {
 public:
  // Opens a NETLINK_ROUTE socket inside `ns`.
  static NetlinkSocket open_in(const NamespaceFd& ns);
  // Opens one in the calling thread's current namespace.
  static NetlinkSocket open_here();

  NetlinkSocket(NetlinkSocket&&) noexcept = default;
  NetlinkSocket& operator=(NetlinkSocket&&) noexcept = default;

  nl_sock* get() const { return sock_.get(); }

 private:
  struct Free {
    void operator()(nl_sock* sock) const noexcept;
  };
  explicit NetlinkSocket(nl_sock* sock) : sock_(sock) {}
  std::unique_ptr<nl_sock, Free> sock_;
};

}  // namespace faultline::injector
