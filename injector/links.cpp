#include "injector/links.hpp"

#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/cache.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

#include "injector/kernel_error.hpp"
#include "injector/libnl_ptr.hpp"

namespace faultline::injector {

using detail::AddrPtr;
using detail::LinkPtr;

namespace {

LinkPtr get_link(NetlinkSocket& sock, const std::string& name) {
  rtnl_link* link = nullptr;
  if (int err = rtnl_link_get_kernel(sock.get(), 0, name.c_str(), &link); err < 0)
    throw_netlink("find link " + name, err);
  return LinkPtr(link);
}

void check_link_name(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ)
    throw KernelError("link name '" + name + "'", "must be 1 to 15 characters (IFNAMSIZ)", EINVAL);
}

}  // namespace

int link_index(NetlinkSocket& sock, const std::string& name) {
  return rtnl_link_get_ifindex(get_link(sock, name).get());
}

bool link_exists(NetlinkSocket& sock, const std::string& name) {
  rtnl_link* link = nullptr;
  if (rtnl_link_get_kernel(sock.get(), 0, name.c_str(), &link) < 0) return false;
  rtnl_link_put(link);
  return true;
}

void create_veth(NetlinkSocket& sock, const std::string& name, const std::string& peer_name,
                 const NamespaceFd& peer_ns) {
  check_link_name(name);
  check_link_name(peer_name);
  rtnl_link* raw = rtnl_link_veth_alloc();
  if (raw == nullptr) throw KernelError("create veth " + name, "out of memory", ENOMEM);
  // rtnl_link_veth_release drops both the link and its peer.
  std::unique_ptr<rtnl_link, void (*)(rtnl_link*)> link(raw, rtnl_link_veth_release);
  rtnl_link_set_name(link.get(), name.c_str());
  rtnl_link* peer = rtnl_link_veth_get_peer(link.get());
  rtnl_link_set_name(peer, peer_name.c_str());
  rtnl_link_set_ns_fd(peer, peer_ns.get());
  rtnl_link_put(peer);  // get_peer took a reference
  if (int err = rtnl_link_add(sock.get(), link.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
    throw_netlink("create veth " + name + " <-> " + peer_name, err);
}

void create_bridge(NetlinkSocket& sock, const std::string& name) {
  check_link_name(name);
  if (int err = rtnl_link_bridge_add(sock.get(), name.c_str()); err < 0)
    throw_netlink("create bridge " + name, err);
}

void attach_to_bridge(NetlinkSocket& sock, const std::string& port, const std::string& bridge) {
  int master = link_index(sock, bridge);
  int slave = link_index(sock, port);
  if (int err = rtnl_link_enslave_ifindex(sock.get(), master, slave); err < 0)
    throw_netlink("attach " + port + " to bridge " + bridge, err);
}

void set_link_up(NetlinkSocket& sock, const std::string& name, bool up) {
  LinkPtr current = get_link(sock, name);
  LinkPtr change(rtnl_link_alloc());
  if (up)
    rtnl_link_set_flags(change.get(), IFF_UP);
  else
    rtnl_link_unset_flags(change.get(), IFF_UP);
  if (int err = rtnl_link_change(sock.get(), current.get(), change.get(), 0); err < 0)
    throw_netlink(std::string("set link ") + name + (up ? " up" : " down"), err);
}

void delete_link(NetlinkSocket& sock, const std::string& name) {
  LinkPtr current = get_link(sock, name);
  if (int err = rtnl_link_delete(sock.get(), current.get()); err < 0)
    throw_netlink("delete link " + name, err);
}

std::optional<std::string> link_with_address(NetlinkSocket& sock, const std::string& address) {
  auto wanted = detail::parse_address(address);
  nl_cache* cache = nullptr;
  if (int err = rtnl_addr_alloc_cache(sock.get(), &cache); err < 0)
    throw_netlink("list addresses", err);
  std::optional<int> ifindex;
  for (nl_object* obj = nl_cache_get_first(cache); obj != nullptr; obj = nl_cache_get_next(obj)) {
    auto* addr = reinterpret_cast<rtnl_addr*>(obj);
    nl_addr* local = rtnl_addr_get_local(addr);
    if (local != nullptr && nl_addr_get_family(local) == nl_addr_get_family(wanted.get()) &&
        nl_addr_get_len(local) == nl_addr_get_len(wanted.get()) &&
        std::memcmp(nl_addr_get_binary_addr(local), nl_addr_get_binary_addr(wanted.get()),
                    nl_addr_get_len(local)) == 0) {
      ifindex = rtnl_addr_get_ifindex(addr);
      break;
    }
  }
  nl_cache_free(cache);
  if (!ifindex) return std::nullopt;
  char name[IFNAMSIZ] = {};
  nl_cache* links = nullptr;
  if (int err = rtnl_link_alloc_cache(sock.get(), AF_UNSPEC, &links); err < 0)
    throw_netlink("list links", err);
  const char* found = rtnl_link_i2name(links, *ifindex, name, sizeof name);
  std::optional<std::string> result;
  if (found != nullptr) result = std::string(found);
  nl_cache_free(links);
  return result;
}

namespace {

// Whether IPv6 has finished configuring the link: it has a link-local address
// that is no longer tentative. addrconf does this when it sees the carrier,
// and until then neighbour discovery on the link can lose the first packets.
bool ipv6_ready(NetlinkSocket& sock, int ifindex) {
  nl_cache* cache = nullptr;
  if (rtnl_addr_alloc_cache(sock.get(), &cache) < 0) return false;
  bool ready = false;
  for (nl_object* obj = nl_cache_get_first(cache); obj != nullptr; obj = nl_cache_get_next(obj)) {
    auto* addr = reinterpret_cast<rtnl_addr*>(obj);
    if (rtnl_addr_get_ifindex(addr) != ifindex || rtnl_addr_get_family(addr) != AF_INET6) continue;
    if (rtnl_addr_get_scope(addr) == RT_SCOPE_LINK &&
        !(rtnl_addr_get_flags(addr) & IFA_F_TENTATIVE)) {
      ready = true;
      break;
    }
  }
  nl_cache_free(cache);
  return ready;
}

}  // namespace

bool wait_operational(NetlinkSocket& sock, const std::string& name,
                      std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    LinkPtr link = get_link(sock, name);
    if (rtnl_link_get_operstate(link.get()) == IF_OPER_UP &&
        ipv6_ready(sock, rtnl_link_get_ifindex(link.get())))
      return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::optional<std::string> link_in_network(NetlinkSocket& sock, const std::string& cidr) {
  auto network = detail::parse_address(cidr);
  const unsigned prefix = nl_addr_get_prefixlen(network.get());
  nl_cache* cache = nullptr;
  if (int err = rtnl_addr_alloc_cache(sock.get(), &cache); err < 0)
    throw_netlink("list addresses", err);
  std::optional<std::string> address;
  for (nl_object* obj = nl_cache_get_first(cache); obj != nullptr; obj = nl_cache_get_next(obj)) {
    nl_addr* local = rtnl_addr_get_local(reinterpret_cast<rtnl_addr*>(obj));
    if (local == nullptr || nl_addr_get_family(local) != nl_addr_get_family(network.get())) continue;
    detail::NlAddrPtr masked(nl_addr_clone(local));
    nl_addr_set_prefixlen(masked.get(), static_cast<int>(prefix));
    if (nl_addr_cmp_prefix(masked.get(), network.get()) != 0) continue;
    char text[INET6_ADDRSTRLEN + 8] = {};
    nl_addr_set_prefixlen(masked.get(), static_cast<int>(nl_addr_get_len(masked.get()) * 8));
    nl_addr2str(masked.get(), text, sizeof text);
    address = text;
    break;
  }
  nl_cache_free(cache);
  if (!address) return std::nullopt;
  return link_with_address(sock, *address);
}

void add_address(NetlinkSocket& sock, const std::string& link, const std::string& cidr) {
  auto local = detail::parse_address(cidr);
  AddrPtr addr(rtnl_addr_alloc());
  rtnl_addr_set_ifindex(addr.get(), link_index(sock, link));
  if (int err = rtnl_addr_set_local(addr.get(), local.get()); err < 0)
    throw_netlink("address " + cidr, err);
  rtnl_addr_set_prefixlen(addr.get(), nl_addr_get_prefixlen(local.get()));
  if (nl_addr_get_family(local.get()) == AF_INET6) rtnl_addr_set_flags(addr.get(), IFA_F_NODAD);
  if (int err = rtnl_addr_add(sock.get(), addr.get(), 0); err < 0)
    throw_netlink("add address " + cidr + " to " + link, err);
}

std::vector<LinkAddresses> list_link_addresses(NetlinkSocket& sock) {
  nl_cache* links = nullptr;
  if (int err = rtnl_link_alloc_cache(sock.get(), AF_UNSPEC, &links); err < 0)
    throw_netlink("list links", err);
  nl_cache* addrs = nullptr;
  if (int err = rtnl_addr_alloc_cache(sock.get(), &addrs); err < 0) {
    nl_cache_free(links);
    throw_netlink("list addresses", err);
  }
  std::vector<LinkAddresses> out;
  for (nl_object* obj = nl_cache_get_first(links); obj != nullptr; obj = nl_cache_get_next(obj)) {
    auto* link = reinterpret_cast<rtnl_link*>(obj);
    if (rtnl_link_get_flags(link) & IFF_LOOPBACK) continue;
    LinkAddresses entry{rtnl_link_get_name(link), {}};
    const int index = rtnl_link_get_ifindex(link);
    for (nl_object* a = nl_cache_get_first(addrs); a != nullptr; a = nl_cache_get_next(a)) {
      auto* addr = reinterpret_cast<rtnl_addr*>(a);
      nl_addr* local = rtnl_addr_get_local(addr);
      if (rtnl_addr_get_ifindex(addr) != index || local == nullptr) continue;
      char text[INET6_ADDRSTRLEN + 8];
      char bare[INET6_ADDRSTRLEN + 8];
      nl_addr2str(local, bare, sizeof bare);
      // nl_addr2str leaves the prefix out when it is the address's full length.
      std::string cidr = bare;
      if (cidr.find('/') == std::string::npos) {
        std::snprintf(text, sizeof text, "%s/%d", bare, rtnl_addr_get_prefixlen(addr));
        cidr = text;
      }
      entry.addresses.push_back(cidr);
    }
    out.push_back(std::move(entry));
  }
  nl_cache_free(addrs);
  nl_cache_free(links);
  return out;
}

}  // namespace faultline::injector
