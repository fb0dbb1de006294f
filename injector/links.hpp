#pragma once
// Links and addresses through rtnetlink: veth pairs, bridges, link state and
// interface addresses (IPv4 and IPv6).
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "injector/netlink_socket.hpp"

namespace faultline::injector {

// The interface index of `name` in the socket's namespace; throws if absent.
int link_index(NetlinkSocket& sock, const std::string& name);
bool link_exists(NetlinkSocket& sock, const std::string& name);

// Creates a veth pair: `name` in the socket's namespace, `peer_name` created
// directly inside `peer_ns` (IFLA_NET_NS_FD on the peer), so neither end ever
// appears in another namespace, least of all the root one.
void create_veth(NetlinkSocket& sock, const std::string& name, const std::string& peer_name,
                 const NamespaceFd& peer_ns);
void create_bridge(NetlinkSocket& sock, const std::string& name);
void attach_to_bridge(NetlinkSocket& sock, const std::string& port, const std::string& bridge);
void set_link_up(NetlinkSocket& sock, const std::string& name, bool up = true);
void delete_link(NetlinkSocket& sock, const std::string& name);
// The name of the link that holds `address` (no prefix length), if any.
std::optional<std::string> link_with_address(NetlinkSocket& sock, const std::string& address);
// The name of a link holding an address inside `cidr`'s network (e.g. the
// link docker gave an address of 198.18.1.0/24, for "198.18.1.10/24"), if any.
std::optional<std::string> link_in_network(NetlinkSocket& sock, const std::string& cidr);

// Waits until the kernel reports the link operationally up (IF_OPER_UP) and
// IPv6 has configured it (a link-local address past duplicate detection).
// Setting a link up is not enough to pass traffic: the kernel attaches its
// queueing discipline only when the deferred "linkwatch" work notices the
// carrier, up to a second later, and drops packets sent before that. Returns
// false on timeout.
bool wait_operational(NetlinkSocket& sock, const std::string& name,
                      std::chrono::milliseconds timeout);

// Adds `cidr` (e.g. "198.18.1.10/24" or "2001:2:0:1::10/64") to a link. IPv6
// addresses skip duplicate address detection (IFA_F_NODAD): in a namespace we
// built there is no one to collide with, and DAD would hold the address
// "tentative" for a second or more.
void add_address(NetlinkSocket& sock, const std::string& link, const std::string& cidr);

// Every link of the socket's namespace with its addresses as CIDR
// ("198.18.1.2/24"), loopback left out: what an agent's inventory reports.
struct LinkAddresses {
  std::string name;
  std::vector<std::string> addresses;
};
std::vector<LinkAddresses> list_link_addresses(NetlinkSocket& sock);

}  // namespace faultline::injector
