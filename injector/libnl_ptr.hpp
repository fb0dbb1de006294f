#pragma once
// unique_ptr owners for libnl's reference-counted objects (private to injector/).
#include <netlink/addr.h>
#include <netlink/route/addr.h>
#include <netlink/route/class.h>
#include <netlink/route/classifier.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/route.h>

#include <memory>
#include <string>

#include "injector/kernel_error.hpp"

namespace faultline::injector::detail {

struct LinkPut {
  void operator()(rtnl_link* p) const noexcept { rtnl_link_put(p); }
};
struct AddrPut {
  void operator()(rtnl_addr* p) const noexcept { rtnl_addr_put(p); }
};
struct RoutePut {
  void operator()(rtnl_route* p) const noexcept { rtnl_route_put(p); }
};
struct NlAddrPut {
  void operator()(nl_addr* p) const noexcept { nl_addr_put(p); }
};

struct QdiscPut {
  void operator()(rtnl_qdisc* p) const noexcept { rtnl_qdisc_put(p); }
};
struct ClassPut {
  void operator()(rtnl_class* p) const noexcept { rtnl_class_put(p); }
};
struct ClsPut {
  void operator()(rtnl_cls* p) const noexcept { rtnl_cls_put(p); }
};

using LinkPtr = std::unique_ptr<rtnl_link, LinkPut>;
using AddrPtr = std::unique_ptr<rtnl_addr, AddrPut>;
using RoutePtr = std::unique_ptr<rtnl_route, RoutePut>;
using NlAddrPtr = std::unique_ptr<nl_addr, NlAddrPut>;
using QdiscPtr = std::unique_ptr<rtnl_qdisc, QdiscPut>;
using ClassPtr = std::unique_ptr<rtnl_class, ClassPut>;
using ClsPtr = std::unique_ptr<rtnl_cls, ClsPut>;

inline NlAddrPtr parse_address(const std::string& text) {
  nl_addr* parsed = nullptr;
  if (int err = nl_addr_parse(text.c_str(), AF_UNSPEC, &parsed); err < 0)
    throw_netlink("parse address '" + text + "'", err);
  return NlAddrPtr(parsed);
}

}  // namespace faultline::injector::detail
