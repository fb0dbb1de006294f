#include "injector/sweep.hpp"

#include <linux/rtnetlink.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/route.h>
#include <netlink/route/tc.h>

#include "injector/kernel_error.hpp"
#include "injector/nfqueue/queue_rules.hpp"
#include "injector/routes.hpp"
#include "injector/traffic_control.hpp"

namespace faultline::injector {

namespace {

struct Found {
  std::vector<std::string> lines;
  std::vector<rtnl_route*> routes;  // owned references
  std::vector<rtnl_qdisc*> qdiscs;
};

std::string address_text(nl_addr* addr) {
  char buf[128];
  return nl_addr2str(addr, buf, sizeof buf);
}

Found scan(NetlinkSocket& sock) {
  Found found;
  nl_cache* routes = nullptr;
  if (int err = rtnl_route_alloc_cache(sock.get(), AF_UNSPEC, 0, &routes); err < 0)
    throw_netlink("list routes", err);
  for (nl_object* obj = nl_cache_get_first(routes); obj != nullptr; obj = nl_cache_get_next(obj)) {
    auto* route = reinterpret_cast<rtnl_route*>(obj);
    const auto type = rtnl_route_get_type(route);
    if (rtnl_route_get_protocol(route) != kFaultlineRouteProtocol ||
        (type != RTN_BLACKHOLE && type != RTN_PROHIBIT))
      continue;
    nl_object_get(obj);
    found.routes.push_back(route);
    found.lines.push_back(std::string("route ") + (type == RTN_BLACKHOLE ? "blackhole " : "prohibit ") +
                          address_text(rtnl_route_get_dst(route)) + " metric " +
                          std::to_string(rtnl_route_get_priority(route)));
  }
  nl_cache_free(routes);

  nl_cache* links = nullptr;
  if (int err = rtnl_link_alloc_cache(sock.get(), AF_UNSPEC, &links); err < 0)
    throw_netlink("list links", err);
  nl_cache* qdiscs = nullptr;
  if (int err = rtnl_qdisc_alloc_cache(sock.get(), &qdiscs); err < 0) {
    nl_cache_free(links);
    throw_netlink("list qdiscs", err);
  }
  for (nl_object* obj = nl_cache_get_first(qdiscs); obj != nullptr; obj = nl_cache_get_next(obj)) {
    auto* q = reinterpret_cast<rtnl_qdisc*>(obj);
    const std::uint32_t handle = rtnl_tc_get_handle(TC_CAST(q));
    if (rtnl_tc_get_parent(TC_CAST(q)) != TC_H_ROOT || (handle >> 24) != (kTcMajor >> 8)) continue;
    nl_object_get(obj);
    found.qdiscs.push_back(q);
    char name[IFNAMSIZ] = "?";
    rtnl_link_i2name(links, rtnl_tc_get_ifindex(TC_CAST(q)), name, sizeof name);
    char hex[16];
    std::snprintf(hex, sizeof hex, "%x:", handle >> 16);
    found.lines.push_back(std::string("qdisc ") + hex + " on " + name);
  }
  nl_cache_free(qdiscs);
  nl_cache_free(links);
  return found;
}

void release(Found& found) {
  for (auto* r : found.routes) rtnl_route_put(r);
  for (auto* q : found.qdiscs) rtnl_qdisc_put(q);
  found.routes.clear();
  found.qdiscs.clear();
}

}  // namespace

std::vector<std::string> sweep_faults(const NamespaceFd& ns, const std::string& where) {
  NetlinkSocket sock = NetlinkSocket::open_in(ns);
  Found found = scan(sock);
  // Every deletion is tried and every failure reported: one stuck route must
  // not hide a stuck qdisc from the person cleaning up.
  std::vector<std::string> problems;
  int first_errno = 0;
  auto failed = [&](const std::string& what, int err) {
    problems.push_back(what + " in " + where + ": " + nl_geterror(err));
    if (first_errno == 0) first_errno = errno_of_netlink(err);
  };
  for (auto* r : found.routes)
    if (int err = rtnl_route_delete(sock.get(), r, 0); err < 0 && err != -NLE_OBJ_NOTFOUND)
      failed("delete a fault route", err);
  // Deleting the root takes its classes, leaves and filters with it.
  for (auto* q : found.qdiscs)
    if (int err = rtnl_qdisc_delete(sock.get(), q); err < 0 && err != -NLE_OBJ_NOTFOUND)
      failed("delete a fault qdisc", err);
  release(found);
  try {
    if (delete_queue_tables(ns, where))
      found.lines.push_back(std::string("nf_tables tables ") + kNftTable);
  } catch (const KernelError& e) {
    problems.push_back(e.what());
    if (first_errno == 0) first_errno = e.error_code();
  }
  if (!problems.empty()) {
    std::string all;
    for (const auto& p : problems) all += (all.empty() ? "" : "; ") + p;
    throw KernelError(all, "left in place", first_errno);
  }
  return found.lines;
}

}  // namespace faultline::injector
