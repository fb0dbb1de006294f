#include "injector/routes.hpp"

#include <linux/rtnetlink.h>
#include <netlink/errno.h>

#include "injector/kernel_error.hpp"
#include "injector/libnl_ptr.hpp"

namespace faultline::injector {

using detail::RoutePtr;

namespace {

RoutePtr build(const Route& route) {
  auto dst = detail::parse_address(route.destination);
  RoutePtr msg(rtnl_route_alloc());
  rtnl_route_set_family(msg.get(), static_cast<uint8_t>(nl_addr_get_family(dst.get())));
  rtnl_route_set_table(msg.get(), RT_TABLE_MAIN);
  rtnl_route_set_protocol(msg.get(), route.protocol);
  rtnl_route_set_scope(msg.get(), RT_SCOPE_UNIVERSE);
  rtnl_route_set_priority(msg.get(), route.metric);
  if (int err = rtnl_route_set_dst(msg.get(), dst.get()); err < 0)
    throw_netlink("route " + describe(route), err);
  switch (route.type) {
    case RouteType::unicast: {
      rtnl_route_set_type(msg.get(), RTN_UNICAST);
      if (route.gateway) {
        auto gw = detail::parse_address(*route.gateway);
        rtnl_nexthop* hop = rtnl_route_nh_alloc();
        rtnl_route_nh_set_gateway(hop, gw.get());
        rtnl_route_add_nexthop(msg.get(), hop);  // the route owns the hop now
      }
      break;
    }
    case RouteType::blackhole:
      rtnl_route_set_type(msg.get(), RTN_BLACKHOLE);
      break;
    case RouteType::prohibit:
      rtnl_route_set_type(msg.get(), RTN_PROHIBIT);
      break;
  }
  return msg;
}

}  // namespace

void add_route(NetlinkSocket& sock, const Route& route) {
  auto msg = build(route);
  if (int err = rtnl_route_add(sock.get(), msg.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
    throw_netlink("add route " + describe(route), err);
}

bool delete_route(NetlinkSocket& sock, const Route& route) {
  auto msg = build(route);
  int err = rtnl_route_delete(sock.get(), msg.get(), 0);
  if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NOADDR) return false;
  if (err < 0) throw_netlink("delete route " + describe(route), err);
  return true;
}

}  // namespace faultline::injector
